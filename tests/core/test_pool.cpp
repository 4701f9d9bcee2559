// Tests for max_pool2d and avg_pool2d: hand-computed cases, a plain-loop reference, gradients and errors.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include <kiln/kiln.hpp>

#include "support/gradcheck.hpp"

using namespace kiln;

namespace {

using Pair = std::array<int64_t, 2>;
constexpr DataFormat kLast = DataFormat::channels_last;
constexpr DataFormat kFirst = DataFormat::channels_first;

// Pooling straight from the TensorFlow definition: explicit output size and padding formulas, every window
// visited element by element through Tensor::at, padded positions skipped. With `grad_out` (max only), adds each
// output's gradient at its window's first maximum into *grad_in (x's shape, zeros).
Tensor naive_pool(const Tensor& x, bool is_max, Pair k, Pair s, Padding padding, DataFormat format,
                  const Tensor* grad_out = nullptr, Tensor* grad_in = nullptr) {
    const bool last = format == kLast;
    const int64_t batch = x.dim(0), channels = last ? x.dim(3) : x.dim(1);
    const Pair in{last ? x.dim(1) : x.dim(2), last ? x.dim(2) : x.dim(3)};
    Pair out{}, pad{};
    for (size_t i = 0; i < 2; ++i) {
        if (padding == Padding::valid) {
            out[i] = (in[i] - k[i]) / s[i] + 1;
        } else {
            out[i] = (in[i] + s[i] - 1) / s[i];
            pad[i] = std::max<int64_t>(0, (out[i] - 1) * s[i] + k[i] - in[i]) / 2;
        }
    }
    Tensor y = Tensor::zeros(last ? Shape{batch, out[0], out[1], channels} : Shape{batch, channels, out[0], out[1]});
    for (int64_t n = 0; n < batch; ++n)
        for (int64_t c = 0; c < channels; ++c)
            for (int64_t oy = 0; oy < out[0]; ++oy)
                for (int64_t ox = 0; ox < out[1]; ++ox) {
                    float best = -std::numeric_limits<float>::infinity();
                    Pair best_at{-1, -1};
                    double total = 0.0;
                    int count = 0;
                    for (int64_t dy = 0; dy < k[0]; ++dy)
                        for (int64_t dx = 0; dx < k[1]; ++dx) {
                            const int64_t iy = oy * s[0] - pad[0] + dy, ix = ox * s[1] - pad[1] + dx;
                            if (iy < 0 || iy >= in[0] || ix < 0 || ix >= in[1]) continue;
                            const float v = last ? x.at({n, iy, ix, c}) : x.at({n, c, iy, ix});
                            if (best_at[0] < 0 || v > best) best_at = {iy, ix};
                            best = std::max(best, v);
                            total += v;
                            ++count;
                        }
                    const float result = is_max ? best : static_cast<float>(total / count);
                    (last ? y.at({n, oy, ox, c}) : y.at({n, c, oy, ox})) = result;
                    if (grad_out != nullptr) {
                        const float g = last ? grad_out->at({n, oy, ox, c}) : grad_out->at({n, c, oy, ox});
                        (last ? grad_in->at({n, best_at[0], best_at[1], c}) : grad_in->at({n, c, best_at[0], best_at[1]})) += g;
                    }
                }
    return y;
}

// A 1-image, 1-channel tensor from rows of values, in either layout.
Tensor image(std::vector<float> values, int64_t h, int64_t w, DataFormat format = kLast) {
    return Tensor(std::move(values), format == kLast ? Shape{1, h, w, 1} : Shape{1, 1, h, w});
}

// The values 0, step, 2*step, ... in a fixed random order: distinct and well separated, so finite differences
// never cross a tie.
Tensor distinct_values(const Shape& shape, uint64_t seed, float step = 0.05f) {
    std::vector<float> v(static_cast<size_t>(shape.numel()));
    std::iota(v.begin(), v.end(), 0.0f);
    std::shuffle(v.begin(), v.end(), std::mt19937_64(seed));
    for (float& e : v) e *= step;
    return Tensor(std::move(v), shape);
}

void check_close(const Tensor& got, const Tensor& want) {
    CHECK_MESSAGE(allclose(got, want, 1e-5f, 1e-6f), cat("got ", got.shape(), "\n", got, "\nwant ", want.shape(),
                                                         "\n", want));
}

}  // namespace

