#include "kiln/core/ops/softmax.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kiln/core/detail/parallel.hpp"
#include "kiln/core/ops/elementwise.hpp"
#include "kiln/core/ops/reduce.hpp"
#include "kiln/core/tape.hpp"

namespace kiln {
namespace {

using Grads = std::vector<Tensor>;
using Needs = std::vector<bool>;

// Rows along the axis handled together when the axis is not the last one, so that the inner loops run over
// contiguous memory.
constexpr int64_t kColumns = 64;

// softmax (Log = false) or log_softmax (Log = true) of x seen as [outer, n, inner], along n. Work items are
// (outer index, block of up to kColumns inner indices), in parallel.
template <bool Log>
Tensor softmax_forward(const Tensor& x, int64_t axis) {
    const Shape& s = x.shape();
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < s.rank(); ++i)
        if (i != axis) (i < axis ? outer : inner) *= s[i];
    const int64_t n = s[axis];
    Tensor out = Tensor::empty(s);
    const float* px = x.data();
    float* po = out.data();
    const int64_t blocks = (inner + kColumns - 1) / kColumns;
    detail::parallel_for(outer * blocks, detail::grain_for_cost(3 * n * std::min(inner, kColumns)),
                         [&](int64_t b, int64_t e) {
        float top[kColumns];
        double total[kColumns];
        for (int64_t t = b; t < e; ++t) {
            const int64_t o = t / blocks;
            const int64_t c0 = t % blocks * kColumns;
            const int64_t w = std::min(kColumns, inner - c0);
            const float* xs = px + o * n * inner + c0;
            float* ys = po + o * n * inner + c0;
            std::fill_n(top, w, -std::numeric_limits<float>::infinity());
            std::fill_n(total, w, 0.0);
            for (int64_t j = 0; j < n; ++j)
                for (int64_t c = 0; c < w; ++c) top[c] = std::max(top[c], xs[j * inner + c]);
            for (int64_t j = 0; j < n; ++j)
                for (int64_t c = 0; c < w; ++c) {
                    const float ex = std::exp(xs[j * inner + c] - top[c]);
                    total[c] += ex;
                    if (!Log) ys[j * inner + c] = ex;
                }
            // From here total holds log(sum) for log_softmax and 1 / sum for softmax (whose out holds the exps).
            for (int64_t c = 0; c < w; ++c)
                total[c] = Log ? std::log(total[c]) : 1.0 / total[c];
            for (int64_t j = 0; j < n; ++j)
                for (int64_t c = 0; c < w; ++c) {
                    float& y = ys[j * inner + c];
                    y = Log ? static_cast<float>(xs[j * inner + c] - top[c] - total[c])
                            : static_cast<float>(y * total[c]);
                }
        }
    });
    return out;
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t axis_in) {
    const int64_t axis = normalize_axis(axis_in, x.rank(), "softmax");
    Tensor out = softmax_forward<false>(x, axis);
    if (autograd::is_recording())
        autograd::record("softmax", {x}, out, [out, axis](const Tensor& g, const Needs&) {
            return Grads{mul(out, sub(g, sum(mul(g, out), {axis}, true)))};
        });
    return out;
}

Tensor log_softmax(const Tensor& x, int64_t axis_in) {
    const int64_t axis = normalize_axis(axis_in, x.rank(), "log_softmax");
    Tensor out = softmax_forward<true>(x, axis);
    if (autograd::is_recording())
        autograd::record("log_softmax", {x}, out, [out, axis](const Tensor& g, const Needs&) {
            return Grads{sub(g, mul(exp(out), sum(g, {axis}, true)))};
        });
    return out;
}

}  // namespace kiln
