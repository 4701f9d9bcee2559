// Tests for softmax and log_softmax: hand-computed values, a naive double-precision formula on 2-D and 3-D
// inputs along every axis, stability for large inputs, empty axes, and first- and second-order gradients.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>

#include <kiln/kiln.hpp>

#include "support/gradcheck.hpp"

using namespace kiln;

namespace {

using UnaryFn = std::function<Tensor(const Tensor&)>;

void check_close(const Tensor& got, const Tensor& want, float rtol = 1e-5f, float atol = 1e-6f) {
    CHECK_MESSAGE(allclose(got, want, rtol, atol), cat("got ", got.shape(), " ", got.str(), "\nwant ", want.shape(),
                                                       " ", want.str()));
}

// exp(x) / sum(exp(x)) along `axis` straight from the definition, in double, with no max subtraction (so only
// for moderate inputs). Element f lies at position k = (f / inner) % n along the axis; its row starts at
// f - k * inner and steps by `inner`.
Tensor naive_softmax(const Tensor& x, int64_t axis, bool log_form) {
    const Shape& s = x.shape();
    const int64_t a = axis < 0 ? axis + s.rank() : axis;
    const int64_t n = s[a];
    int64_t inner = 1;
    for (int64_t i = a + 1; i < s.rank(); ++i) inner *= s[i];
    const float* p = x.data();
    std::vector<float> out(static_cast<size_t>(x.size()));
    for (int64_t f = 0; f < x.size(); ++f) {
        const int64_t base = f - (f / inner) % n * inner;
        double total = 0.0;
        for (int64_t j = 0; j < n; ++j) total += std::exp(static_cast<double>(p[base + j * inner]));
        const double y = std::exp(static_cast<double>(p[f])) / total;
        out[f] = static_cast<float>(log_form ? std::log(y) : y);
    }
    return Tensor(out, s);
}

void check_against_naive(const Tensor& x, int64_t axis) {
    INFO("shape ", x.shape(), " axis ", axis);
    check_close(softmax(x, axis), naive_softmax(x, axis, false), 1e-5f, 1e-7f);
    check_close(log_softmax(x, axis), naive_softmax(x, axis, true), 1e-5f, 1e-5f);
}

// dL/dx for L = sum(w * f(x)), with one tape.
Tensor first_order(const UnaryFn& f, const Tensor& x, const Tensor& w) {
    GradientTape tape;
    tape.watch(x);
    return tape.gradient(sum(mul(f(x), w)), x);
}

// d/dx sum(v * dL/dx) through nested tapes: the inner tape's backward pass is recorded by the outer one.
Tensor second_order(const UnaryFn& f, const Tensor& x, const Tensor& w, const Tensor& v) {
    GradientTape outer;
    outer.watch(x);
    Tensor g;
    {
        GradientTape inner;
        inner.watch(x);
        g = inner.gradient(sum(mul(f(x), w)), x);
    }
    return outer.gradient(sum(mul(g, v)), x);
}

// Compares second_order() with central differences of sum(v * first_order()) taken in the test.
void check_second_order(const char* name, const UnaryFn& f, const Shape& shape) {
    INFO(name);
    const Tensor x = testing::random_input(shape, 11, -2.0f, 2.0f);
    const Tensor w = testing::random_input(shape, 12, 0.5f, 1.5f);
    const Tensor v = testing::random_input(shape, 13, -1.0f, 1.0f);
    Tensor analytic;
    REQUIRE_NOTHROW(analytic = second_order(f, x, w, v));
    REQUIRE(analytic.shape() == shape);
    auto h = [&](const Tensor& at) {
        const Tensor g = first_order(f, at, w);
        double total = 0.0;
        for (int64_t i = 0; i < g.size(); ++i) total += static_cast<double>(g.data()[i]) * v.data()[i];
        return total;
    };
    const float eps = 1e-2f;
    float largest = 0.0f;
    for (int64_t i = 0; i < x.size(); ++i) {
        Tensor up = x.copy();
        Tensor down = x.copy();
        up.data()[i] += eps;
        down.data()[i] -= eps;
        const double numeric = (h(up) - h(down)) / (2.0 * eps);
        const double got = analytic.data()[i];
        CHECK_MESSAGE(std::fabs(got - numeric) <= 2e-3 + 2e-2 * std::fabs(numeric),
                      cat("element ", i, ": tapes give ", got, ", finite differences ", numeric));
        largest = std::max(largest, std::fabs(analytic.data()[i]));
    }
    CHECK(largest > 1e-2f);  // the check is not vacuous
}

}  // namespace

