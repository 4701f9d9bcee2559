// Internal: the per-channel kernels behind batch normalization, for any layout [outer, channels, inner].
//
// Reductions are memory-bound, so each reads its input once: the data is cut into tiles of a few thousand
// values (a block of rows when inner == 1, a piece of one (row, channel) plane otherwise) that stay in the L1
// cache while float accumulators make one or two passes over them; each tile's result then enters a per-channel
// double accumulator. Tiles and blocks have fixed sizes and are combined in a fixed order, so every result is
// the same for any thread count.
#pragma once

#include <cstdint>
#include <vector>

#include "kiln/core/ops/batch_norm.hpp"

namespace kiln::detail {

// Count, mean and sum of squared deviations of the values of each (group, channel), [groups * channels] each.
struct ChannelMoments {
    std::vector<double> count, mean, m2;
};

// Moments of x per (group, channel), from a two-pass mean and deviation per tile merged in double (Chan et al.).
// With a mask (x's size; nonzero = use) only the masked-in values count.
ChannelMoments channel_moments(const float* x, const float* mask, const BatchNormLayout& layout);

// Per (group, channel) j: sums[2j] = sum of g, sums[2j + 1] = sum of g * (x - mean[j]).
std::vector<double> channel_gradient_sums(const float* g, const float* x, const float* mean,
                                          const BatchNormLayout& layout);

// out = (x - shift[j]) * scale[j] + bias[j], j the element's (group, channel); out may be x.
void channel_affine(const float* x, const float* shift, const float* scale, const float* bias,
                    const BatchNormLayout& layout, float* out);

// The input gradient of batch normalization in training: dx = g * a[j] + w * (c1[j] + c2[j] * (x - mean[j])),
// w the mask's 0/1 weight (1 without a mask).
void batch_norm_input_gradient(const float* g, const float* x, const float* mask, const float* mean,
                               const float* a, const float* c1, const float* c2, const BatchNormLayout& layout,
                               float* dx);

}  // namespace kiln::detail
