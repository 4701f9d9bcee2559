#include "kiln/core/detail/gemm.hpp"

#include <cblas.h>

#include <algorithm>
#include <limits>

#include "kiln/core/detail/parallel.hpp"
#include "kiln/core/errors.hpp"

namespace kiln::detail {
namespace {

// Block sizes: rows of C per task, or columns when C has fewer than two row blocks. Products below
// kSerialFlops run as one call.
constexpr int64_t kRowBlock = 128;
constexpr int64_t kColumnBlock = 256;
constexpr int64_t kSerialFlops = int64_t{1} << 22;

void sgemm(int64_t m, int64_t n, int64_t k, float alpha, GemmOperand a, GemmOperand b, float beta, float* c,
           int64_t ldc) {
    cblas_sgemm(CblasRowMajor, a.transposed ? CblasTrans : CblasNoTrans, b.transposed ? CblasTrans : CblasNoTrans,
                static_cast<blasint>(m), static_cast<blasint>(n), static_cast<blasint>(k), alpha, a.data,
                static_cast<blasint>(a.ld), b.data, static_cast<blasint>(b.ld), beta, c, static_cast<blasint>(ldc));
}

}  // namespace

void gemm(std::string_view op, int64_t m, int64_t n, int64_t k, float alpha, GemmOperand a, GemmOperand b,
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
    const bool by_rows = m >= 2 * kRowBlock;
    const int64_t block = by_rows ? kRowBlock : kColumnBlock;
    const int64_t extent = by_rows ? m : n;
    const int64_t blocks = (extent + block - 1) / block;
    if (2 * m * n * k < kSerialFlops || blocks < 2) {
        sgemm(m, n, k, alpha, a, b, beta, c, ldc);
        return;
    }
    parallel_for(blocks, 1, [&](int64_t first, int64_t last) {
        for (int64_t i = first; i < last; ++i) {
            const int64_t start = i * block;
            if (by_rows) {
                // Rows [start, start + rows) of op(A) and of C.
                GemmOperand ai = a;
                ai.data += a.transposed ? start : start * a.ld;
                sgemm(std::min(block, m - start), n, k, alpha, ai, b, beta, c + start * ldc, ldc);
            } else {
                // Columns [start, start + cols) of op(B) and of C.
                GemmOperand bi = b;
                bi.data += b.transposed ? start * b.ld : start;
                sgemm(m, std::min(block, n - start), k, alpha, a, bi, beta, c + start, ldc);
            }
        }
    });
}

}  // namespace kiln::detail
