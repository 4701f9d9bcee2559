// Tests for matmul: values against hand computation and a naive triple loop, broadcasting, empty dimensions,
// error messages, and first- and second-order gradients.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include "support/gradcheck.hpp"

using namespace kiln;

namespace {

Tensor random(const Shape& shape, uint64_t seed) { return Tensor::random_uniform(shape, -1.0f, 1.0f, seed); }

// op(a) @ op(b) for 2-D a and b by the definition, summing in double.
Tensor naive_matmul(const Tensor& a, const Tensor& b, bool transpose_a = false, bool transpose_b = false) {
    const int64_t m = transpose_a ? a.dim(1) : a.dim(0);
    const int64_t k = transpose_a ? a.dim(0) : a.dim(1);
    const int64_t n = transpose_b ? b.dim(0) : b.dim(1);
    Tensor out = Tensor::zeros(Shape{m, n});
    for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
            double total = 0.0;
            for (int64_t p = 0; p < k; ++p)
                total += static_cast<double>(transpose_a ? a.at({p, i}) : a.at({i, p})) *
                         (transpose_b ? b.at({j, p}) : b.at({p, j}));
            out.at({i, j}) = static_cast<float>(total);
        }
    return out;
}

// Matrix `index` of a tensor seen as a stack of [rows, cols] matrices.
Tensor matrix(const Tensor& stack, int64_t index) {
    const int64_t rows = stack.dim(-2), cols = stack.dim(-1);
    return stack.reshape(Shape{-1, rows, cols}).slice(index, index + 1).reshape(Shape{rows, cols});
}

bool close(const Tensor& got, const Tensor& want) { return allclose(got, want, 1e-5f, 1e-5f); }

}  // namespace

TEST_CASE("matmul: hand-computed 2x3 @ 3x2") {
    const Tensor a({1, 2, 3, 4, 5, 6}, Shape{2, 3});
    const Tensor b({7, 8, 9, 10, 11, 12}, Shape{3, 2});
    // [1*7+2*9+3*11, 1*8+2*10+3*12; 4*7+5*9+6*11, 4*8+5*10+6*12]
    CHECK(array_equal(matmul(a, b), Tensor({58, 64, 139, 154}, Shape{2, 2})));
}

TEST_CASE("matmul: every transpose combination matches a naive product") {
    const int64_t m = 5, k = 7, n = 3;
    for (bool ta : {false, true})
        for (bool tb : {false, true}) {
            CAPTURE(ta);
            CAPTURE(tb);
            const Tensor a = random(ta ? Shape{k, m} : Shape{m, k}, 1);
            const Tensor b = random(tb ? Shape{n, k} : Shape{k, n}, 2);
            const Tensor c = matmul(a, b, ta, tb);
            CHECK(c.shape() == Shape{m, n});
            CHECK(close(c, naive_matmul(a, b, ta, tb)));
        }
}

TEST_CASE("matmul: batch dimensions broadcast in both directions") {
    SUBCASE("stack x matrix") {
        const Tensor a = random(Shape{5, 3, 4}, 3);
        const Tensor b = random(Shape{4, 2}, 4);
        const Tensor c = matmul(a, b);
        REQUIRE(c.shape() == Shape{5, 3, 2});
        for (int64_t i = 0; i < 5; ++i) CHECK(close(matrix(c, i), naive_matmul(matrix(a, i), b)));
    }
    SUBCASE("matrix x stack, transposed") {
        const Tensor a = random(Shape{4, 3}, 5);
        const Tensor b = random(Shape{5, 2, 4}, 6);
        const Tensor c = matmul(a, b, true, true);
        REQUIRE(c.shape() == Shape{5, 3, 2});
        for (int64_t i = 0; i < 5; ++i) CHECK(close(matrix(c, i), naive_matmul(a, matrix(b, i), true, true)));
    }
    SUBCASE("[2,1,3,4] x [1,6,4,5]") {
        const Tensor a = random(Shape{2, 1, 3, 4}, 7);
        const Tensor b = random(Shape{1, 6, 4, 5}, 8);
        const Tensor c = matmul(a, b);
        REQUIRE(c.shape() == Shape{2, 6, 3, 5});
        for (int64_t p = 0; p < 2; ++p)
            for (int64_t q = 0; q < 6; ++q)
                CHECK(close(matrix(c, p * 6 + q), naive_matmul(matrix(a, p), matrix(b, q))));
    }
}

