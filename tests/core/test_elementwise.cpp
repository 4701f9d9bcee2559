// Elementwise ops: values by hand, broadcasting both ways, degenerate shapes, gradients, errors.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include <cmath>

#include "support/gradcheck.hpp"

using namespace kiln;
using kiln::testing::check_gradients;
using kiln::testing::random_input;

namespace {
std::vector<float> values(const Tensor& t) { return t.to_vector(); }
}  // namespace

TEST_CASE("elementwise: binary ops on equal shapes, by hand") {
    Tensor a{1.0f, -2.0f, 3.0f};
    Tensor b{4.0f, 5.0f, -6.0f};
    CHECK(values(a + b) == std::vector<float>{5, 3, -3});
    CHECK(values(a - b) == std::vector<float>{-3, -7, 9});
    CHECK(values(a * b) == std::vector<float>{4, -10, -18});
    CHECK(values(a / b) == std::vector<float>{0.25f, -0.4f, -0.5f});
    CHECK(values(maximum(a, b)) == std::vector<float>{4, 5, 3});
    CHECK(values(minimum(a, b)) == std::vector<float>{1, -2, -6});
}

TEST_CASE("elementwise: broadcasting in both directions") {
    Tensor col({1, 2}, {2, 1});
    Tensor row({10, 20, 30}, {1, 3});
    Tensor sum_ = col + row;
    CHECK(sum_.shape() == Shape{2, 3});
    CHECK(values(sum_) == std::vector<float>{11, 21, 31, 12, 22, 32});
    CHECK(values(row - col) == std::vector<float>{9, 19, 29, 8, 18, 28});
    Tensor vec{1.0f, 2.0f, 3.0f};
    Tensor mat = Tensor::arange(6).reshape({2, 3});
    CHECK(values(mat * vec) == std::vector<float>{0, 2, 6, 3, 8, 15});
    CHECK(values(vec * mat) == std::vector<float>{0, 2, 6, 3, 8, 15});
    Tensor scalar = Tensor::scalar(2.0f);
    CHECK(values(mat / scalar) == std::vector<float>{0, 0.5f, 1, 1.5f, 2, 2.5f});
    // A size-1 middle axis and a rank-3 result.
    Tensor a = Tensor::arange(4).reshape({2, 1, 2});
    Tensor b = Tensor::arange(3).reshape({3, 1});
    Tensor c = a + b;
    CHECK(c.shape() == Shape{2, 3, 2});
    CHECK(values(c) == std::vector<float>{0, 1, 1, 2, 2, 3, 2, 3, 3, 4, 4, 5});
}

TEST_CASE("elementwise: degenerate shapes") {
    CHECK((Tensor::zeros({0, 3}) + Tensor{1.0f, 2.0f, 3.0f}).shape() == Shape{0, 3});
    CHECK((Tensor::ones({1, 1}) + Tensor::ones({1})).shape() == Shape{1, 1});
    CHECK((Tensor::scalar(1.0f) * Tensor::scalar(3.0f)).item() == 3.0f);
    CHECK(exp(Tensor::zeros({0})).size() == 0);
}

TEST_CASE("elementwise: broadcasting errors name the op and the shapes") {
    CHECK_THROWS_WITH_AS(Tensor::ones({2, 3}) + Tensor::ones({2}),
                         doctest::Contains("add: shapes cannot be broadcast together: [2,3] and [2]"), ShapeError);
    CHECK_THROWS_WITH_AS(mul(Tensor::ones({4}), Tensor::ones({3})), doctest::Contains("mul: shapes cannot be broadcast"),
                         ShapeError);
    CHECK_THROWS_WITH_AS(clip(Tensor{1.0f}, 2.0f, 1.0f), doctest::Contains("clip: lo must be <= hi, got lo=2 hi=1"),
                         ValueError);
}

