// window_along_axis: the output size and padding of one spatial axis (TensorFlow's rules), and sizes so large
// that the arithmetic would overflow, which a config or file can ask for.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>

#include <kiln/kiln.hpp>

#include "kiln/core/ops/spatial.hpp"

using namespace kiln;

TEST_CASE("window_along_axis: output size and padding follow TensorFlow's rules") {
    // valid: floor((input - span) / stride) + 1 with span = (window - 1) * dilation + 1.
    AxisWindow w = window_along_axis(10, 3, 2, 2, Padding::valid, "op");  // span 5: (10 - 5) / 2 + 1 = 3
    CHECK(w.output == 3);
    CHECK(w.pad_before == 0);
    CHECK(w.pad_after == 0);
    // same: ceil(input / stride) outputs, (out - 1) * stride + span - input padding, the odd one after.
    w = window_along_axis(10, 3, 3, 1, Padding::same, "op");  // out 4, total 3 * 3 + 3 - 10 = 2
    CHECK(w.output == 4);
    CHECK(w.pad_before == 1);
    CHECK(w.pad_after == 1);
    w = window_along_axis(7, 4, 1, 1, Padding::same, "op");  // out 7, total 6 + 4 - 7 = 3
    CHECK(w.output == 7);
    CHECK(w.pad_before == 1);
    CHECK(w.pad_after == 2);
}

TEST_CASE("window_along_axis: geometry that overflows 64 bits is a ShapeError naming the op and the sizes") {
    const int64_t big = int64_t{1} << 62;
    const int64_t max = std::numeric_limits<int64_t>::max();
    // span = (window - 1) * dilation + 1 overflows.
    CHECK_THROWS_WITH_AS(window_along_axis(10, big, 1, 4, Padding::valid, "Conv2D 'c'"),
                         doctest::Contains("Conv2D 'c': window geometry overflows 64 bits: input 10, window"),
                         ShapeError);
    CHECK_THROWS_AS(window_along_axis(10, max, 1, 2, Padding::same, "op"), ShapeError);  // (max - 1) * 2
    // (output - 1) * stride + span overflows for a huge input with "same" padding.
    CHECK_THROWS_AS(window_along_axis(max, 3, max / 2, 1, Padding::same, "op"), ShapeError);
    // Huge but representable geometry is fine: one window of stride max over an input of max.
    const AxisWindow w = window_along_axis(max, 1, max, 1, Padding::same, "op");
    CHECK(w.output == 1);
    CHECK(w.pad_before + w.pad_after == 0);
}