TEST_CASE("max_pool2d and avg_pool2d: 2x2 windows on a 4x4 image, hand-computed") {
    // 0  1  2  3
    // 4  5  6  7
    // 8  9 10 11
    // 12 13 14 15
    std::vector<float> v(16);
    std::iota(v.begin(), v.end(), 0.0f);
    for (DataFormat f : {kLast, kFirst}) {
        CAPTURE(to_string(f));
        const Tensor x = image(v, 4, 4, f);
        const Pool2DOptions o{.data_format = f};
        check_close(max_pool2d(x, o), image({5, 7, 13, 15}, 2, 2, f));
        // (0+1+4+5)/4, (2+3+6+7)/4, (8+9+12+13)/4, (10+11+14+15)/4
        check_close(avg_pool2d(x, o), image({2.5f, 4.5f, 10.5f, 12.5f}, 2, 2, f));
    }
}

TEST_CASE("avg_pool2d 'same' divides by the non-padded count, hand-computed") {
    SUBCASE("pool 2, stride 1 on 3x3: one padded row and column after") {
        // 1 2 3 / 4 5 6 / 7 8 9. Right column windows see 2 elements, the corner 1.
        const Tensor x = image({1, 2, 3, 4, 5, 6, 7, 8, 9}, 3, 3);
        const Tensor want = image({3, 4, 4.5f, 6, 7, 7.5f, 7.5f, 8.5f, 9}, 3, 3);
        check_close(avg_pool2d(x, {.pool_size = {2, 2}, .strides = {1, 1}, .padding = Padding::same}), want);
    }
    SUBCASE("pool 3, stride 2 on 5x5: one padded row and column on each side") {
        // x[y][x] = 5y + x. Window rows (and columns) are {0,1}, {1,2,3}, {3,4}.
        std::vector<float> v(25);
        std::iota(v.begin(), v.end(), 0.0f);
        // e.g. top-left (0+1+5+6)/4 = 3, top-middle (1+2+3+6+7+8)/6 = 4.5, centre 12
        const Tensor want = image({3, 4.5f, 6, 10.5f, 12, 13.5f, 18, 19.5f, 21}, 3, 3);
        check_close(avg_pool2d(image(v, 5, 5), {.pool_size = {3, 3}, .strides = {2, 2}, .padding = Padding::same}),
                    want);
    }
}

TEST_CASE("max_pool2d 'same' ignores padded positions, hand-computed") {
    SUBCASE("negative values: zero padding would win if it counted") {
        // -1 -2 -3 / -4 -5 -6 / -7 -8 -9 with pool 2, stride 1: each window's top-left element is its maximum.
        const Tensor x = image({-1, -2, -3, -4, -5, -6, -7, -8, -9}, 3, 3);
        check_close(max_pool2d(x, {.pool_size = {2, 2}, .strides = {1, 1}, .padding = Padding::same}), x);
    }
    SUBCASE("pool 3, stride 2 on 5x5") {
        std::vector<float> v(25);
        std::iota(v.begin(), v.end(), 0.0f);
        const Tensor want = image({6, 8, 9, 16, 18, 19, 21, 23, 24}, 3, 3);
        check_close(max_pool2d(image(v, 5, 5), {.pool_size = {3, 3}, .strides = {2, 2}, .padding = Padding::same}),
                    want);
    }
}

