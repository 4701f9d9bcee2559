// softmax and log_softmax along one axis, computed stably (the maximum along the axis is subtracted before
// exponentiating, sums accumulate in double), so inputs like 1000 or -1000 neither overflow nor underflow.
// Both are differentiable, with backward passes written in kiln ops (so they can be differentiated again).
// An empty axis gives an empty result; a rank-0 input has no axis and raises ValueError.
#pragma once

#include <cstdint>

#include "kiln/core/tensor.hpp"

namespace kiln {

// exp(x) / sum(exp(x)) along `axis` (negative counts from the end).
Tensor softmax(const Tensor& x, int64_t axis = -1);

// log(softmax(x)) along `axis`, computed directly as x - max - log(sum(exp(x - max))).
Tensor log_softmax(const Tensor& x, int64_t axis = -1);

}  // namespace kiln
