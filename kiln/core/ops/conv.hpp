// 2-D convolution (cross-correlation, as Keras Conv2D) of NHWC or NCHW image batches.
#pragma once

#include <array>
#include <cstdint>

#include "kiln/core/ops/spatial.hpp"
#include "kiln/core/tensor.hpp"

namespace kiln {

// Options of conv2d, with Keras Conv2D's meanings and defaults: strides and dilation are (rows, columns).
struct Conv2DOptions {
    std::array<int64_t, 2> strides{1, 1};
    Padding padding = Padding::valid;
    std::array<int64_t, 2> dilation{1, 1};
    int64_t groups = 1;
    DataFormat data_format = DataFormat::channels_last;
};

// Convolves x ([N,H,W,C] channels_last, [N,C,H,W] channels_first) with kernel [kh,kw,C/groups,filters] (Keras
// layout in both formats) into [N,Ho,Wo,filters] or [N,filters,Ho,Wo]. Group g sees input channels
// [g*C/groups, (g+1)*C/groups) and produces filters [g*filters/groups, (g+1)*filters/groups). Differentiable
// once: a second-order gradient through it raises NotImplementedError.
Tensor conv2d(const Tensor& x, const Tensor& kernel, const Conv2DOptions& options = {});

}  // namespace kiln
