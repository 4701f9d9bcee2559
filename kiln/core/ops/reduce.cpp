#include "kiln/core/ops/reduce.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "kiln/core/detail/broadcast.hpp"
#include "kiln/core/detail/parallel.hpp"
#include "kiln/core/errors.hpp"
#include "kiln/core/ops/compare.hpp"
#include "kiln/core/ops/elementwise.hpp"
#include "kiln/core/tape.hpp"

namespace kiln {
namespace {

using Grads = std::vector<Tensor>;
using Needs = std::vector<bool>;

// A reduction of the middle axis of a [outer, r, inner] view.
struct Run {
    int64_t outer, r, inner;
};

// Reduces the middle axis of x seen as [outer, r, inner] with `Acc` (double for sums, float for max/min).
// Above a size, the r axis is cut into a fixed number of chunks whose partial results are combined in order,
// so results do not depend on the thread count.
template <class Acc, class Combine>
Tensor reduce_run(const Tensor& x, Run run, Acc init, Combine combine) {
    Tensor out = Tensor::empty(Shape{run.outer * run.inner});
    const float* px = x.data();
    float* po = out.data();
    // One (outer, chunk) cell: combine rows [j0, j1) of block o into acc[0, inner).
    auto reduce_rows = [&](int64_t o, int64_t j0, int64_t j1, Acc* acc) {
        for (int64_t j = j0; j < j1; ++j) {
            const float* row = px + (o * run.r + j) * run.inner;
            for (int64_t i = 0; i < run.inner; ++i) acc[i] = combine(acc[i], static_cast<Acc>(row[i]));
        }
    };
    const int64_t block = run.r * run.inner;
    if (block <= detail::kElementwiseGrain) {
        // Small blocks: parallel over the outer axis.
        detail::parallel_for(run.outer, detail::grain_for_cost(block), [&](int64_t ob, int64_t oe) {
            std::vector<Acc> acc(static_cast<size_t>(run.inner));
            for (int64_t o = ob; o < oe; ++o) {
                std::fill(acc.begin(), acc.end(), init);
                reduce_rows(o, 0, run.r, acc.data());
                for (int64_t i = 0; i < run.inner; ++i) po[o * run.inner + i] = static_cast<float>(acc[i]);
            }
        });
        return out;
    }
    // Large blocks: fixed chunks of r, combined in order.
    const int64_t chunk_rows = std::max<int64_t>(1, detail::kElementwiseGrain / std::max<int64_t>(run.inner, 1));
    const int64_t chunks = (run.r + chunk_rows - 1) / chunk_rows;
    std::vector<Acc> partial(static_cast<size_t>(chunks * run.inner));
    for (int64_t o = 0; o < run.outer; ++o) {
        std::fill(partial.begin(), partial.end(), init);
        detail::parallel_for(chunks, 1, [&](int64_t cb, int64_t ce) {
            for (int64_t c = cb; c < ce; ++c)
                reduce_rows(o, c * chunk_rows, std::min(run.r, (c + 1) * chunk_rows), partial.data() + c * run.inner);
        });
        for (int64_t i = 0; i < run.inner; ++i) {
            Acc total = init;
            for (int64_t c = 0; c < chunks; ++c) total = combine(total, partial[c * run.inner + i]);
            po[o * run.inner + i] = static_cast<float>(total);
        }
    }
    return out;
}

Shape reduced_shape(const Shape& s, const std::vector<int64_t>& axes, bool keepdims) {
    Shape out;
    for (int64_t i = 0; i < s.rank(); ++i) {
        const bool reduced = std::binary_search(axes.begin(), axes.end(), i);
        if (!reduced)
            out.push_back(s[i]);
        else if (keepdims)
            out.push_back(1);
    }
    return out;
}

// Reduces `axes` (sorted, unique) one run of consecutive axes at a time; returns the keepdims shape.
template <class Acc, class Combine>
Tensor reduce_axes(const Tensor& x, const std::vector<int64_t>& axes, Acc init, Combine combine,
                   std::string_view op) {
    Shape shape = x.shape();
    for (int64_t a : axes)
        if (shape[a] == 0 && std::is_same_v<Acc, float>)
            throw ValueError(cat(op, ": cannot reduce an empty axis ", a, " of shape ", x.shape()));
    Tensor cur = x;
    size_t k = 0;
    while (k < axes.size()) {
        size_t end = k;
        while (end + 1 < axes.size() && axes[end + 1] == axes[end] + 1) ++end;
        Run run{1, 1, 1};
        for (int64_t i = 0; i < shape.rank(); ++i) {
            if (i < axes[k]) run.outer *= shape[i];
            else if (i <= axes[end]) run.r *= shape[i];
            else run.inner *= shape[i];
        }
        cur = reduce_run(cur, run, init, combine);
        for (size_t j = k; j <= end; ++j) shape[axes[j]] = 1;
        k = end + 1;
    }
    return cur.reshape(shape);
}

Tensor sum_raw(const Tensor& x, const std::vector<int64_t>& axes) {
    return reduce_axes(x, axes, 0.0, [](double a, double b) { return a + b; }, "sum");
}

// max (sign = +1) or min (sign = -1), differentiable.
Tensor extremum(const Tensor& x, const std::vector<int64_t>& axes_in, bool keepdims, bool is_max, const char* op) {
    const auto axes = normalize_axes(axes_in, x.rank(), op);
    const float init = is_max ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
    Tensor kept = is_max ? reduce_axes(x, axes, init, [](float a, float b) { return std::isnan(a) || a >= b ? a : b; }, op)
                         : reduce_axes(x, axes, init, [](float a, float b) { return std::isnan(a) || a <= b ? a : b; }, op);
    const Shape kept_shape = kept.shape();
    Tensor out = stop_gradient(kept).reshape(reduced_shape(x.shape(), axes, keepdims));
    if (autograd::is_recording())
        autograd::record(op, {x}, out, [x, kept, kept_shape, axes](const Tensor& g, const Needs&) {
            const Tensor ties = equal(x, kept);
            const Tensor share = div(ties, sum(ties, axes, true));
            return Grads{mul(broadcast_to(g.reshape(kept_shape), x.shape()), share)};
        });
    return out;
}

}  // namespace

Tensor sum(const Tensor& x, const std::vector<int64_t>& axes_in, bool keepdims) {
    const auto axes = normalize_axes(axes_in, x.rank(), "sum");
    Tensor kept = sum_raw(x, axes);
    const Shape kept_shape = kept.shape();
    Tensor out = stop_gradient(kept).reshape(reduced_shape(x.shape(), axes, keepdims));
    if (autograd::is_recording())
        autograd::record("sum", {x}, out, [xs = x.shape(), kept_shape](const Tensor& g, const Needs&) {
            return Grads{broadcast_to(g.reshape(kept_shape), xs)};
        });
    return out;
}

Tensor mean(const Tensor& x, const std::vector<int64_t>& axes_in, bool keepdims) {
    const auto axes = normalize_axes(axes_in, x.rank(), "mean");
    int64_t count = 1;
    for (int64_t a : axes) count *= x.shape()[a];
    if (count == 0) throw ValueError(cat("mean: cannot average over an empty axis of shape ", x.shape()));
    return mul(sum(x, axes, keepdims), 1.0f / static_cast<float>(count));
}

Tensor max(const Tensor& x, const std::vector<int64_t>& axes, bool keepdims) {
    return extremum(x, axes, keepdims, true, "max");
}

Tensor min(const Tensor& x, const std::vector<int64_t>& axes, bool keepdims) {
    return extremum(x, axes, keepdims, false, "min");
}

Tensor argmax(const Tensor& x, int64_t axis_in, bool keepdims) {
    const int64_t axis = normalize_axis(axis_in, x.rank(), "argmax");
    const Shape& s = x.shape();
    if (s[axis] == 0) throw ValueError(cat("argmax: axis ", axis_in, " of shape ", s, " is empty"));
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= s[i];
    for (int64_t i = axis + 1; i < s.rank(); ++i) inner *= s[i];
    const int64_t n = s[axis];
    Tensor out = Tensor::empty(reduced_shape(s, {axis}, keepdims));
    const float* px = x.data();
    float* po = out.data();
    detail::parallel_for(outer * inner, detail::grain_for_cost(n), [&](int64_t b, int64_t e) {
        for (int64_t k = b; k < e; ++k) {
            const int64_t o = k / inner, i = k % inner;
            const float* base = px + o * n * inner + i;
            int64_t best = 0;
            for (int64_t j = 1; j < n; ++j)
                if (base[j * inner] > base[best * inner] || (std::isnan(base[j * inner]) && !std::isnan(base[best * inner])))
                    best = j;
            po[k] = static_cast<float>(best);
        }
    });
    return out;
}

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
    if (x.shape() == shape) return x;
    if (broadcast_shapes(x.shape(), shape, "broadcast_to") != shape)
        throw ShapeError(cat("broadcast_to: cannot broadcast ", x.shape(), " to ", shape));
    Tensor out = Tensor::empty(shape);
    const detail::BroadcastPlan<1> plan(shape, {&x.shape()});
    const int64_t inner = plan.inner();
    const int64_t stride = plan.inner_stride(0);
    const float* px = x.data();
    float* po = out.data();
    detail::parallel_for(plan.outer(), detail::grain_for_cost(inner), [&](int64_t rb, int64_t re) {
        for (int64_t r = rb; r < re; ++r) {
            const float* q = px + plan.offsets(r)[0];
            for (int64_t i = 0; i < inner; ++i) po[r * inner + i] = q[i * stride];
        }
    });
    if (autograd::is_recording())
        autograd::record("broadcast_to", {x}, out, [xs = x.shape()](const Tensor& g, const Needs&) {
            return Grads{sum_to_shape(g, xs)};
        });
    return out;
}

}  // namespace kiln
