// Internal: the single entry point from kiln's library sources to OpenBLAS's sgemm (row-major), with checked
// integer narrowing and the empty cases handled here.
//
// kiln runs OpenBLAS single-threaded and spreads a product over its own (TBB) threads in fixed blocks of rows
// of C (or of columns, when C has few rows): each block is one single-threaded sgemm, computed the same way
// whichever thread runs it, so the result does not depend on the thread count. (OpenBLAS's own threading
// splits work by thread count, and its AVX2/AVX-512 kernels then round differently for 1 and 2 threads.)
// gemm() may be called from inside a TBB task: the blocks are then a nested parallel loop.
#pragma once

#include <cstdint>
#include <string_view>

namespace kiln::detail {

// A row-major matrix operand: its first element, its leading dimension, and whether it enters transposed.
struct GemmOperand {
    const float* data;
    int64_t ld;
    bool transposed = false;
};

// C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C, C with leading dimension ldc; `op` names the caller.
void gemm(std::string_view op, int64_t m, int64_t n, int64_t k, float alpha, GemmOperand a, GemmOperand b,
          float beta, float* c, int64_t ldc);

}  // namespace kiln::detail
