// Types and size arithmetic shared by the 2-D spatial ops (convolution, pooling, padding).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace kiln {

// "valid": no padding; "same": zero padding so that out = ceil(in / stride), split as TensorFlow does
// (the extra row or column goes after).
enum class Padding { valid, same };
// channels_last: NHWC; channels_first: NCHW.
enum class DataFormat { channels_last, channels_first };

// Parses "valid"/"same" and "channels_last"/"channels_first" (Keras spellings); ValueError names `context`.
Padding parse_padding(std::string_view text, std::string_view context);
DataFormat parse_data_format(std::string_view text, std::string_view context);
std::string_view to_string(Padding padding);
std::string_view to_string(DataFormat format);

// Padding before and after along one spatial axis, and the resulting output size.
struct AxisWindow {
    int64_t pad_before = 0;
    int64_t pad_after = 0;
    int64_t output = 0;
};

// One spatial axis of a window op: input size, window size, stride and dilation (all >= 1 but input >= 0).
// Throws ShapeError naming `op` when a "valid" window does not fit the input, or when the sizes are so large that
// the geometry overflows 64 bits (they may come from a file).
AxisWindow window_along_axis(int64_t input, int64_t window, int64_t stride, int64_t dilation, Padding padding,
                             std::string_view op);

}  // namespace kiln
