// Matrix products (matmul) as OpenBLAS sgemm calls; the backward pass is matmul again.

#include "kiln/core/ops/linalg.hpp"

#include "kiln/core/detail/broadcast.hpp"
#include "kiln/core/detail/gemm.hpp"
#include "kiln/core/errors.hpp"
#include "kiln/core/ops/elementwise.hpp"
#include "kiln/core/tape.hpp"

namespace kiln {
namespace {

using Grads = std::vector<Tensor>;
using Needs = std::vector<bool>;

// " (transpose_a)"-style note for error messages; empty when no flag is set.
std::string transpose_note(bool transpose_a, bool transpose_b) {
    if (transpose_a && transpose_b) return " (transpose_a, transpose_b)";
    if (transpose_a) return " (transpose_a)";
    if (transpose_b) return " (transpose_b)";
    return "";
}

// The product without recording: one gemm per matrix of the broadcast batch.
Tensor matmul_raw(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) {
    const Shape& as = a.shape();
    const Shape& bs = b.shape();
    if (as.rank() < 2 || bs.rank() < 2)
        throw ShapeError(cat("matmul: both operands need rank >= 2, got ", as, " x ", bs,
                             transpose_note(transpose_a, transpose_b)));
    const int64_t a_rows = as[as.rank() - 2], a_cols = as[as.rank() - 1];
    const int64_t b_rows = bs[bs.rank() - 2], b_cols = bs[bs.rank() - 1];
    const int64_t m = transpose_a ? a_cols : a_rows;
    const int64_t k = transpose_a ? a_rows : a_cols;
    const int64_t n = transpose_b ? b_rows : b_cols;
    if ((transpose_b ? b_cols : b_rows) != k)
        throw ShapeError(
            cat("matmul: inner dimensions differ: ", as, " x ", bs, transpose_note(transpose_a, transpose_b)));

    const Shape a_batch(as.begin(), as.end() - 2);
    const Shape b_batch(bs.begin(), bs.end() - 2);
    Shape out_shape;
    try {
        out_shape = broadcast_shapes(a_batch, b_batch, "matmul");
    } catch (const ShapeError&) {
        throw ShapeError(cat("matmul: batch dimensions cannot be broadcast: ", as, " x ", bs));
    }
    const detail::BroadcastPlan<2> plan(out_shape, {&a_batch, &b_batch});
    out_shape.push_back(m);
    out_shape.push_back(n);
    Tensor out = Tensor::empty(out_shape);

    const detail::GemmOperand a_op{a.data(), a_cols, transpose_a};
    const detail::GemmOperand b_op{b.data(), b_cols, transpose_b};
    const int64_t inner = plan.inner();
    for (int64_t row = 0; row < plan.outer(); ++row) {
        const auto offsets = plan.offsets(row);
        for (int64_t i = 0; i < inner; ++i) {
            const int64_t batch = row * inner + i;
            detail::GemmOperand ai = a_op, bi = b_op;
            ai.data += (offsets[0] + i * plan.inner_stride(0)) * a_rows * a_cols;
            bi.data += (offsets[1] + i * plan.inner_stride(1)) * b_rows * b_cols;
            detail::gemm("matmul", m, n, k, 1.0f, ai, bi, 0.0f, out.data() + batch * m * n, n);
        }
    }
    return out;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) {
    Tensor out = matmul_raw(a, b, transpose_a, transpose_b);
    if (autograd::is_recording())
        autograd::record("matmul", {a, b}, out, [a, b, ta = transpose_a, tb = transpose_b](const Tensor& g,
                                                                                            const Needs& needs) {
            // C = op(A) op(B) gives d op(A) = G op(B)^T and d op(B) = op(A)^T G; a transposed operand gets the
            // transpose of that. Batch broadcasting is undone by summing.
            Grads grads(2);
            if (needs[0]) grads[0] = sum_to_shape(ta ? matmul(b, g, tb, true) : matmul(g, b, false, !tb), a.shape());
            if (needs[1]) grads[1] = sum_to_shape(tb ? matmul(g, a, true, ta) : matmul(a, g, !ta, false), b.shape());
            return grads;
        });
    return out;
}

}  // namespace kiln
