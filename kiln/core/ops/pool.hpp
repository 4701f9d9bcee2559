// 2-D pooling ops, as tf.keras.layers.MaxPooling2D and AveragePooling2D, on rank-4 NHWC or NCHW tensors.
// Both are differentiable once (their backward kernels are raw loops, so a second-order gradient through them
// raises NotImplementedError).
#pragma once

#include <array>
#include <cstdint>

#include "kiln/core/ops/spatial.hpp"
#include "kiln/core/tensor.hpp"

namespace kiln {

// Window, step and layout of a 2-D pooling op; the defaults are Keras's.
struct Pool2DOptions {
    std::array<int64_t, 2> pool_size{2, 2};
    std::array<int64_t, 2> strides{0, 0};  // 0 means "same as pool_size" (the Keras default strides=None)
    Padding padding = Padding::valid;
    DataFormat data_format = DataFormat::channels_last;
};

// Maximum of each window; padded positions never win. The gradient goes to the first maximum in row-major order.
Tensor max_pool2d(const Tensor& x, const Pool2DOptions& options = {});
// Mean of each window over its non-padded elements only (as TensorFlow); the gradient is spread evenly over them.
Tensor avg_pool2d(const Tensor& x, const Pool2DOptions& options = {});

}  // namespace kiln
