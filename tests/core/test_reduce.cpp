// Reductions, broadcast_to and argmax: values by hand, axes forms, degenerate shapes, gradients, errors.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include "support/gradcheck.hpp"

using namespace kiln;
using kiln::testing::check_gradients;
using kiln::testing::random_input;

TEST_CASE("reduce: sum and mean over axes, by hand") {
    Tensor x = Tensor::arange(6).reshape({2, 3});  // [[0,1,2],[3,4,5]]
    CHECK(sum(x).item() == 15.0f);
    CHECK(sum(x).rank() == 0);
    CHECK(sum(x, {0}).to_vector() == std::vector<float>{3, 5, 7});
    CHECK(sum(x, {1}).to_vector() == std::vector<float>{3, 12});
    CHECK(sum(x, {-1}, true).shape() == Shape{2, 1});
    CHECK(sum(x, {0, 1}, true).shape() == Shape{1, 1});
    CHECK(mean(x, {0}).to_vector() == std::vector<float>{1.5f, 2.5f, 3.5f});
    CHECK(mean(x).item() == 2.5f);
}

TEST_CASE("reduce: non-adjacent axes of a rank-3 tensor") {
    Tensor x = Tensor::arange(24).reshape({2, 3, 4});
    Tensor s = sum(x, {0, 2});
    // element (i,j,k) = 12i + 4j + k; sum over i,k = 2*4*4j + 4*12 + 2*6 = 32j + 60
    CHECK(s.to_vector() == std::vector<float>{60, 92, 124});
    Tensor m = max(x, {0, 2}, true);
    CHECK(m.shape() == Shape{1, 3, 1});
    CHECK(m.to_vector() == std::vector<float>{15, 19, 23});
    CHECK(min(x, {1}).to_vector() == std::vector<float>{0, 1, 2, 3, 12, 13, 14, 15});
}

TEST_CASE("reduce: large sums accumulate in double") {
    // 2^24 + 1 ones: a float accumulator would stop at 16777216.
    const int64_t n = (1 << 24) + 8;
    Tensor ones = Tensor::ones({n});
    CHECK(sum(ones).item() == static_cast<float>(n));
    Tensor big = Tensor::full({3000, 70}, 0.1f);
    for (float v : sum(big, {0}).to_vector()) CHECK(v == doctest::Approx(300.0).epsilon(1e-6));
}

TEST_CASE("reduce: degenerate shapes") {
    CHECK(sum(Tensor::zeros({0, 3}), {0}).to_vector() == std::vector<float>{0, 0, 0});
    CHECK(sum(Tensor::zeros({3, 0}), {0}).shape() == Shape{0});
    CHECK(sum(Tensor::scalar(4.0f)).item() == 4.0f);
    CHECK(sum(Tensor::ones({1, 1, 1}), {1}).shape() == Shape{1, 1});
    CHECK_THROWS_WITH_AS(max(Tensor::zeros({0, 3}), {0}), doctest::Contains("max: cannot reduce an empty axis 0 of shape [0,3]"),
                         ValueError);
    CHECK_THROWS_AS(mean(Tensor::zeros({0})), ValueError);
}

TEST_CASE("reduce: invalid axes name the op") {
    Tensor x = Tensor::ones({2, 3});
    CHECK_THROWS_WITH_AS(sum(x, {2}), doctest::Contains("sum: axis 2 is out of range for rank 2"), ValueError);
    CHECK_THROWS_WITH_AS(mean(x, {0, -2}), doctest::Contains("mean: duplicate axis"), ValueError);
    CHECK_THROWS_WITH_AS(argmax(x, 3), doctest::Contains("argmax: axis 3 is out of range"), ValueError);
}

TEST_CASE("reduce: argmax takes the first maximum") {
    Tensor x({1, 5, 5, 2, 7, 0, 0, 0, 9, 9, 1, 1}, {3, 4});
    CHECK(argmax(x, -1).to_vector() == std::vector<float>{1, 0, 0});
    CHECK(argmax(x, 0).to_vector() == std::vector<float>{2, 2, 0, 0});
    CHECK(argmax(x, 1, true).shape() == Shape{3, 1});
}

TEST_CASE("reduce: broadcast_to repeats along size-1 and leading axes") {
    Tensor x({1, 2}, {2, 1});
    Tensor b = broadcast_to(x, {3, 2, 2});
    CHECK(b.to_vector() == std::vector<float>{1, 1, 2, 2, 1, 1, 2, 2, 1, 1, 2, 2});
    CHECK_THROWS_WITH_AS(broadcast_to(x, {3, 3}), doctest::Contains("broadcast_to: shapes cannot be broadcast"),
                         ShapeError);
    CHECK_THROWS_WITH_AS(broadcast_to(Tensor::ones({3}), {1}), doctest::Contains("broadcast_to: cannot broadcast [3] to [1]"),
                         ShapeError);
}

TEST_CASE("reduce: gradient checks") {
    const Tensor x = random_input({3, 4, 2}, 21);
    check_gradients("sum(all)", [](auto& v) { return sum(v[0]); }, {x});
    check_gradients("sum(0,2)", [](auto& v) { return sum(v[0], {0, 2}); }, {x});
    check_gradients("sum(1,keepdims)", [](auto& v) { return sum(v[0], {1}, true); }, {x});
    check_gradients("mean(-1)", [](auto& v) { return mean(v[0], {-1}); }, {x});
    // Distinct, well-separated values so the maximum never switches within a step.
    const Tensor distinct = Tensor::arange(24).reshape({3, 4, 2}) * 0.1f;
    const Tensor shuffled = where(greater(random_input({3, 4, 2}, 5), Tensor::scalar(0.0f)), distinct, -distinct);
    check_gradients("max(1)", [](auto& v) { return max(v[0], {1}); }, {shuffled});
    check_gradients("min(0,2)", [](auto& v) { return min(v[0], {0, 2}); }, {shuffled});
    check_gradients("broadcast_to", [](auto& v) { return broadcast_to(v[0], {2, 3, 4}); }, {random_input({3, 1}, 6)});
}

TEST_CASE("reduce: tied maxima share the gradient equally") {
    Tensor x{3.0f, 1.0f, 3.0f};
    GradientTape tape;
    tape.watch(x);
    CHECK(tape.gradient(max(x), x).to_vector() == std::vector<float>{0.5f, 0, 0.5f});
}
