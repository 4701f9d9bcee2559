// Tests for erf: values against a series written here, symmetry, and first and second derivatives.
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>

#include <kiln/core/ops/special.hpp>
#include <kiln/kiln.hpp>

#include "support/gradcheck.hpp"

using namespace kiln;

namespace {

// erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1)), enough terms for |x| <= 2.
double erf_series(double x) {
    double term = x, total = 0.0;
    for (int n = 0; n < 60; ++n) {
        total += term / (2 * n + 1);
        term *= -x * x / (n + 1);
    }
    return 2.0 / std::sqrt(std::numbers::pi) * total;
}

}  // namespace

TEST_CASE("erf: values from the Maclaurin series, odd symmetry and the limits") {
    const Tensor x{-2.0f, -0.5f, 0.0f, 0.3f, 1.0f, 2.0f};
    const Tensor y = erf(x);
    for (int64_t i = 0; i < x.size(); ++i) CHECK(y.at({i}) == doctest::Approx(erf_series(x.at({i}))).epsilon(1e-6));
    CHECK(y.at({1}) == -erf(Tensor{0.5f}).at({0}));
    const Tensor far = erf(Tensor{-10.0f, 10.0f});
    CHECK(far.at({0}) == -1.0f);
    CHECK(far.at({1}) == 1.0f);
}

TEST_CASE("erf: gradient by finite differences and the second derivative -2x * erf'(x)") {
    testing::check_gradients("erf", [](const std::vector<Tensor>& in) { return erf(in[0]); },
                             {testing::random_input({3, 4}, 11, -2.0f, 2.0f)});
    const Tensor x{0.7f};
    GradientTape outer;
    outer.watch(x);
    Tensor first;
    {
        GradientTape inner;
        inner.watch(x);
        first = inner.gradient(erf(x), x);
    }
    const Tensor second = outer.gradient(first, x);
    const double d1 = 2.0 / std::sqrt(std::numbers::pi) * std::exp(-0.49);
    CHECK(first.at({0}) == doctest::Approx(d1));
    CHECK(second.at({0}) == doctest::Approx(-2.0 * 0.7 * d1));
}
