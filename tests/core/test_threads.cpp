// set_num_threads sets oneTBB, which runs every kernel; OpenBLAS stays single-threaded (kiln splits products
// into fixed blocks itself), and results are the same for any thread count.
#include <doctest/doctest.h>

#include <cblas.h>
#include <tbb/global_control.h>

#include <kiln/kiln.hpp>

using namespace kiln;

namespace {

// Runs `run` (returning tensors) with 1 and with 2 threads and checks the results are bitwise equal.
template <class F>
void check_same_for_1_and_2_threads(F run) {
    const int before = get_num_threads();
    set_num_threads(1);
    const std::vector<Tensor> one = run();
    set_num_threads(2);
    const std::vector<Tensor> two = run();
    set_num_threads(before);
    REQUIRE(one.size() == two.size());
    for (size_t i = 0; i < one.size(); ++i) {
        CAPTURE(i);
        CHECK(array_equal(one[i], two[i]));
    }
}

}  // namespace

TEST_CASE("threads: set_num_threads sets oneTBB, and OpenBLAS always runs one thread") {
    const int before = get_num_threads();
    set_num_threads(1);
    CHECK(get_num_threads() == 1);
    CHECK(tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism) == 1);
    CHECK(openblas_get_num_threads() == 1);
    set_num_threads(2);
    CHECK(get_num_threads() == 2);
    CHECK(tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism) == 2);
    CHECK(openblas_get_num_threads() == 1);
    CHECK_THROWS_WITH_AS(set_num_threads(0), doctest::Contains("set_num_threads: n must be >= 1, got 0"), ValueError);
    set_num_threads(before);
}

TEST_CASE("threads: results do not depend on the thread count") {
    const Tensor x = Tensor::random_normal({300, 1000}, 0.0f, 1.0f, 3);
    const int before = get_num_threads();
    set_num_threads(1);
    const Tensor s1 = sum(x, {0});
    const Tensor t1 = sum(x);
    set_num_threads(2);
    const Tensor s2 = sum(x, {0});
    const Tensor t2 = sum(x);
    set_num_threads(before);
    CHECK(array_equal(s1, s2));
    CHECK(array_equal(t1, t2));
}

TEST_CASE("threads: matmul of every shape class does not depend on the thread count") {
    // Many rows (split by rows), few rows and many columns (split by columns), transposed operands.
    const Tensor a = Tensor::random_normal({700, 300}, 0.0f, 1.0f, 9);
    const Tensor b = Tensor::random_normal({300, 900}, 0.0f, 1.0f, 10);
    const Tensor few = Tensor::random_normal({40, 300}, 0.0f, 1.0f, 11);
    check_same_for_1_and_2_threads([&] {
        return std::vector<Tensor>{matmul(a, b), matmul(few, b), matmul(a, a, true, false), matmul(b, b, false, true)};
    });
}

TEST_CASE("threads: conv2d and pooling forward and backward do not depend on the thread count") {
    const Tensor x = Tensor::random_normal({12, 20, 20, 16}, 0.0f, 1.0f, 7);
    const Tensor kernel = Tensor::random_normal({3, 3, 16, 24}, 0.0f, 0.2f, 8);
    check_same_for_1_and_2_threads([&] {
        GradientTape tape;
        tape.watch(x);
        tape.watch(kernel);
        const Tensor conv = conv2d(x, kernel, {.padding = Padding::same});
        const Tensor pooled = max_pool2d(conv, {.pool_size = {3, 3}, .strides = {2, 2}});  // overlapping windows
        auto grads = tape.gradient(sum(pooled * pooled), std::vector<Tensor>{x, kernel});
        return std::vector<Tensor>{conv, pooled, grads[0], grads[1]};
    });
}
