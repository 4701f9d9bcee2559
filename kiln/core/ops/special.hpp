// Special functions that activations need beyond the elementwise basics, each differentiable to any order
// (backward written in kiln ops).
#pragma once

#include "kiln/core/tensor.hpp"

namespace kiln {

// The Gauss error function 2/sqrt(pi) * integral_0^x exp(-t^2) dt, elementwise; gradient 2/sqrt(pi) exp(-x^2).
Tensor erf(const Tensor& x);

}  // namespace kiln
