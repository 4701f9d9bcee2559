// Internal: the single entry point from kiln's library sources to OpenBLAS's sgemm (row-major), with checked
// integer narrowing and the empty cases handled here. OpenBLAS runs its own threads: call gemm() only from the
// calling thread, never inside a detail::parallel_for body or another TBB task.
#pragma once

#include <cblas.h>

#include <cstdint>
#include <limits>
#include <string_view>

#include "kiln/core/errors.hpp"

namespace kiln::detail {

// A row-major matrix operand: its first element, its leading dimension, and whether it enters transposed.
struct GemmOperand {
    const float* data;
    int64_t ld;
    bool transposed = false;
};

// C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C, C with leading dimension ldc; `op` names the caller.
inline void gemm(std::string_view op, int64_t m, int64_t n, int64_t k, float alpha, GemmOperand a, GemmOperand b,
                 float beta, float* c, int64_t ldc) {
    if (m == 0 || n == 0) return;
    if (k == 0) {
        for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
        return;
    }
    constexpr int64_t limit = std::numeric_limits<blasint>::max();
    for (int64_t v : {m, n, k, a.ld, b.ld, ldc})
        if (v > limit) throw ValueError(cat(op, ": matrix dimension ", v, " exceeds the BLAS integer range"));
    cblas_sgemm(CblasRowMajor, a.transposed ? CblasTrans : CblasNoTrans, b.transposed ? CblasTrans : CblasNoTrans,
                static_cast<blasint>(m), static_cast<blasint>(n), static_cast<blasint>(k), alpha, a.data,
                static_cast<blasint>(a.ld), b.data, static_cast<blasint>(b.ld), beta, c, static_cast<blasint>(ldc));
}

}  // namespace kiln::detail