TEST_CASE("elementwise: unary ops, by hand") {
    Tensor x{-2.0f, 0.0f, 0.5f, 4.0f};
    CHECK(values(-x) == std::vector<float>{2, -0.0f, -0.5f, -4});
    CHECK(values(square(x)) == std::vector<float>{4, 0, 0.25f, 16});
    CHECK(values(abs(x)) == std::vector<float>{2, 0, 0.5f, 4});
    CHECK(values(relu(x)) == std::vector<float>{0, 0, 0.5f, 4});
    CHECK(values(leaky_relu(x, 0.1f)) == std::vector<float>{-0.2f, 0, 0.5f, 4});
    CHECK(values(clip(x, -1.0f, 1.0f)) == std::vector<float>{-1, 0, 0.5f, 1});
    CHECK(values(sqrt(Tensor{4.0f, 0.25f})) == std::vector<float>{2, 0.5f});
    CHECK(values(rsqrt(Tensor{4.0f, 0.25f})) == std::vector<float>{0.5f, 2});
    CHECK(values(pow(Tensor{2.0f, 3.0f}, 3.0f)) == std::vector<float>{8, 27});
    CHECK(values(x + 1.0f) == std::vector<float>{-1, 1, 1.5f, 5});
    CHECK(values(1.0f - x) == std::vector<float>{3, 1, 0.5f, -3});
    CHECK(values(2.0f / Tensor{4.0f, -0.5f}) == std::vector<float>{0.5f, -4});
    CHECK(exp(Tensor{1.0f}).item() == doctest::Approx(2.718281828));
    CHECK(log(Tensor{std::exp(2.0f)}).item() == doctest::Approx(2.0));
    CHECK(tanh(Tensor{0.5f}).item() == doctest::Approx(std::tanh(0.5)));
    CHECK(elu(Tensor{-1.0f, 2.0f}, 2.0f).at({0}) == doctest::Approx(2.0 * (std::exp(-1.0) - 1.0)));
    CHECK(elu(Tensor{-1.0f, 2.0f}, 2.0f).at({1}) == 2.0f);
}

TEST_CASE("elementwise: sigmoid is exact at 0 and stable far from it") {
    Tensor s = sigmoid(Tensor{0.0f, 2.0f, -100.0f, 100.0f});
    CHECK(s.at({0}) == 0.5f);
    CHECK(s.at({1}) == doctest::Approx(1.0 / (1.0 + std::exp(-2.0))));
    CHECK(s.at({2}) >= 0.0f);
    CHECK(s.at({2}) < 1e-30f);
    CHECK(s.at({3}) == 1.0f);
}

TEST_CASE("elementwise: sum_to_shape is the adjoint of broadcasting") {
    Tensor g = Tensor::arange(6).reshape({2, 3});
    CHECK(values(sum_to_shape(g, {1, 3})) == std::vector<float>{3, 5, 7});
    CHECK(values(sum_to_shape(g, {3})) == std::vector<float>{3, 5, 7});
    CHECK(values(sum_to_shape(g, {2, 1})) == std::vector<float>{3, 12});
    CHECK(sum_to_shape(g, {}).item() == 15.0f);
    CHECK_THROWS_AS(sum_to_shape(g, {4}), ShapeError);
}

TEST_CASE("elementwise: gradient checks of binary ops with broadcasting") {
    const Tensor a = random_input({3, 4}, 1);
    const Tensor row = random_input({1, 4}, 2);
    const Tensor col = random_input({3, 1}, 3);
    const Tensor away_from_zero = random_input({1, 4}, 4, 0.5f, 2.0f);
    check_gradients("add", [](auto& x) { return add(x[0], x[1]); }, {a, row});
    check_gradients("sub", [](auto& x) { return sub(x[0], x[1]); }, {col, a});
    check_gradients("mul", [](auto& x) { return mul(x[0], x[1]); }, {a, col});
    check_gradients("div", [](auto& x) { return div(x[0], x[1]); }, {a, away_from_zero});
    // Distinct values so no finite-difference step crosses a tie.
    const Tensor b = add(random_input({3, 4}, 5), 3.0f);
    check_gradients("maximum", [](auto& x) { return maximum(x[0], x[1]); }, {a, b * 0.0f + row * 2.0f});
    check_gradients("minimum", [](auto& x) { return minimum(x[0], x[1]); }, {a, row * -1.5f});
}

