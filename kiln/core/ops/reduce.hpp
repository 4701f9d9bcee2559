// Reductions over a list of axes (an empty list means every axis; negative axes count from the end), the
// broadcast that is their adjoint, and argmax. Sums accumulate in double precision.
#pragma once

#include <cstdint>
#include <vector>

#include "kiln/core/tensor.hpp"

namespace kiln {

Tensor sum(const Tensor& x, const std::vector<int64_t>& axes = {}, bool keepdims = false);
Tensor mean(const Tensor& x, const std::vector<int64_t>& axes = {}, bool keepdims = false);
// Max/min; the gradient is shared equally among tied maxima (minima).
Tensor max(const Tensor& x, const std::vector<int64_t>& axes = {}, bool keepdims = false);
Tensor min(const Tensor& x, const std::vector<int64_t>& axes = {}, bool keepdims = false);

// Index of the largest value along `axis` (the first one at ties), as floats; not differentiable.
Tensor argmax(const Tensor& x, int64_t axis = -1, bool keepdims = false);

// x repeated along size-1 (or missing leading) axes to `shape`, NumPy rules. Gradient: sum_to_shape.
Tensor broadcast_to(const Tensor& x, const Shape& shape);

}  // namespace kiln
