#include "kiln/core/ops/spatial.hpp"

#include <algorithm>

#include "kiln/core/errors.hpp"

namespace kiln {

Padding parse_padding(std::string_view text, std::string_view context) {
    if (text == "valid") return Padding::valid;
    if (text == "same") return Padding::same;
    throw ValueError(cat(context, ": padding must be 'valid' or 'same', got '", text, "'"));
}

DataFormat parse_data_format(std::string_view text, std::string_view context) {
    if (text == "channels_last") return DataFormat::channels_last;
    if (text == "channels_first") return DataFormat::channels_first;
    throw ValueError(cat(context, ": data_format must be 'channels_last' or 'channels_first', got '", text, "'"));
}

std::string_view to_string(Padding padding) { return padding == Padding::valid ? "valid" : "same"; }
std::string_view to_string(DataFormat format) {
    return format == DataFormat::channels_last ? "channels_last" : "channels_first";
}

AxisWindow window_along_axis(int64_t input, int64_t window, int64_t stride, int64_t dilation, Padding padding,
                             std::string_view op) {
    if (window < 1 || stride < 1 || dilation < 1 || input < 0)
        throw ValueError(cat(op, ": invalid window: input ", input, ", window ", window, ", stride ", stride,
                             ", dilation ", dilation));
    // Sizes may come from a file, so every step is checked: an overflow is an error, never a wrapped size.
    const auto too_large = [&] {
        return ShapeError(cat(op, ": window geometry overflows 64 bits: input ", input, ", window ", window,
                              ", stride ", stride, ", dilation ", dilation));
    };
    int64_t span = 0;
    if (__builtin_mul_overflow(window - 1, dilation, &span) || __builtin_add_overflow(span, 1, &span))
        throw too_large();
    AxisWindow w;
    if (padding == Padding::valid) {
        if (input < span)
            throw ShapeError(cat(op, ": window of size ", span, " (kernel ", window, ", dilation ", dilation,
                                 ") does not fit input size ", input, " with padding 'valid'"));
        w.output = (input - span) / stride + 1;
    } else {
        w.output = input / stride + (input % stride != 0 ? 1 : 0);
        int64_t covered = 0;  // (output - 1) * stride + span: the input the windows reach, padding included
        if (__builtin_mul_overflow(std::max<int64_t>(w.output - 1, 0), stride, &covered) ||
            __builtin_add_overflow(covered, span, &covered))
            throw too_large();
        const int64_t total = std::max<int64_t>(0, covered - input);
        w.pad_before = total / 2;
        w.pad_after = total - total / 2;
    }
    return w;
}

}  // namespace kiln
