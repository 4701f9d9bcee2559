// Tests for the shape ops: permute/transpose, slice_axis, concatenate, stack and one_hot. Expected values are
// written by hand or follow from the index mapping that defines each op.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include <kiln/kiln.hpp>

#include "support/gradcheck.hpp"

using namespace kiln;

namespace {

void check_equal(const Tensor& got, const Tensor& want) {
    CHECK_MESSAGE(array_equal(got, want), cat("got ", got.shape(), " ", got.str(), "\nwant ", want.shape(), " ",
                                              want.str()));
}

// 0, 1, 2, ... in `shape`: every element is distinct and exactly representable.
Tensor iota(const Shape& shape) { return Tensor::arange(shape.numel()).reshape(shape); }

// Checks y = permute(x, axes) for a 3-D x element by element: y[i0, i1, i2] == x[j] with j[axes[k]] = i[k].
void check_permuted_3d(const Tensor& x, const std::array<int64_t, 3>& axes) {
    const Tensor y = permute(x, {axes[0], axes[1], axes[2]});
    REQUIRE(y.shape() == Shape{x.dim(axes[0]), x.dim(axes[1]), x.dim(axes[2])});
    int64_t mismatches = 0;
    std::array<int64_t, 3> j{};
    for (int64_t a = 0; a < y.dim(0); ++a)
        for (int64_t b = 0; b < y.dim(1); ++b)
            for (int64_t c = 0; c < y.dim(2); ++c) {
                j[axes[0]] = a;
                j[axes[1]] = b;
                j[axes[2]] = c;
                if (y.at({a, b, c}) != x.at({j[0], j[1], j[2]})) ++mismatches;
            }
    CHECK_MESSAGE(mismatches == 0, cat("axes ", Shape(axes.begin(), axes.end()), " on ", x.shape()));
}

}  // namespace

TEST_CASE("permute: 2-D transpose by hand, transpose() and negative axes") {
    const Tensor x({1, 2, 3, 4, 5, 6}, Shape{2, 3});
    const Tensor want({1, 4, 2, 5, 3, 6}, Shape{3, 2});
    check_equal(permute(x, {1, 0}), want);
    check_equal(permute(x, {-1, -2}), want);
    check_equal(transpose(x), want);
    check_equal(permute(x, {0, 1}), x);
    CHECK_FALSE(permute(x, {0, 1}).shares_storage_with(x));
}

TEST_CASE("permute: every permutation of a 3-D tensor follows the index mapping") {
    const Tensor x = iota(Shape{3, 4, 5});
    std::array<int64_t, 3> axes{0, 1, 2};
    do {
        check_permuted_3d(x, axes);
    } while (std::next_permutation(axes.begin(), axes.end()));
}

TEST_CASE("permute: large tensors take the blocked and parallel paths") {
    SUBCASE("2-D transpose 64x96") {
        const Tensor x = iota(Shape{64, 96});
        const Tensor y = transpose(x);
        REQUIRE(y.shape() == Shape{96, 64});
        int64_t mismatches = 0;
        for (int64_t i = 0; i < 64; ++i)
            for (int64_t j = 0; j < 96; ++j) mismatches += y.at({j, i}) != static_cast<float>(i * 96 + j);
        CHECK(mismatches == 0);
    }
    // Partial tiles (130, 200 are not multiples of 32) and more tiles than one task's grain.
    SUBCASE("batched swap of the last two axes") { check_permuted_3d(iota(Shape{3, 130, 200}), {0, 2, 1}); }
    SUBCASE("rotation of axes") { check_permuted_3d(iota(Shape{6, 70, 50}), {2, 0, 1}); }
    SUBCASE("last axis kept: row copies") { check_permuted_3d(iota(Shape{70, 60, 40}), {1, 0, 2}); }
    SUBCASE("size-1 axes") { check_permuted_3d(iota(Shape{40, 1, 50}), {2, 1, 0}); }
}

