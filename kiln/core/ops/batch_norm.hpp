// Batch normalization as fused ops: batch moments (two-pass, double accumulation), and the training and
// inference transforms, each one tape record with a fused backward. The BatchNormalization layer
// (kiln/layers/batch_normalization.hpp) builds on these; they are usable directly as well.
//
// Layout: x is viewed as [outer, channels, inner] (row-major); statistics are per channel, over outer and inner.
// Ghost batches split the outer axis: element (o, c, i) belongs to group (o / outer_per_sample) % groups.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "kiln/core/tensor.hpp"

namespace kiln {

struct BatchNormLayout {
    int64_t outer = 1;
    int64_t channels = 1;
    int64_t inner = 1;
    int64_t groups = 1;            // ghost batches (1: the whole batch is one group)
    int64_t outer_per_sample = 1;  // outer items per sample of the batch, to find a sample's group
};

// Per-(group, channel) statistics of a batch, each [groups, channels]: biased mean and variance, and the
// number of elements they average over (with a mask: the mask's sum plus what float32 keeps of the count epsilon).
struct BatchMoments {
    Tensor mean{};
    Tensor variance{};
    Tensor count{};
};

// Replaces each value with its sum over all data-parallel workers (an all-reduce). kiln calls it with
// per-(group, channel) sums; with one worker it is the identity.
using AllReduceFn = std::function<void(std::span<double> values)>;

struct BatchMomentsOptions {
    Tensor mask{};                              // optional, x's shape; nonzero = use
    double count_epsilon = 0.0;               // added to the float32 count, as Keras adds 1e-7 when masked
    const AllReduceFn* all_reduce = nullptr;  // synchronized: one-pass sums all-reduced, variance clamped at 0
};

// Moments of x; not recorded on a tape (batch_norm_training differentiates through them).
BatchMoments batch_moments(const Tensor& x, const BatchNormLayout& layout, const BatchMomentsOptions& options = {});

struct BatchNormTrainingOptions {
    double epsilon = 1e-3;
    Tensor mask{};          // the mask given to batch_moments, if any
    double count_epsilon = 0.0;
    Tensor scale_factor{};  // [channels]: k (renorm r times adjustment scale); undefined means 1
    Tensor shift{};         // [channels]: h (renorm d times adjustment scale plus adjustment bias); undefined means 0
    const AllReduceFn* all_reduce = nullptr;  // synchronized: the backward all-reduces its channel sums too
};

// y = ((x - mean) / sqrt(var + eps) * k + h) * gamma + beta with the batch's own moments. One tape record;
// its backward includes the moments' dependence on x. k and h are constants. gamma and beta ([channels]) may be
// undefined (meaning 1 and 0).
Tensor batch_norm_training(const Tensor& x, const Tensor& gamma, const Tensor& beta, const BatchMoments& moments,
                           const BatchNormLayout& layout, const BatchNormTrainingOptions& options);

// y = (x - mean) / sqrt(variance + eps) * gamma + beta with given [channels] statistics; differentiable in
// every tensor argument. gamma and beta may be undefined.
Tensor batch_norm_inference(const Tensor& x, const Tensor& mean, const Tensor& variance, const Tensor& gamma,
                            const Tensor& beta, const BatchNormLayout& layout, double epsilon);

}  // namespace kiln
