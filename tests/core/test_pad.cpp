// Tests for zero_pad2d: hand-computed cases in both layouts, a plain-loop reference, gradients and errors.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <vector>

#include <kiln/kiln.hpp>

#include "support/gradcheck.hpp"

using namespace kiln;

namespace {

using Padding2D = std::array<std::array<int64_t, 2>, 2>;
constexpr DataFormat kLast = DataFormat::channels_last;
constexpr DataFormat kFirst = DataFormat::channels_first;

// Zero padding element by element through Tensor::at: out[n, y + top, x + left, c] = x[n, y, x, c].
Tensor naive_pad(const Tensor& x, const Padding2D& p, DataFormat format) {
    const bool last = format == kLast;
    const int64_t batch = x.dim(0), channels = last ? x.dim(3) : x.dim(1);
    const int64_t h = last ? x.dim(1) : x.dim(2), w = last ? x.dim(2) : x.dim(3);
    const int64_t ph = h + p[0][0] + p[0][1], pw = w + p[1][0] + p[1][1];
    Tensor y = Tensor::zeros(last ? Shape{batch, ph, pw, channels} : Shape{batch, channels, ph, pw});
    for (int64_t n = 0; n < batch; ++n)
        for (int64_t c = 0; c < channels; ++c)
            for (int64_t i = 0; i < h; ++i)
                for (int64_t j = 0; j < w; ++j) {
                    const int64_t oi = i + p[0][0], oj = j + p[1][0];
                    const float v = last ? x.at({n, i, j, c}) : x.at({n, c, i, j});
                    (last ? y.at({n, oi, oj, c}) : y.at({n, c, oi, oj})) = v;
                }
    return y;
}

}  // namespace

TEST_CASE("zero_pad2d: hand-computed, channels_last and channels_first") {
    SUBCASE("channels_last, one channel, one row above and two columns right") {
        const Tensor x({1, 2, 3, 4}, {1, 2, 2, 1});
        const Tensor want({0, 0, 0, 0,  //
                           1, 2, 0, 0,  //
                           3, 4, 0, 0},
                          {1, 3, 4, 1});
        CHECK(array_equal(zero_pad2d(x, {{{1, 0}, {0, 2}}}), want));
    }
    SUBCASE("channels_last, two channels stay together per pixel") {
        // One row of two pixels (1,2) and (3,4); a column before, a row after.
        const Tensor x({1, 2, 3, 4}, {1, 1, 2, 2});
        const Tensor want({0, 0, 1, 2, 3, 4,  //
                           0, 0, 0, 0, 0, 0},
                          {1, 2, 3, 2});
        CHECK(array_equal(zero_pad2d(x, {{{0, 1}, {1, 0}}}, kLast), want));
    }
    SUBCASE("channels_first, two channels, a row above and a column right") {
        const Tensor x({1, 2, 3, 4, 5, 6, 7, 8}, {1, 2, 2, 2});
        const Tensor want({0, 0, 0, 1, 2, 0, 3, 4, 0,  //
                           0, 0, 0, 5, 6, 0, 7, 8, 0},
                          {1, 2, 3, 3});
        CHECK(array_equal(zero_pad2d(x, {{{1, 0}, {0, 1}}}, kFirst), want));
    }
}

TEST_CASE("zero_pad2d matches a naive reference with asymmetric padding") {
    const Padding2D paddings[] = {{{{0, 0}, {0, 0}}}, {{{2, 1}, {0, 3}}}, {{{0, 2}, {1, 0}}}, {{{3, 3}, {2, 2}}}};
    uint64_t seed = 1;
    for (const Padding2D& p : paddings)
        for (DataFormat f : {kLast, kFirst}) {
            CAPTURE(p[0][0]);
            CAPTURE(p[0][1]);
            CAPTURE(p[1][0]);
            CAPTURE(p[1][1]);
            CAPTURE(to_string(f));
            const Tensor x = Tensor::random_uniform(f == kLast ? Shape{2, 3, 4, 3} : Shape{2, 3, 3, 4}, -1.0f, 1.0f,
                                                    seed++);
            CHECK(array_equal(zero_pad2d(x, p, f), naive_pad(x, p, f)));
        }
}