TEST_CASE("permute: 4-D, rank 0 and empty tensors") {
    const Tensor x = iota(Shape{2, 3, 4, 5});
    const Tensor y = permute(x, {2, 3, 0, 1});
    REQUIRE(y.shape() == Shape{4, 5, 2, 3});
    int64_t mismatches = 0;
    for (int64_t a = 0; a < 2; ++a)
        for (int64_t b = 0; b < 3; ++b)
            for (int64_t c = 0; c < 4; ++c)
                for (int64_t d = 0; d < 5; ++d) mismatches += y.at({c, d, a, b}) != x.at({a, b, c, d});
    CHECK(mismatches == 0);

    check_equal(permute(Tensor::scalar(7.0f), {}), Tensor::scalar(7.0f));
    check_equal(transpose(Tensor::zeros(Shape{0, 3})), Tensor::zeros(Shape{3, 0}));
}

TEST_CASE("contiguous_strides: row-major products, and zeros for a shape without elements") {
    CHECK(contiguous_strides(Shape{2, 3, 4}) == std::vector<int64_t>{12, 4, 1});
    CHECK(contiguous_strides(Shape{}).empty());
    // The products 2^40 * 2^40 would overflow; nothing of an empty tensor is addressed, so all strides are 0.
    const int64_t big = int64_t{1} << 40;
    CHECK(contiguous_strides(Shape{0, big, big}) == std::vector<int64_t>{0, 0, 0});
    CHECK_THROWS_AS(contiguous_strides(Shape{2, big, big}), ShapeError);
}

TEST_CASE("permute: invalid axes") {
    const Tensor x = Tensor::zeros(Shape{2, 3});
    CHECK_THROWS_WITH_AS(permute(x, {0, 0}),
                         doctest::Contains("permute: axes [0,0] are not a permutation of the axes of shape [2,3]"),
                         ValueError);
    CHECK_THROWS_WITH_AS(permute(x, {0}), doctest::Contains("permute: axes [0] are not a permutation"), ValueError);
    CHECK_THROWS_WITH_AS(permute(x, {0, 2}), doctest::Contains("permute: axes [0,2] are not"), ValueError);
    CHECK_THROWS_WITH_AS(permute(x, {1, -3}), doctest::Contains("permute: axes [1,-3] are not"), ValueError);
    CHECK_THROWS_WITH_AS(permute(x, {1, 0, 2}), doctest::Contains("of the axes of shape [2,3]"), ValueError);
}

TEST_CASE("slice_axis: values, empty ranges and errors") {
    const Tensor x({1, 2, 3, 4, 5, 6}, Shape{2, 3});
    check_equal(slice_axis(x, 1, 1, 3), Tensor({2, 3, 5, 6}, Shape{2, 2}));
    check_equal(slice_axis(x, -1, 0, 1), Tensor({1, 4}, Shape{2, 1}));
    check_equal(slice_axis(x, 0, 1, 2), Tensor({4, 5, 6}, Shape{1, 3}));
    check_equal(slice_axis(x, -2, 0, 2), x);
    check_equal(slice_axis(x, 1, 2, 2), Tensor::zeros(Shape{2, 0}));
    CHECK_THROWS_WITH_AS(slice_axis(x, 1, 2, 1),
                         doctest::Contains("slice_axis: range [2, 1) is out of range for axis 1 of shape [2,3]"),
                         ValueError);
    CHECK_THROWS_WITH_AS(slice_axis(x, 0, 0, 3), doctest::Contains("slice_axis: range [0, 3)"), ValueError);
    CHECK_THROWS_WITH_AS(slice_axis(x, 0, -1, 1), doctest::Contains("slice_axis: range [-1, 1)"), ValueError);
    CHECK_THROWS_WITH_AS(slice_axis(x, 2, 0, 1), doctest::Contains("slice_axis: axis 2 is out of range for rank 2"),
                         ValueError);
}

TEST_CASE("concatenate: 2-D along each axis, including negative axes") {
    const Tensor a({1, 2, 3, 4}, Shape{2, 2});
    const Tensor rows({5, 6}, Shape{1, 2});
    const Tensor cols({7, 8}, Shape{2, 1});
    const Tensor along0({1, 2, 3, 4, 5, 6}, Shape{3, 2});
    const Tensor along1({1, 2, 7, 3, 4, 8}, Shape{2, 3});
    check_equal(concatenate({a, rows}, 0), along0);
    check_equal(concatenate({a, rows}, -2), along0);
    check_equal(concatenate({a, cols}, 1), along1);
    check_equal(concatenate({a, cols}, -1), along1);
    check_equal(concatenate({cols, a, cols}, 1), Tensor({7, 1, 2, 7, 8, 3, 4, 8}, Shape{2, 4}));
}