TEST_CASE("elementwise: gradient checks of unary ops") {
    const Tensor x = random_input({2, 5}, 11);
    const Tensor positive = random_input({2, 5}, 12, 0.5f, 2.0f);
    // Values away from the kinks at 0 (relu, abs, leaky_relu, elu) and from the clip bounds.
    const Tensor no_kink = where(greater(x, Tensor::scalar(0.0f)), x + 0.1f, x - 0.1f);
    check_gradients("neg", [](auto& v) { return neg(v[0]); }, {x});
    check_gradients("square", [](auto& v) { return square(v[0]); }, {x});
    check_gradients("sqrt", [](auto& v) { return sqrt(v[0]); }, {positive});
    check_gradients("rsqrt", [](auto& v) { return rsqrt(v[0]); }, {positive});
    check_gradients("exp", [](auto& v) { return exp(v[0]); }, {x});
    check_gradients("log", [](auto& v) { return log(v[0]); }, {positive});
    check_gradients("abs", [](auto& v) { return abs(v[0]); }, {no_kink});
    check_gradients("pow", [](auto& v) { return pow(v[0], 2.5f); }, {positive});
    check_gradients("add_scalar", [](auto& v) { return v[0] + 2.0f; }, {x});
    check_gradients("mul_scalar", [](auto& v) { return v[0] * -3.0f; }, {x});
    check_gradients("clip", [](auto& v) { return clip(v[0], -0.55f, 0.45f); }, {no_kink});
    check_gradients("relu", [](auto& v) { return relu(v[0]); }, {no_kink});
    check_gradients("leaky_relu", [](auto& v) { return leaky_relu(v[0], 0.2f); }, {no_kink});
    check_gradients("elu", [](auto& v) { return elu(v[0], 1.5f); }, {no_kink});
    check_gradients("sigmoid", [](auto& v) { return sigmoid(v[0]); }, {x * 3.0f});
    check_gradients("tanh", [](auto& v) { return tanh(v[0]); }, {x * 2.0f});
}

TEST_CASE("elementwise: gradients at ties and kinks follow the documented convention") {
    Tensor a{1.0f, 2.0f};
    Tensor b{1.0f, 3.0f};
    GradientTape tape(true);
    tape.watch(a);
    tape.watch(b);
    auto g = tape.gradient(maximum(a, b), std::vector<Tensor>{a, b});
    CHECK(values(g[0]) == std::vector<float>{1, 0});  // the tie goes to a
    CHECK(values(g[1]) == std::vector<float>{0, 1});
    Tensor z{0.0f};
    GradientTape t2;
    t2.watch(z);
    CHECK(t2.gradient(relu(z) + abs(z), z).item() == 0.0f);
}

TEST_CASE("elementwise: second derivatives through composite backward passes") {
    // d2/dx2 of sigmoid(x) = s(1-s)(1-2s); of tanh: -2 t (1 - t^2); of exp: exp.
    Tensor x{0.3f};
    const double s = 1.0 / (1.0 + std::exp(-0.3));
    const double t = std::tanh(0.3);
    GradientTape outer(true);
    outer.watch(x);
    Tensor ds, dt, de;
    {
        GradientTape inner(true);
        inner.watch(x);
        Tensor ys = sigmoid(x), yt = tanh(x), ye = exp(x);
        ds = inner.gradient(ys, x);
        dt = inner.gradient(yt, x);
        de = inner.gradient(ye, x);
    }
    CHECK(outer.gradient(ds, x).item() == doctest::Approx(s * (1 - s) * (1 - 2 * s)).epsilon(1e-5));
    CHECK(outer.gradient(dt, x).item() == doctest::Approx(-2 * t * (1 - t * t)).epsilon(1e-5));
    CHECK(outer.gradient(de, x).item() == doctest::Approx(std::exp(0.3)).epsilon(1e-5));
}

TEST_CASE("elementwise: relu propagates NaN and has a second derivative through its fused backward") {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const Tensor y = relu(Tensor{nan, -1.0f, 2.0f});
    CHECK(std::isnan(y.data()[0]));
    CHECK(y.data()[1] == 0.0f);
    CHECK(y.data()[2] == 2.0f);
    // f = sum(relu(x) * x): df/dx = 2x where x > 0, else 0; d2f/dx2 = 2 where x > 0, else 0.
    Tensor x{-1.5f, 0.5f, 3.0f};
    GradientTape outer;
    outer.watch(x);
    Tensor first;
    {
        GradientTape inner;
        inner.watch(x);
        first = inner.gradient(sum(mul(relu(x), x)), x);
    }
    CHECK(values(first) == std::vector<float>{0.0f, 1.0f, 6.0f});
    CHECK(values(outer.gradient(first, x)) == std::vector<float>{0.0f, 2.0f, 2.0f});
}
