// set_num_threads reaches both thread pools, as their own APIs report.
#include <doctest/doctest.h>

#include <cblas.h>
#include <tbb/global_control.h>

#include <kiln/kiln.hpp>

using namespace kiln;

TEST_CASE("threads: set_num_threads sets oneTBB and OpenBLAS together") {
    const int before = get_num_threads();
    set_num_threads(1);
    CHECK(get_num_threads() == 1);
    CHECK(tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism) == 1);
    CHECK(openblas_get_num_threads() == 1);
    set_num_threads(2);
    CHECK(get_num_threads() == 2);
    CHECK(tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism) == 2);
    CHECK(openblas_get_num_threads() == 2);
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
