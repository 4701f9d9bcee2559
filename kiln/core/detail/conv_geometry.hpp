// Internal: the sizes of one conv2d call, in NHWC terms whatever the data format, shared by the im2col path
// (grouped convolutions, core/ops/conv.cpp) and the direct kernels (core/detail/conv_direct.cpp).
#pragma once

#include <cstdint>

#include "kiln/core/ops/spatial.hpp"

namespace kiln::detail {

struct ConvGeometry {
    int64_t batch, height, width, channels;
    int64_t kernel_h, kernel_w, filters, groups;
    int64_t stride_h, stride_w, dilation_h, dilation_w;
    AxisWindow rows, cols;  // padding and output size along H and along W

    int64_t group_channels() const { return channels / groups; }
    int64_t group_filters() const { return filters / groups; }
    int64_t taps() const { return kernel_h * kernel_w; }
    // Output pixels per image: rows of the column buffer per image.
    int64_t pixels() const { return rows.output * cols.output; }
    // Length of a column-buffer row, and of one group's part of it.
    int64_t patch() const { return taps() * channels; }
    int64_t group_patch() const { return taps() * group_channels(); }
};

}  // namespace kiln::detail
