// Comparisons (1.0 where true, 0.0 where false; not differentiable) and where(), with NumPy broadcasting.
#pragma once

#include "kiln/core/tensor.hpp"

namespace kiln {

Tensor equal(const Tensor& a, const Tensor& b);
Tensor not_equal(const Tensor& a, const Tensor& b);
Tensor less(const Tensor& a, const Tensor& b);
Tensor less_equal(const Tensor& a, const Tensor& b);
Tensor greater(const Tensor& a, const Tensor& b);
Tensor greater_equal(const Tensor& a, const Tensor& b);

// a where condition is nonzero, else b; broadcasts all three. Differentiable in a and b.
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);

}  // namespace kiln
