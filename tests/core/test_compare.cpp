// Comparisons and where(): values by hand, broadcasting, gradients.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include "support/gradcheck.hpp"

using namespace kiln;

TEST_CASE("compare: ops give 1 where true and broadcast") {
    Tensor a{1.0f, 2.0f, 3.0f};
    Tensor two = Tensor::scalar(2.0f);
    CHECK(equal(a, two).to_vector() == std::vector<float>{0, 1, 0});
    CHECK(not_equal(a, two).to_vector() == std::vector<float>{1, 0, 1});
    CHECK(less(a, two).to_vector() == std::vector<float>{1, 0, 0});
    CHECK(less_equal(a, two).to_vector() == std::vector<float>{1, 1, 0});
    CHECK(greater(a, two).to_vector() == std::vector<float>{0, 0, 1});
    CHECK(greater_equal(two, a).to_vector() == std::vector<float>{1, 1, 0});
    CHECK(equal(Tensor({1, 2}, {2, 1}), Tensor{1.0f, 2.0f}).to_vector() == std::vector<float>{1, 0, 0, 1});
    CHECK_THROWS_WITH_AS(less(Tensor::ones({2}), Tensor::ones({3})), doctest::Contains("less: shapes cannot be broadcast"),
                         ShapeError);
}

TEST_CASE("compare: where picks by condition and broadcasts all three") {
    Tensor cond({1, 0, 0, 1}, {2, 2});
    Tensor a = Tensor::full({2, 2}, 7.0f);
    Tensor b{-1.0f, -2.0f};
    CHECK(where(cond, a, b).to_vector() == std::vector<float>{7, -2, -1, 7});
    CHECK(where(Tensor{0.0f, 3.0f}, Tensor::scalar(1.0f), Tensor::scalar(0.0f)).to_vector() ==
          std::vector<float>{0, 1});
    CHECK_THROWS_WITH_AS(where(Tensor::ones({3}), a, b), doctest::Contains("where: shapes cannot be broadcast"),
                         ShapeError);
}

TEST_CASE("compare: where is differentiable in both branches, with broadcasting") {
    Tensor cond({1, 0, 1, 0, 0, 1}, {2, 3});
    kiln::testing::check_gradients("where", [cond](auto& x) { return where(cond, x[0], x[1]); },
                                   {kiln::testing::random_input({2, 3}, 1), kiln::testing::random_input({3}, 2)});
}