TEST_CASE("softmax: hand-computed values") {
    const Tensor x{0.0f, std::log(2.0f), std::log(3.0f)};
    check_close(softmax(x), Tensor{1.0f / 6, 2.0f / 6, 3.0f / 6});
    check_close(log_softmax(x), Tensor{-std::log(6.0f), std::log(2.0f / 6), std::log(3.0f / 6)});
    check_close(softmax(Tensor{5.0f}), Tensor{1.0f});

    // Rows: [0, ln 3] -> [1/4, 3/4]; [0, 0] -> [1/2, 1/2]. Columns of the same input: [0, 0] and [ln 3, 0].
    const Tensor m({0.0f, std::log(3.0f), 0.0f, 0.0f}, Shape{2, 2});
    check_close(softmax(m, 1), Tensor({0.25f, 0.75f, 0.5f, 0.5f}, Shape{2, 2}));
    check_close(softmax(m, -1), Tensor({0.25f, 0.75f, 0.5f, 0.5f}, Shape{2, 2}));
    check_close(softmax(m, 0), Tensor({0.5f, 0.75f, 0.5f, 0.25f}, Shape{2, 2}));
    check_close(log_softmax(m, 0),
                Tensor({std::log(0.5f), std::log(0.75f), std::log(0.5f), std::log(0.25f)}, Shape{2, 2}));
}

TEST_CASE("softmax: matches the naive formula along every axis of 2-D and 3-D inputs") {
    const Tensor m = testing::random_input(Shape{5, 7}, 21, -5.0f, 5.0f);
    for (int64_t axis : {0, 1, -1, -2}) check_against_naive(m, axis);
    const Tensor t = testing::random_input(Shape{3, 4, 5}, 22, -5.0f, 5.0f);
    for (int64_t axis : {0, 1, 2, -1, -2, -3}) check_against_naive(t, axis);
}

TEST_CASE("softmax: large inputs run in parallel and in column blocks") {
    // Inner sizes of 150 and 300 are not multiples of the kernel's column block.
    check_against_naive(testing::random_input(Shape{40, 10, 150}, 23, -5.0f, 5.0f), 1);
    check_against_naive(testing::random_input(Shape{300, 100}, 24, -5.0f, 5.0f), -1);
    check_against_naive(testing::random_input(Shape{100, 300}, 25, -5.0f, 5.0f), 0);
}

TEST_CASE("softmax: rows sum to one") {
    const Tensor x = testing::random_input(Shape{200, 100}, 26, -30.0f, 30.0f);
    check_close(sum(softmax(x, -1), {1}), Tensor::ones(Shape{200}), 0.0f, 1e-5f);
    check_close(sum(softmax(x, 0), {0}), Tensor::ones(Shape{100}), 0.0f, 1e-5f);
    check_close(sum(exp(log_softmax(x, 1)), {1}), Tensor::ones(Shape{200}), 0.0f, 1e-5f);
}

