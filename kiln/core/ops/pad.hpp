// Zero padding of the two spatial axes of a rank-4 NHWC or NCHW tensor, as tf.keras.layers.ZeroPadding2D.
#pragma once

#include <array>
#include <cstdint>

#include "kiln/core/ops/spatial.hpp"
#include "kiln/core/tensor.hpp"

namespace kiln {

// x with padding = {{top, bottom}, {left, right}} zero rows and columns added (all >= 0). Differentiable to any
// order: the gradient is the un-padded part of the incoming gradient.
Tensor zero_pad2d(const Tensor& x, std::array<std::array<int64_t, 2>, 2> padding,
                  DataFormat data_format = DataFormat::channels_last);

}  // namespace kiln