TEST_CASE("concatenate: 3-D along each axis") {
    const Tensor a = iota(Shape{2, 2, 2});
    const Tensor b = add(iota(Shape{2, 2, 2}), 10.0f);
    const Tensor along0({0, 1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14, 15, 16, 17}, Shape{4, 2, 2});
    const Tensor along1({0, 1, 2, 3, 10, 11, 12, 13, 4, 5, 6, 7, 14, 15, 16, 17}, Shape{2, 4, 2});
    const Tensor along2({0, 1, 10, 11, 2, 3, 12, 13, 4, 5, 14, 15, 6, 7, 16, 17}, Shape{2, 2, 4});
    check_equal(concatenate({a, b}, 0), along0);
    check_equal(concatenate({a, b}, -3), along0);
    check_equal(concatenate({a, b}, 1), along1);
    check_equal(concatenate({a, b}, -2), along1);
    check_equal(concatenate({a, b}, 2), along2);
    check_equal(concatenate({a, b}, -1), along2);
}

TEST_CASE("concatenate: a single input, empty inputs and large inputs") {
    const Tensor a({1, 2, 3, 4}, Shape{2, 2});
    const Tensor single = concatenate({a});
    check_equal(single, a);
    CHECK_FALSE(single.shares_storage_with(a));
    check_equal(concatenate({Tensor::zeros(Shape{2, 0}), a, Tensor::zeros(Shape{2, 0})}, 1), a);

    // Enough rows to run in parallel: element [i, j] comes from x at column j and from y at column j - 3.
    const Tensor x = iota(Shape{20000, 3});
    const Tensor y = mul(iota(Shape{20000, 2}), -1.0f);
    const Tensor z = concatenate({x, y}, 1);
    REQUIRE(z.shape() == Shape{20000, 5});
    int64_t mismatches = 0;
    for (int64_t i = 0; i < 20000; ++i)
        for (int64_t j = 0; j < 5; ++j) mismatches += z.at({i, j}) != (j < 3 ? x.at({i, j}) : y.at({i, j - 3}));
    CHECK(mismatches == 0);
}

TEST_CASE("concatenate: errors") {
    const Tensor a = Tensor::zeros(Shape{2, 3});
    CHECK_THROWS_WITH_AS(concatenate({a, Tensor::zeros(Shape{2, 4})}, 0),
                         doctest::Contains("concatenate: tensor 1 has shape [2,4] but tensor 0 has shape [2,3]"),
                         ShapeError);
    CHECK_THROWS_WITH_AS(concatenate({a, a, Tensor::zeros(Shape{3, 3})}, -1),
                         doctest::Contains("concatenate: tensor 2 has shape [3,3] but tensor 0 has shape [2,3]"),
                         ShapeError);
    CHECK_THROWS_WITH_AS(concatenate({a, Tensor::zeros(Shape{6})}, 0),
                         doctest::Contains("concatenate: tensor 1 has shape [6] but tensor 0 has shape [2,3]"),
                         ShapeError);
    CHECK_THROWS_WITH_AS(concatenate({}, 0), doctest::Contains("concatenate: needs at least one tensor"), ValueError);
    CHECK_THROWS_WITH_AS(concatenate({a, a}, 2), doctest::Contains("concatenate: axis 2 is out of range for rank 2"),
                         ValueError);
    CHECK_THROWS_WITH_AS(concatenate({Tensor::scalar(1.0f)}, 0), doctest::Contains("concatenate: axis 0"),
                         ValueError);
}

