// The sampling kernel behind the random image layers, with transforms given directly: fill modes on a 1-D row,
// 90-degree rotations against the transposed-and-flipped image, half-pixel shifts (bilinear weights and nearest
// rounding), zoom, channels_first, argument errors and finite-difference gradients.
#include <doctest/doctest.h>

#include <numbers>

#include <kiln/kiln.hpp>

#include "kiln/layers/preprocessing/detail/affine.hpp"
#include "support/gradcheck.hpp"

using namespace kiln;
using namespace kiln::layers::detail;

namespace {

// A [1, rows, cols, 1] batch holding `values` row by row.
Tensor image(std::vector<float> values, int64_t rows, int64_t cols) {
    return Tensor(std::move(values), Shape{1, rows, cols, 1});
}

Tensor apply(const Tensor& x, const AffineTransform& t, FillMode fill, Interpolation interp, float fill_value = 0.0f) {
    return affine_transform(x, {t}, Sampling{.fill_mode = fill, .interpolation = interp, .fill_value = fill_value},
                            "test");
}

// The row [1, 2, 3, 4] as a [1, 1, 4, 1] batch.
const Tensor kRow = image({1, 2, 3, 4}, 1, 4);

}  // namespace

TEST_CASE("affine fill_index: the documented patterns around a b c d") {
    // Coordinates -6 .. 9 for a row of 4 (a b c d = 0 1 2 3), written out from Keras's pictures:
    // reflect (d c b a | a b c d | d c b a), wrap (a b c d | a b c d | a b c d), nearest (a a a a | a b c d | d d d d).
    const std::vector<int64_t> reflect = {2, 3, 3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0, 0, 1};
    const std::vector<int64_t> wrap = {2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1};
    const std::vector<int64_t> nearest = {0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 3, 3, 3, 3, 3, 3};
    for (int64_t i = -6; i <= 9; ++i) {
        CAPTURE(i);
        const size_t k = static_cast<size_t>(i + 6);
        CHECK(fill_index(i, 4, FillMode::reflect) == reflect[k]);
        CHECK(fill_index(i, 4, FillMode::wrap) == wrap[k]);
        CHECK(fill_index(i, 4, FillMode::nearest) == nearest[k]);
        CHECK(fill_index(i, 4, FillMode::constant) == (i >= 0 && i < 4 ? i : -1));
    }
    // A single pixel extends to itself in every mode but constant.
    CHECK(fill_index(-3, 1, FillMode::reflect) == 0);
    CHECK(fill_index(5, 1, FillMode::wrap) == 0);
}

TEST_CASE("affine: a whole-pixel shift of a row fills by each fill mode") {
    const AffineTransform right2 = translation_transform(2.0, 0.0);  // output x reads input x - 2
    for (Interpolation interp : {Interpolation::bilinear, Interpolation::nearest}) {
        CHECK(array_equal(apply(kRow, right2, FillMode::constant, interp, 9.0f), image({9, 9, 1, 2}, 1, 4)));
        CHECK(array_equal(apply(kRow, right2, FillMode::nearest, interp), image({1, 1, 1, 2}, 1, 4)));
        CHECK(array_equal(apply(kRow, right2, FillMode::reflect, interp), image({2, 1, 1, 2}, 1, 4)));
        CHECK(array_equal(apply(kRow, right2, FillMode::wrap, interp), image({3, 4, 1, 2}, 1, 4)));
    }
    const AffineTransform left1 = translation_transform(-1.0, 0.0);
    CHECK(array_equal(apply(kRow, left1, FillMode::reflect, Interpolation::bilinear), image({2, 3, 4, 4}, 1, 4)));
    CHECK(array_equal(apply(kRow, left1, FillMode::wrap, Interpolation::bilinear), image({2, 3, 4, 1}, 1, 4)));
}

TEST_CASE("affine: half-pixel shifts weigh neighbours by halves (bilinear) and round away from zero (nearest)") {
    const AffineTransform half = translation_transform(0.5, 0.0);  // output x reads x - 0.5
    // Bilinear: (in[x-1] + in[x]) / 2, with in[-1] = the fill value 0 or, reflected, in[0] = 1.
    CHECK(
        array_equal(apply(kRow, half, FillMode::constant, Interpolation::bilinear), image({0.5, 1.5, 2.5, 3.5}, 1, 4)));
    CHECK(array_equal(apply(kRow, half, FillMode::reflect, Interpolation::bilinear), image({1, 1.5, 2.5, 3.5}, 1, 4)));
    // Nearest: -0.5 rounds to -1 (the fill value 7), 0.5 to 1, 1.5 to 2, 2.5 to 3.
    CHECK(array_equal(apply(kRow, half, FillMode::constant, Interpolation::nearest, 7.0f), image({7, 2, 3, 4}, 1, 4)));
}

