// Per-sample normalization over groups of channels as one fused op: the kernel behind LayerNormalization and
// GroupNormalization (kiln/layers/layer_normalization.hpp, group_normalization.hpp).
//
// Layout: x is viewed as [samples, spatial, channels, trailing] (row-major), its channels split into `groups`
// equal consecutive groups. The statistics (biased mean and variance, two passes in double) are per
// (sample, group), over spatial, the group's channels and trailing; gamma and beta are per channel.
// LayerNormalization over the trailing axes is samples = rows, channels = the normalized size, one group;
// GroupNormalization channels_last is spatial = H*W, channels_first trailing = H*W.
#pragma once

#include <cstdint>

#include "kiln/core/tensor.hpp"

namespace kiln {

struct GroupNormLayout {
    int64_t samples = 1;
    int64_t spatial = 1;
    int64_t channels = 1;
    int64_t trailing = 1;
    int64_t groups = 1;
};

// y = (x - mean) / sqrt(variance + epsilon) * gamma + beta. One tape record with a fused backward (x, gamma,
// beta), differentiable once. gamma and beta ([channels] in any shape of that size) may be undefined, meaning 1
// and 0. ShapeError when the layout does not describe x or the groups do not divide the channels.
Tensor group_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, const GroupNormLayout& layout,
                  double epsilon);

}  // namespace kiln