TEST_CASE("stack: 1-D and 2-D along every new axis, including negative axes") {
    const Tensor a{1, 2, 3};
    const Tensor b{4, 5, 6};
    const Tensor rows({1, 2, 3, 4, 5, 6}, Shape{2, 3});
    const Tensor cols({1, 4, 2, 5, 3, 6}, Shape{3, 2});
    check_equal(stack({a, b}, 0), rows);
    check_equal(stack({a, b}, -2), rows);
    check_equal(stack({a, b}, 1), cols);
    check_equal(stack({a, b}, -1), cols);

    const Tensor p({1, 2, 3, 4}, Shape{2, 2});
    const Tensor q({5, 6, 7, 8}, Shape{2, 2});
    const Tensor along0({1, 2, 3, 4, 5, 6, 7, 8}, Shape{2, 2, 2});
    const Tensor along1({1, 2, 5, 6, 3, 4, 7, 8}, Shape{2, 2, 2});
    const Tensor along2({1, 5, 2, 6, 3, 7, 4, 8}, Shape{2, 2, 2});
    check_equal(stack({p, q}, 0), along0);
    check_equal(stack({p, q}, -3), along0);
    check_equal(stack({p, q}, 1), along1);
    check_equal(stack({p, q}, -2), along1);
    check_equal(stack({p, q}, 2), along2);
    check_equal(stack({p, q}, -1), along2);

    check_equal(stack({a}), Tensor({1, 2, 3}, Shape{1, 3}));
    check_equal(stack({Tensor::scalar(1.0f), Tensor::scalar(2.0f)}), Tensor{1, 2});
}

TEST_CASE("stack: errors") {
    const Tensor a = Tensor::zeros(Shape{3});
    CHECK_THROWS_WITH_AS(stack({a, a, Tensor::zeros(Shape{2})}),
                         doctest::Contains("stack: tensor 2 has shape [2] but tensor 0 has shape [3]"), ShapeError);
    CHECK_THROWS_WITH_AS(stack({a, Tensor::zeros(Shape{3, 1})}),
                         doctest::Contains("stack: tensor 1 has shape [3,1] but tensor 0 has shape [3]"), ShapeError);
    CHECK_THROWS_WITH_AS(stack({}), doctest::Contains("stack: needs at least one tensor"), ValueError);
    CHECK_THROWS_WITH_AS(stack({a, a}, 2), doctest::Contains("stack: axis 2 is out of range for rank 2"), ValueError);
    CHECK_THROWS_WITH_AS(stack({a, a}, -3), doctest::Contains("stack: axis -3 is out of range for rank 2"),
                         ValueError);
}

TEST_CASE("one_hot: values for 1-D, 2-D and rank-0 labels") {
    check_equal(one_hot(Tensor{0, 2, 1}, 3), Tensor({1, 0, 0, 0, 0, 1, 0, 1, 0}, Shape{3, 3}));
    check_equal(one_hot(Tensor({1, 0, 3, 3}, Shape{2, 2}), 4),
                Tensor({0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1}, Shape{2, 2, 4}));
    check_equal(one_hot(Tensor::scalar(2.0f), 3), Tensor{0, 0, 1});
    check_equal(one_hot(Tensor{0, 0}, 1), Tensor({1, 1}, Shape{2, 1}));
    check_equal(one_hot(Tensor::zeros(Shape{0}), 5), Tensor::zeros(Shape{0, 5}));
    check_equal(one_hot(Tensor::from_labels(std::vector<int64_t>{2, 0}), 3), Tensor({0, 0, 1, 1, 0, 0}, Shape{2, 3}));
}

TEST_CASE("one_hot: invalid labels and depth") {
    CHECK_THROWS_WITH_AS(one_hot(Tensor{0, 3}, 3),
                         doctest::Contains("one_hot: label 3 at flat index 1 is out of range [0, 3) for depth 3"),
                         ValueError);
    CHECK_THROWS_WITH_AS(one_hot(Tensor{-1}, 3), doctest::Contains("one_hot: label -1 at flat index 0 is out of range"),
                         ValueError);
    CHECK_THROWS_WITH_AS(one_hot(Tensor{1.5f}, 3),
                         doctest::Contains("one_hot: label 1.5 at flat index 0 is not a whole number (depth 3)"),
                         ValueError);
    CHECK_THROWS_WITH_AS(one_hot(Tensor{std::numeric_limits<float>::quiet_NaN()}, 3),
                         doctest::Contains("is not a whole number (depth 3)"), ValueError);
    CHECK_THROWS_WITH_AS(one_hot(Tensor{std::numeric_limits<float>::infinity()}, 3),
                         doctest::Contains("is not a whole number (depth 3)"), ValueError);
    CHECK_THROWS_WITH_AS(one_hot(Tensor{0}, 0), doctest::Contains("one_hot: depth must be >= 1, got 0"), ValueError);
}