TEST_CASE("max_pool2d and avg_pool2d match a naive reference in NHWC and NCHW") {
    struct Case {
        int64_t h, w;
        Pair pool, strides;
        Padding padding;
    };
    const Case cases[] = {
        {7, 7, {3, 3}, {2, 2}, Padding::same},   // padding total 2: one before, one after
        {6, 8, {3, 3}, {2, 2}, Padding::same},   // padding total 1 on both axes: all after
        {5, 6, {4, 4}, {1, 1}, Padding::same},   // padding totals 3: one before, two after
        {7, 9, {2, 3}, {1, 2}, Padding::valid},  // non-square pool and strides
        {7, 9, {2, 3}, {1, 2}, Padding::same},
        {8, 8, {2, 2}, {3, 3}, Padding::valid},  // stride larger than the pool: some inputs unused
        {8, 7, {2, 2}, {3, 3}, Padding::same},
        {5, 5, {5, 5}, {1, 1}, Padding::valid},  // one window covering the image
        {4, 5, {1, 1}, {1, 1}, Padding::valid},  // identity
    };
    uint64_t seed = 1;
    for (const Case& c : cases) {
        for (DataFormat f : {kLast, kFirst}) {
            CAPTURE(c.h);
            CAPTURE(c.w);
            CAPTURE(c.pool[0]);
            CAPTURE(c.pool[1]);
            CAPTURE(c.strides[0]);
            CAPTURE(c.strides[1]);
            CAPTURE(to_string(c.padding));
            CAPTURE(to_string(f));
            const Shape shape = f == kLast ? Shape{2, c.h, c.w, 3} : Shape{2, 3, c.h, c.w};
            const Tensor x = Tensor::random_uniform(shape, -2.0f, 2.0f, seed++);
            const Pool2DOptions o{c.pool, c.strides, c.padding, f};
            check_close(max_pool2d(x, o), naive_pool(x, true, c.pool, c.strides, c.padding, f));
            check_close(avg_pool2d(x, o), naive_pool(x, false, c.pool, c.strides, c.padding, f));
            // max's gradient: overlapping windows add up, inputs no window covers get 0.
            GradientTape tape;
            tape.watch(x);
            const Tensor y = max_pool2d(x, o);
            const Tensor dy = Tensor::random_uniform(y.shape(), -1.0f, 1.0f, seed++);
            Tensor dx = Tensor::zeros(x.shape());
            naive_pool(x, true, c.pool, c.strides, c.padding, f, &dy, &dx);
            check_close(tape.gradient(y, std::vector<Tensor>{x}, dy)[0], dx);
        }
    }
}

TEST_CASE("max_pool2d and avg_pool2d match the naive reference when running in parallel") {
    // 8 x 16 planes of 32x32: well above the serial grain, so the planes are split across threads.
    for (DataFormat f : {kLast, kFirst}) {
        CAPTURE(to_string(f));
        const Tensor x = Tensor::random_uniform(f == kLast ? Shape{8, 32, 32, 16} : Shape{8, 16, 32, 32}, -1.0f,
                                                1.0f, 21);
        const Pool2DOptions o{.pool_size = {3, 3}, .strides = {2, 2}, .padding = Padding::same, .data_format = f};
        check_close(max_pool2d(x, o), naive_pool(x, true, {3, 3}, {2, 2}, Padding::same, f));
        check_close(avg_pool2d(x, o), naive_pool(x, false, {3, 3}, {2, 2}, Padding::same, f));

        // Backward with disjoint 2x2 windows: avg gives 1/4 everywhere; max gives a single 1 per window, at the
        // window's maximum, so sum(gradient * x) is the sum of the pooled maxima.
        GradientTape tape(true);
        tape.watch(x);
        const Tensor ymax = max_pool2d(x, {.data_format = f});
        const Tensor yavg = avg_pool2d(x, {.data_format = f});
        CHECK(array_equal(tape.gradient(yavg, x), Tensor::full(x.shape(), 0.25f)));
        const Tensor gmax = tape.gradient(ymax, x);
        CHECK(allclose(mul(gmax, add(gmax, -1.0f)), Tensor::zeros(x.shape())));  // only 0s and 1s
        CHECK(sum(gmax).item() == doctest::Approx(static_cast<double>(ymax.size())));
        CHECK(sum(mul(gmax, x)).item() == doctest::Approx(sum(ymax).item()).epsilon(1e-5));
    }
}