TEST_CASE("affine: a 90-degree rotation is the transposed image flipped top-bottom, nearest and bilinear") {
    const Tensor x = image({1, 2, 3, 4, 5, 6, 7, 8, 9}, 3, 3);
    // Counter-clockwise: the right column becomes the top row. transpose = [[1,4,7],[2,5,8],[3,6,9]], flipped:
    const Tensor ccw = image({3, 6, 9, 2, 5, 8, 1, 4, 7}, 3, 3);
    // Clockwise: the left column, bottom first, becomes the top row.
    const Tensor cw = image({7, 4, 1, 8, 5, 2, 9, 6, 3}, 3, 3);
    const double quarter = std::numbers::pi / 2.0;
    for (FillMode fill : {FillMode::constant, FillMode::reflect}) {
        CHECK(array_equal(apply(x, rotation_transform(quarter, 3, 3), fill, Interpolation::nearest), ccw));
        CHECK(array_equal(apply(x, rotation_transform(-quarter, 3, 3), fill, Interpolation::nearest), cw));
        // cos(pi/2) is 6e-17, not 0: bilinear weights land within rounding of whole pixels.
        CHECK(allclose(apply(x, rotation_transform(quarter, 3, 3), fill, Interpolation::bilinear), ccw, 1e-6f, 1e-6f));
        CHECK(allclose(apply(x, rotation_transform(-quarter, 3, 3), fill, Interpolation::bilinear), cw, 1e-6f, 1e-6f));
    }
    // Half a turn is both flips.
    CHECK(allclose(apply(x, rotation_transform(std::numbers::pi, 3, 3), FillMode::constant, Interpolation::bilinear),
                   apply(x, flip_transform(true, true, 3, 3), FillMode::constant, Interpolation::nearest), 1e-6f,
                   1e-6f));
}

TEST_CASE("affine: zoom 0.5 doubles the centre, bilinear reproduces a linear ramp exactly") {
    // 4x4, value 4r + c + 1. Output x reads 0.5 x + 0.75: 0.75, 1.25, 1.75, 2.25 round to 1, 1, 2, 2.
    std::vector<float> v(16);
    for (int i = 0; i < 16; ++i) v[static_cast<size_t>(i)] = static_cast<float>(i + 1);
    const Tensor expected = image({6, 6, 7, 7, 6, 6, 7, 7, 10, 10, 11, 11, 10, 10, 11, 11}, 4, 4);
    CHECK(array_equal(apply(image(v, 4, 4), zoom_transform(0.5, 0.5, 4, 4), FillMode::constant, Interpolation::nearest),
                      expected));
    // 5x5 ramp 10r + c; output (x, y) reads (0.5 x + 1, 0.5 y + 1), so it holds 10 (0.5 y + 1) + 0.5 x + 1.
    std::vector<float> ramp, zoomed;
    for (int r = 0; r < 5; ++r)
        for (int c = 0; c < 5; ++c) {
            ramp.push_back(static_cast<float>(10 * r + c));
            zoomed.push_back(10.0f * (0.5f * static_cast<float>(r) + 1.0f) + 0.5f * static_cast<float>(c) + 1.0f);
        }
    CHECK(array_equal(
        apply(image(ramp, 5, 5), zoom_transform(0.5, 0.5, 5, 5), FillMode::constant, Interpolation::bilinear),
        image(zoomed, 5, 5)));
}

TEST_CASE("affine: channels_first gives the channels_last result with the axes moved, one transform per image") {
    const Tensor x = Tensor::random_normal({2, 5, 6, 3}, 0.0f, 1.0f, 4);
    const std::vector<AffineTransform> ts = {rotation_transform(0.3, 5, 6), zoom_transform(0.8, 1.3, 5, 6)};
    const Sampling last{.fill_mode = FillMode::wrap};
    const Sampling first{.fill_mode = FillMode::wrap, .data_format = DataFormat::channels_first};
    const Tensor y_last = affine_transform(x, ts, last, "test");
    const Tensor y_first = affine_transform(permute(x, {0, 3, 1, 2}), ts, first, "test");
    CHECK(array_equal(permute(y_first, {0, 2, 3, 1}), y_last));
    // Each image uses its own transform.
    CHECK(array_equal(affine_transform(x.slice(1, 2), {ts[1]}, last, "test"), y_last.slice(1, 2)));
}

TEST_CASE("affine: errors name the caller and the values") {
    CHECK_THROWS_WITH_AS(parse_fill_mode("mirror", "RandomZoom 'z'"),
                         "RandomZoom 'z': fill_mode must be 'reflect', 'wrap', 'constant' or 'nearest', got 'mirror'",
                         ValueError);
    CHECK_THROWS_WITH_AS(parse_interpolation("bicubic", "RandomZoom 'z'"),
                         "RandomZoom 'z': interpolation must be 'nearest' or 'bilinear', got 'bicubic'", ValueError);
    CHECK_THROWS_WITH_AS(affine_transform(Tensor::zeros({4, 4, 1}), {{}}, {}, "op"),
                         "op: expected a rank-4 batch of images, got shape [4,4,1]", ShapeError);
    CHECK_THROWS_WITH_AS(affine_transform(Tensor::zeros({2, 4, 4, 1}), {{}}, {}, "op"),
                         "op: 1 transforms for a batch of 2", ValueError);
}

TEST_CASE("affine: finite-difference gradients for every fill mode, both interpolations and layouts") {
    const std::vector<AffineTransform> ts = {rotation_transform(0.7, 4, 5), translation_transform(1.3, -0.6)};
    for (FillMode fill : {FillMode::reflect, FillMode::wrap, FillMode::constant, FillMode::nearest})
        for (Interpolation interp : {Interpolation::bilinear, Interpolation::nearest})
            for (DataFormat format : {DataFormat::channels_last, DataFormat::channels_first}) {
                const Sampling s{.fill_mode = fill, .interpolation = interp, .fill_value = 0.5f, .data_format = format};
                const Shape shape = format == DataFormat::channels_last ? Shape{2, 4, 5, 3} : Shape{2, 3, 4, 5};
                auto f = [&](const std::vector<Tensor>& v) { return affine_transform(v[0], ts, s, "test"); };
                kiln::testing::check_gradients("affine_transform", f, {kiln::testing::random_input(shape, 9)});
            }
}