TEST_CASE("one_hot: not recorded on a tape") {
    const Tensor labels{0, 1};
    GradientTape tape;
    tape.watch(labels);
    const Tensor y = one_hot(labels, 2);
    CHECK(tape.num_records() == 0);
    check_equal(tape.gradient(sum(y), labels), Tensor{0, 0});
}

TEST_CASE("shape ops: gradients match finite differences") {
    using testing::check_gradients;
    using testing::random_input;
    const Tensor x = random_input(Shape{2, 3, 4}, 1);
    check_gradients("permute", [](const std::vector<Tensor>& in) { return permute(in[0], {2, 0, 1}); }, {x});
    check_gradients("permute last two", [](const std::vector<Tensor>& in) { return permute(in[0], {0, -1, -2}); },
                    {x});
    check_gradients("transpose", [](const std::vector<Tensor>& in) { return transpose(in[0]); }, {x});
    check_gradients("slice_axis", [](const std::vector<Tensor>& in) { return slice_axis(in[0], 1, 1, 3); }, {x});
    check_gradients("slice_axis -1", [](const std::vector<Tensor>& in) { return slice_axis(in[0], -1, 0, 1); }, {x});

    const Tensor a = random_input(Shape{2, 1, 4}, 2);
    const Tensor b = random_input(Shape{2, 2, 4}, 3);
    const Tensor c = random_input(Shape{2, 3, 4}, 4);
    check_gradients("concatenate axis 1", [](const std::vector<Tensor>& in) { return concatenate(in, 1); },
                    {a, b, c});
    check_gradients("concatenate axis -2",
                    [](const std::vector<Tensor>& in) { return concatenate({in[0], in[1]}, -2); },
                    {random_input(Shape{1, 3}, 5), random_input(Shape{2, 3}, 6)});
    check_gradients("concatenate single", [](const std::vector<Tensor>& in) { return concatenate(in, 2); }, {a});

    const Tensor p = random_input(Shape{3, 2}, 7);
    const Tensor q = random_input(Shape{3, 2}, 8);
    check_gradients("stack axis 0", [](const std::vector<Tensor>& in) { return stack(in, 0); }, {p, q});
    check_gradients("stack axis 1", [](const std::vector<Tensor>& in) { return stack(in, 1); }, {p, q});
    check_gradients("stack axis -1", [](const std::vector<Tensor>& in) { return stack(in, -1); }, {p, q});
}

TEST_CASE("shape ops: gradients of permute, concatenate, stack reach every input exactly") {
    // d/dx sum(w * f(x)) for a rearrangement f is w rearranged back: check with hand-written weights.
    const Tensor a({1, 2}, Shape{1, 2});
    const Tensor b({3, 4, 5, 6}, Shape{2, 2});
    GradientTape tape;
    tape.watch(a);
    tape.watch(b);
    const Tensor w({10, 20, 30, 40, 50, 60}, Shape{3, 2});
    const auto g = tape.gradient(sum(mul(concatenate({a, b}, 0), w)), {a, b});
    check_equal(g[0], Tensor({10, 20}, Shape{1, 2}));
    check_equal(g[1], Tensor({30, 40, 50, 60}, Shape{2, 2}));

    GradientTape tape2;
    tape2.watch(b);
    const Tensor wt({1, 2, 3, 4}, Shape{2, 2});
    check_equal(tape2.gradient(sum(mul(transpose(b), wt)), b), Tensor({1, 3, 2, 4}, Shape{2, 2}));
}

TEST_CASE("slice_axis and concatenate: backward passes are differentiable again") {
    // L = sum(v * d/dx sum(slice(x)^2)) = sum over the slice of 2 * v * x, so dL/dx = 2 * v inside the slice.
    const Tensor x({1, 2, 3, 4, 5, 6}, Shape{2, 3});
    const Tensor v({1, 1, 1, 2, 2, 2}, Shape{2, 3});
    GradientTape outer;
    outer.watch(x);
    Tensor g;
    {
        GradientTape inner;
        inner.watch(x);
        g = inner.gradient(sum(square(slice_axis(x, 1, 1, 3))), x);
    }
    check_equal(g, Tensor({0, 4, 6, 0, 10, 12}, Shape{2, 3}));
    check_equal(outer.gradient(sum(mul(g, v)), x), Tensor({0, 2, 2, 0, 4, 4}, Shape{2, 3}));
}