TEST_CASE("softmax: large inputs neither overflow nor underflow") {
    CHECK(array_equal(softmax(Tensor{1000.0f, 1000.0f}), Tensor{0.5f, 0.5f}));
    CHECK(array_equal(softmax(Tensor{-1000.0f, -1000.0f}), Tensor{0.5f, 0.5f}));
    CHECK(array_equal(softmax(Tensor{1000.0f, 0.0f}), Tensor{1.0f, 0.0f}));
    // [1000, 999] is [0, -1] shifted: 1 / (1 + e^-1) and e^-1 / (1 + e^-1).
    const float e1 = std::exp(-1.0f);
    check_close(softmax(Tensor{1000.0f, 999.0f}), Tensor{1.0f / (1.0f + e1), e1 / (1.0f + e1)});

    const Tensor ls = log_softmax(Tensor{0.0f, -1000.0f});
    CHECK(std::isfinite(ls.at({0})));
    CHECK(std::isfinite(ls.at({1})));
    check_close(ls, Tensor{0.0f, -1000.0f});
    check_close(log_softmax(Tensor{1000.0f, 1000.0f}), Tensor{-std::log(2.0f), -std::log(2.0f)});
    check_close(log_softmax(Tensor{-1000.0f, 0.0f, 1000.0f}), Tensor{-2000.0f, -1000.0f, 0.0f});

    const Tensor cols({1000.0f, -1000.0f, 1000.0f, -1000.0f}, Shape{2, 2});
    CHECK(array_equal(softmax(cols, 0), Tensor::full(Shape{2, 2}, 0.5f)));
    check_close(log_softmax(cols, 0), Tensor::full(Shape{2, 2}, -std::log(2.0f)));
}

TEST_CASE("softmax: empty axes give empty results, rank 0 and bad axes raise") {
    CHECK(softmax(Tensor::zeros(Shape{2, 0})).shape() == Shape{2, 0});
    CHECK(log_softmax(Tensor::zeros(Shape{2, 0}), 1).shape() == Shape{2, 0});
    CHECK(softmax(Tensor::zeros(Shape{0, 3}), 0).shape() == Shape{0, 3});
    CHECK(log_softmax(Tensor::zeros(Shape{0, 3}), -1).shape() == Shape{0, 3});

    const Tensor x = Tensor::zeros(Shape{2, 0});
    GradientTape tape(true);
    tape.watch(x);
    CHECK(tape.gradient(sum(softmax(x)), x).shape() == Shape{2, 0});
    CHECK(tape.gradient(sum(log_softmax(x)), x).shape() == Shape{2, 0});

    CHECK_THROWS_WITH_AS(softmax(Tensor::scalar(1.0f)),
                         doctest::Contains("softmax: axis -1 is out of range for rank 0"), ValueError);
    CHECK_THROWS_WITH_AS(log_softmax(Tensor::zeros(Shape{2, 3}), 2),
                         doctest::Contains("log_softmax: axis 2 is out of range for rank 2"), ValueError);
}

TEST_CASE("softmax: gradients match finite differences on several axes") {
    using testing::check_gradients;
    const Tensor m = testing::random_input(Shape{3, 4}, 31, -2.0f, 2.0f);
    const Tensor t = testing::random_input(Shape{2, 3, 4}, 32, -2.0f, 2.0f);
    for (int64_t axis : {0, 1, -1}) {
        INFO("axis ", axis);
        check_gradients("softmax", [axis](const std::vector<Tensor>& in) { return softmax(in[0], axis); }, {m});
        check_gradients("log_softmax", [axis](const std::vector<Tensor>& in) { return log_softmax(in[0], axis); },
                        {m});
    }
    for (int64_t axis : {0, 1, 2}) {
        INFO("axis ", axis);
        check_gradients("softmax 3-D", [axis](const std::vector<Tensor>& in) { return softmax(in[0], axis); }, {t});
        check_gradients("log_softmax 3-D",
                        [axis](const std::vector<Tensor>& in) { return log_softmax(in[0], axis); }, {t});
    }
}

TEST_CASE("softmax: second-order gradients through nested tapes match finite differences") {
    check_second_order("softmax axis -1", [](const Tensor& x) { return softmax(x, -1); }, Shape{3, 4});
    check_second_order("softmax axis 0", [](const Tensor& x) { return softmax(x, 0); }, Shape{3, 4});
    check_second_order("log_softmax axis 1", [](const Tensor& x) { return log_softmax(x, 1); }, Shape{2, 3, 4});
}