TEST_CASE("max_pool2d and avg_pool2d strides default to pool_size") {
    const Tensor x = Tensor::random_uniform({1, 6, 7, 2}, -1.0f, 1.0f, 11);
    SUBCASE("Pool2DOptions{} is a 2x2 pool with stride 2") {
        check_close(max_pool2d(x), naive_pool(x, true, {2, 2}, {2, 2}, Padding::valid, kLast));
        check_close(avg_pool2d(x), naive_pool(x, false, {2, 2}, {2, 2}, Padding::valid, kLast));
    }
    SUBCASE("strides {0, 0} with pool {3, 2}") {
        const Pool2DOptions o{.pool_size = {3, 2}};
        CHECK(max_pool2d(x, o).shape() == Shape{1, 2, 3, 2});
        check_close(max_pool2d(x, o), naive_pool(x, true, {3, 2}, {3, 2}, Padding::valid, kLast));
        check_close(avg_pool2d(x, o), naive_pool(x, false, {3, 2}, {3, 2}, Padding::valid, kLast));
    }
    SUBCASE("a zero stride on one axis only") {
        const Pool2DOptions o{.pool_size = {3, 2}, .strides = {0, 1}, .padding = Padding::same};
        check_close(avg_pool2d(x, o), naive_pool(x, false, {3, 2}, {3, 1}, Padding::same, kLast));
    }
}

TEST_CASE("max_pool2d sends the gradient to the first maximum at ties") {
    //  3 3 | 1 2
    //  3 0 | 2 2   left window: three 3s, the first is (0,0); right window: three 2s, the first is (0,3).
    for (DataFormat f : {kLast, kFirst}) {
        CAPTURE(to_string(f));
        const Tensor x = image({3, 3, 1, 2, 3, 0, 2, 2}, 2, 4, f);
        GradientTape tape;
        tape.watch(x);
        const Tensor y = max_pool2d(x, {.data_format = f});
        check_close(y, image({3, 2}, 1, 2, f));
        check_close(tape.gradient(y, x), image({1, 0, 0, 1, 0, 0, 0, 0}, 2, 4, f));
    }
}

TEST_CASE("max_pool2d propagates NaN like max") {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const Tensor y = max_pool2d(image({1, nan, 2, 3, 4, 5, 6, 7}, 2, 4));
    CHECK(std::isnan(y.at({0, 0, 0, 0})));
    CHECK(y.at({0, 0, 1, 0}) == 7.0f);
}

TEST_CASE("avg_pool2d gradient counts only the valid elements at borders, hand-computed") {
    // 3x3, pool 2, stride 1, 'same': window counts are 4 4 2 / 4 4 2 / 2 2 1. The gradient of sum(y) at an input
    // is the sum of 1/count over the windows containing it, e.g. bottom-right: 1/4 + 1/2 + 1/2 + 1 = 2.25.
    const Tensor x = image({1, 2, 3, 4, 5, 6, 7, 8, 9}, 3, 3);
    GradientTape tape;
    tape.watch(x);
    const Tensor y = avg_pool2d(x, {.pool_size = {2, 2}, .strides = {1, 1}, .padding = Padding::same});
    check_close(tape.gradient(y, x), image({0.25f, 0.5f, 0.75f, 0.5f, 1.0f, 1.5f, 0.75f, 1.5f, 2.25f}, 3, 3));
}

TEST_CASE("max_pool2d and avg_pool2d on an empty batch") {
    for (DataFormat f : {kLast, kFirst}) {
        CAPTURE(to_string(f));
        const Tensor x = Tensor::zeros(f == kLast ? Shape{0, 5, 5, 2} : Shape{0, 2, 5, 5});
        const Shape want = f == kLast ? Shape{0, 3, 3, 2} : Shape{0, 2, 3, 3};
        const Pool2DOptions o{.pool_size = {3, 3}, .strides = {2, 2}, .padding = Padding::same, .data_format = f};
        GradientTape tape(true);
        tape.watch(x);
        const Tensor ymax = max_pool2d(x, o);
        const Tensor yavg = avg_pool2d(x, o);
        CHECK(ymax.shape() == want);
        CHECK(yavg.shape() == want);
        CHECK(tape.gradient(ymax, x).shape() == x.shape());
        CHECK(tape.gradient(yavg, x).shape() == x.shape());
    }
}