TEST_CASE("matmul: empty dimensions") {
    CHECK(matmul(Tensor::ones(Shape{0, 3}), Tensor::ones(Shape{3, 2})).shape() == Shape{0, 2});
    CHECK(matmul(Tensor::ones(Shape{2, 3}), Tensor::ones(Shape{3, 0})).shape() == Shape{2, 0});
    CHECK(matmul(Tensor::ones(Shape{0, 2, 3}), Tensor::ones(Shape{3, 4})).shape() == Shape{0, 2, 4});
    CHECK(matmul(Tensor::ones(Shape{3, 2}), Tensor::ones(Shape{0, 4, 3}), true, true).shape() == Shape{0, 2, 4});
    // k = 0: an empty sum, so every element is zero.
    CHECK(array_equal(matmul(Tensor::ones(Shape{2, 0}), Tensor::ones(Shape{0, 3})), Tensor::zeros(Shape{2, 3})));
    CHECK(array_equal(matmul(Tensor::ones(Shape{0, 2}), Tensor::ones(Shape{3, 0}), true, true),
                      Tensor::zeros(Shape{2, 3})));
}

TEST_CASE("matmul: error messages name the op and the shapes") {
    CHECK_THROWS_WITH_AS(matmul(Tensor::ones(Shape{2, 3}), Tensor::ones(Shape{4, 5})),
                         doctest::Contains("matmul: inner dimensions differ: [2,3] x [4,5]"), kiln::ShapeError);
    CHECK_THROWS_WITH_AS(matmul(Tensor::ones(Shape{2, 3}), Tensor::ones(Shape{3, 4}), false, true),
                         doctest::Contains("matmul: inner dimensions differ: [2,3] x [3,4] (transpose_b)"),
                         kiln::ShapeError);
    CHECK_THROWS_WITH_AS(matmul(Tensor{1, 2, 3}, Tensor::ones(Shape{3, 2})),
                         doctest::Contains("matmul: both operands need rank >= 2, got [3] x [3,2]"), kiln::ShapeError);
    CHECK_THROWS_WITH_AS(matmul(Tensor::ones(Shape{2, 3, 4}), Tensor::ones(Shape{3, 4, 5})),
                         doctest::Contains("matmul: batch dimensions cannot be broadcast: [2,3,4] x [3,4,5]"),
                         kiln::ShapeError);
}

TEST_CASE("matmul: gradients match finite differences") {
    const auto product = [](bool ta, bool tb) {
        return [ta, tb](const std::vector<Tensor>& in) { return matmul(in[0], in[1], ta, tb); };
    };
    testing::check_gradients("matmul", product(false, false), {random(Shape{3, 4}, 11), random(Shape{4, 2}, 12)});
    testing::check_gradients("matmul transpose_a", product(true, false),
                             {random(Shape{4, 3}, 13), random(Shape{4, 2}, 14)});
    testing::check_gradients("matmul transpose_b", product(false, true),
                             {random(Shape{3, 4}, 15), random(Shape{2, 4}, 16)});
    testing::check_gradients("matmul both transposed", product(true, true),
                             {random(Shape{4, 3}, 17), random(Shape{2, 4}, 18)});
    testing::check_gradients("matmul batched broadcast", product(false, false),
                             {random(Shape{2, 1, 2, 3}, 19), random(Shape{3, 3, 2}, 20)});
    testing::check_gradients("matmul batched broadcast, transposed", product(true, true),
                             {random(Shape{3, 2}, 21), random(Shape{2, 1, 2, 3}, 22)});
}

TEST_CASE("matmul: second-order gradient of sum((x @ W)^2)") {
    // L = sum((xW)^2) gives dL/dx = 2 xW W^T. Its sum S = 2 sum_ij (xW)_ij r_j with r_j = sum_k W_kj, so
    // dS/dx_ia = 2 sum_j W_aj r_j: every row equals 2 W r. Here W = [[1,2],[3,4]], r = [4,6], W r = [16,36].
    Tensor x({1, 2, 0, 1}, Shape{2, 2});
    const Tensor w({1, 2, 3, 4}, Shape{2, 2});
    GradientTape outer;
    outer.watch(x);
    Tensor dx;
    {
        GradientTape inner;
        inner.watch(x);
        dx = inner.gradient(sum(square(matmul(x, w))), x);
    }
    // xW = [[7,10],[3,4]]; xW W^T = [[27,61],[11,25]].
    CHECK(array_equal(dx, Tensor({54, 122, 22, 50}, Shape{2, 2})));
    CHECK(array_equal(outer.gradient(sum(dx), x), Tensor({32, 72, 32, 72}, Shape{2, 2})));
}