TEST_CASE("zero_pad2d matches the naive reference when running in parallel") {
    // 8 x 32 rows of 512 floats (NHWC) or 8 x 16 x 32 rows of 32 (NCHW): above the serial grain.
    for (DataFormat f : {kLast, kFirst}) {
        CAPTURE(to_string(f));
        const Tensor x = Tensor::random_uniform(f == kLast ? Shape{8, 32, 32, 16} : Shape{8, 16, 32, 32}, -1.0f,
                                                1.0f, 9);
        CHECK(array_equal(zero_pad2d(x, {{{2, 1}, {1, 3}}}, f), naive_pad(x, {{{2, 1}, {1, 3}}}, f)));
    }
}

TEST_CASE("zero_pad2d on an empty batch") {
    CHECK(zero_pad2d(Tensor::zeros({0, 2, 3, 4}), {{{1, 1}, {2, 0}}}).shape() == Shape{0, 4, 5, 4});
    CHECK(zero_pad2d(Tensor::zeros({0, 2, 3, 4}), {{{1, 1}, {2, 0}}}, kFirst).shape() == Shape{0, 2, 5, 6});
}

TEST_CASE("zero_pad2d gradient is the un-padded slice") {
    // y = zero_pad2d(x) * w with w = 0, 1, 2, ... over the padded [1, 3, 4, 1]: dL/dx is w at the copied places.
    const Tensor x({1, 2, 3, 4}, {1, 2, 2, 1});
    const Tensor w = Tensor::arange(12).reshape({1, 3, 4, 1});
    GradientTape tape;
    tape.watch(x);
    const Tensor loss = sum(mul(zero_pad2d(x, {{{1, 0}, {0, 2}}}), w));
    CHECK(array_equal(tape.gradient(loss, x), Tensor({4, 5, 8, 9}, {1, 2, 2, 1})));
}

TEST_CASE("zero_pad2d gradient check") {
    for (DataFormat f : {kLast, kFirst}) {
        CAPTURE(to_string(f));
        testing::check_gradients(
            "zero_pad2d", [f](const std::vector<Tensor>& in) { return zero_pad2d(in[0], {{{1, 2}, {0, 1}}}, f); },
            {testing::random_input(f == kLast ? Shape{2, 3, 2, 2} : Shape{2, 2, 3, 2}, 4)});
    }
}

TEST_CASE("zero_pad2d is differentiable twice") {
    // d/dx sum(zero_pad2d(x)^2) = 2x, whose gradient (of its sum) is 2 everywhere.
    const Tensor x = testing::random_input({1, 2, 3, 2}, 5);
    GradientTape outer;
    outer.watch(x);
    Tensor g;
    {
        GradientTape inner;
        inner.watch(x);
        g = inner.gradient(sum(square(zero_pad2d(x, {{{1, 0}, {2, 1}}}))), x);
    }
    CHECK(allclose(g, mul(x, 2.0f)));
    CHECK(array_equal(outer.gradient(sum(g), x), Tensor::full({1, 2, 3, 2}, 2.0f)));
}

TEST_CASE("zero_pad2d rejects bad shapes and padding") {
    CHECK_THROWS_WITH_AS(zero_pad2d(Tensor::zeros({2, 2, 1}), {{{1, 1}, {1, 1}}}),
                         doctest::Contains("zero_pad2d: expected a rank-4 input ([N,H,W,C] for channels_last), got "
                                           "shape [2,2,1]"),
                         ShapeError);
    CHECK_THROWS_WITH_AS(zero_pad2d(Tensor::zeros({1, 1, 2, 2, 1}), {{{1, 1}, {1, 1}}}, kFirst),
                         doctest::Contains("zero_pad2d: expected a rank-4 input ([N,C,H,W] for channels_first), got "
                                           "shape [1,1,2,2,1]"),
                         ShapeError);
    CHECK_THROWS_WITH_AS(zero_pad2d(Tensor::zeros({1, 2, 2, 1}), {{{1, -1}, {0, 2}}}),
                         doctest::Contains("zero_pad2d: padding must be >= 0, got ((1, -1), (0, 2))"), ValueError);
    CHECK_THROWS_WITH_AS(zero_pad2d(Tensor::zeros({1, 2, 2, 1}), {{{0, 0}, {-3, 0}}}),
                         doctest::Contains("zero_pad2d: padding must be >= 0, got ((0, 0), (-3, 0))"), ValueError);
}
