// Internal: conv2d without groups as direct NHWC kernels, forward and both gradients, with no column buffer.
//
// Each kernel keeps a block of outputs (a few pixels x a few vectors of filters or channels) in vector
// registers and walks the taps and the reduced channels, one vector load per weight vector and one broadcast
// per input value feeding all of the block's multiply-adds. Inputs that reach into the padding are read from a
// zero-bordered copy. Every output is summed in an order fixed by the shapes alone, so the results do not
// depend on the thread count.
#pragma once

#include "kiln/core/detail/conv_geometry.hpp"

namespace kiln::detail {

// y [N,Ho,Wo,F] = conv(x [N,H,W,C], kernel [kh,kw,C,F]); g.groups must be 1.
void direct_conv_forward(const ConvGeometry& g, const float* x, const float* kernel, float* y);

// dx [N,H,W,C] from dy [N,Ho,Wo,F] and the kernel (overwrites dx).
void direct_conv_input_gradient(const ConvGeometry& g, const float* dy, const float* kernel, float* dx);

// dkernel [kh,kw,C,F] from x and dy (overwrites dkernel).
void direct_conv_kernel_gradient(const ConvGeometry& g, const float* x, const float* dy, float* dkernel);

}  // namespace kiln::detail
