// Linear algebra ops: matrix products through OpenBLAS, differentiable to any order.
#pragma once

#include "kiln/core/tensor.hpp"

namespace kiln {

// op(a) @ op(b) over the last two axes, op transposing them when its flag is set: a is [..., m, k] and b is
// [..., k, n] after the transposes, both of rank >= 2; the leading (batch) axes broadcast with NumPy rules.
Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a = false, bool transpose_b = false);

}  // namespace kiln
