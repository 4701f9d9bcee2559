// kiln runs OpenBLAS on a kernel family this processor supports, not the SSE3 fallback of an older OpenBLAS.
#include <doctest/doctest.h>

#include <cblas.h>

#include <cstdlib>
#include <string>

#include <kiln/kiln.hpp>

using namespace kiln;

TEST_CASE("blas kernel: an AVX2 processor never runs the generic Prescott kernels unless the user asks") {
    CHECK(blas_kernel_name() == std::string(openblas_get_corename()));
    if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;  // the user's choice stands; nothing to check
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) CHECK(blas_kernel_name() != "Prescott");
    // The selection is not left in the environment for child processes.
    CHECK(std::getenv("OPENBLAS_CORETYPE") == nullptr);
}

TEST_CASE("blas kernel: matmul on the selected kernel matches a double-precision loop") {
    const Tensor a = Tensor::random_normal({67, 129}, 0.0f, 1.0f, 5);
    const Tensor b = Tensor::random_normal({129, 45}, 0.0f, 1.0f, 6);
    const Tensor c = matmul(a, b);
    for (int64_t i = 0; i < 67; ++i)
        for (int64_t j = 0; j < 45; ++j) {
            double expected = 0.0;
            for (int64_t k = 0; k < 129; ++k) expected += double(a.at({i, k})) * double(b.at({k, j}));
            CHECK(c.at({i, j}) == doctest::Approx(expected).epsilon(1e-4));
        }
}