TEST_CASE("max_pool2d gradient check") {
    SUBCASE("NHWC, pool 3, stride 2, 'same'") {
        testing::check_gradients(
            "max_pool2d",
            [](const std::vector<Tensor>& in) {
                return max_pool2d(in[0], {.pool_size = {3, 3}, .strides = {2, 2}, .padding = Padding::same});
            },
            {distinct_values({2, 5, 5, 3}, 1)});
    }
    SUBCASE("NCHW, non-square pool and strides, 'valid'") {
        testing::check_gradients(
            "max_pool2d",
            [](const std::vector<Tensor>& in) {
                return max_pool2d(in[0], {.pool_size = {2, 3}, .strides = {1, 2}, .data_format = kFirst});
            },
            {distinct_values({2, 3, 5, 7}, 2)});
    }
}

TEST_CASE("avg_pool2d gradient check") {
    for (DataFormat f : {kLast, kFirst}) {
        CAPTURE(to_string(f));
        const Shape shape = f == kLast ? Shape{2, 6, 5, 3} : Shape{2, 3, 6, 5};
        testing::check_gradients(
            "avg_pool2d",
            [f](const std::vector<Tensor>& in) {
                return avg_pool2d(in[0], {.pool_size = {3, 2}, .strides = {2, 2}, .padding = Padding::same,
                                          .data_format = f});
            },
            {testing::random_input(shape, 3)});
    }
}

TEST_CASE("max_pool2d and avg_pool2d: a second-order gradient raises NotImplementedError") {
    const Tensor x = distinct_values({1, 4, 4, 1}, 5);
    for (bool is_max : {true, false}) {
        CAPTURE(is_max);
        GradientTape outer;
        outer.watch(x);
        Tensor g;
        {
            GradientTape inner;
            inner.watch(x);
            const Tensor y = is_max ? max_pool2d(x) : avg_pool2d(x);
            g = inner.gradient(sum(square(y)), x);
        }
        CHECK_THROWS_AS(outer.gradient(sum(g), x), NotImplementedError);
    }
}

TEST_CASE("max_pool2d and avg_pool2d reject bad shapes and options") {
    const Tensor x = Tensor::zeros({1, 4, 4, 1});
    CHECK_THROWS_WITH_AS(max_pool2d(Tensor::zeros({4, 4, 1})),
                         doctest::Contains("max_pool2d: expected a rank-4 input ([N,H,W,C] for channels_last), "
                                           "got shape [4,4,1]"),
                         ShapeError);
    CHECK_THROWS_WITH_AS(avg_pool2d(Tensor::zeros({1, 1, 4, 4, 1}), {.data_format = kFirst}),
                         doctest::Contains("avg_pool2d: expected a rank-4 input ([N,C,H,W] for channels_first), "
                                           "got shape [1,1,4,4,1]"),
                         ShapeError);
    CHECK_THROWS_WITH_AS(max_pool2d(x, {.pool_size = {0, 2}}),
                         doctest::Contains("max_pool2d: pool_size must be >= 1, got (0, 2)"), ValueError);
    CHECK_THROWS_WITH_AS(avg_pool2d(x, {.pool_size = {2, -1}}),
                         doctest::Contains("avg_pool2d: pool_size must be >= 1, got (2, -1)"), ValueError);
    CHECK_THROWS_WITH_AS(max_pool2d(x, {.strides = {-1, 1}}),
                         doctest::Contains("max_pool2d: strides must be >= 0 (0 means pool_size), got (-1, 1)"),
                         ValueError);
    CHECK_THROWS_WITH_AS(avg_pool2d(x, {.strides = {1, -2}}),
                         doctest::Contains("avg_pool2d: strides must be >= 0 (0 means pool_size), got (1, -2)"),
                         ValueError);
    CHECK_THROWS_WITH_AS(max_pool2d(x, {.pool_size = {5, 2}}),
                         doctest::Contains("max_pool2d: window of size 5 (kernel 5, dilation 1) does not fit input "
                                           "size 4 with padding 'valid'"),
                         ShapeError);
    CHECK_THROWS_WITH_AS(avg_pool2d(x, {.pool_size = {2, 5}}),
                         doctest::Contains("avg_pool2d: window of size 5 (kernel 5, dilation 1) does not fit input "
                                           "size 4 with padding 'valid'"),
                         ShapeError);
}
