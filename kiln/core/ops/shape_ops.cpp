#include "kiln/core/ops/shape_ops.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <string_view>

#include "kiln/core/detail/parallel.hpp"
#include "kiln/core/errors.hpp"
#include "kiln/core/tape.hpp"

namespace kiln {
namespace {

using Grads = std::vector<Tensor>;
using Needs = std::vector<bool>;

// Side of the square tiles in which permute moves data when neither side of a tile is contiguous in both.
constexpr int64_t kTile = 32;

// A permutation as a strided copy into a contiguous output: the output's axes in order, with size-1 axes
// dropped and neighbours that are also neighbours in the input merged, so the loops are as few and long as
// possible. A plain 2-D transpose or a batched swap of the last two axes becomes [batch,] cols x rows.
struct CopyPlan {
    std::vector<int64_t> dims;
    std::vector<int64_t> in_strides;
    std::vector<int64_t> out_strides;
};

CopyPlan plan_permute(const Shape& s, const std::vector<int64_t>& axes) {
    const std::vector<int64_t> strides = contiguous_strides(s);
    CopyPlan plan;
    for (int64_t a : axes) {
        if (s[a] == 1) continue;
        if (!plan.dims.empty() && plan.in_strides.back() == strides[a] * s[a]) {
            plan.dims.back() *= s[a];
            plan.in_strides.back() = strides[a];
            continue;
        }
        plan.dims.push_back(s[a]);
        plan.in_strides.push_back(strides[a]);
    }
    if (plan.dims.empty()) {
        plan.dims.push_back(1);
        plan.in_strides.push_back(1);
    }
    plan.out_strides = contiguous_strides(Shape(plan.dims.begin(), plan.dims.end()));
    return plan;
}

// Input and output offsets of element `index` of the grid spanned by the plan's axes `grid` (row-major).
std::array<int64_t, 2> grid_offsets(const CopyPlan& plan, const std::vector<int64_t>& grid, int64_t index) {
    std::array<int64_t, 2> off{};
    for (auto a = grid.rbegin(); a != grid.rend(); ++a) {
        const int64_t i = index % plan.dims[*a];
        index /= plan.dims[*a];
        off[0] += i * plan.in_strides[*a];
        off[1] += i * plan.out_strides[*a];
    }
    return off;
}

int64_t grid_size(const CopyPlan& plan, const std::vector<int64_t>& grid) {
    int64_t n = 1;
    for (int64_t a : grid) n *= plan.dims[a];
    return n;
}

void permute_into(const float* in, float* out, const CopyPlan& plan) {
    const int64_t last = static_cast<int64_t>(plan.dims.size()) - 1;
    const int64_t n_last = plan.dims[last];
    std::vector<int64_t> grid;
    if (plan.in_strides[last] == 1) {
        // Output rows are contiguous in the input too: one memcpy per row.
        for (int64_t a = 0; a < last; ++a) grid.push_back(a);
        detail::parallel_for(grid_size(plan, grid), detail::grain_for_cost(n_last), [&](int64_t b, int64_t e) {
            for (int64_t r = b; r < e; ++r) {
                const auto [i, o] = grid_offsets(plan, grid, r);
                std::memcpy(out + o, in + i, static_cast<size_t>(n_last) * sizeof(float));
            }
        });
        return;
    }
    // Axis j is contiguous in the input, the last axis in the output: move kTile x kTile blocks of the (j, last)
    // plane, so that both sides of each block stay in cache, for every index of the remaining axes.
    const int64_t j = std::find(plan.in_strides.begin(), plan.in_strides.end(), 1) - plan.in_strides.begin();
    for (int64_t a = 0; a < last; ++a)
        if (a != j) grid.push_back(a);
    const int64_t n_j = plan.dims[j];
    const int64_t tiles_j = (n_j + kTile - 1) / kTile;
    const int64_t tiles_last = (n_last + kTile - 1) / kTile;
    const int64_t tiles = tiles_j * tiles_last;
    const int64_t in_step = plan.in_strides[last];
    const int64_t out_step = plan.out_strides[j];
    const int64_t items = grid_size(plan, grid) * tiles;
    detail::parallel_for(items, detail::grain_for_cost(kTile * kTile), [&](int64_t b, int64_t e) {
        for (int64_t t = b; t < e; ++t) {
            const auto [i, o] = grid_offsets(plan, grid, t / tiles);
            const int64_t j0 = (t % tiles) / tiles_last * kTile;
            const int64_t l0 = (t % tiles) % tiles_last * kTile;
            const int64_t j1 = std::min(j0 + kTile, n_j);
            const int64_t l1 = std::min(l0 + kTile, n_last);
            for (int64_t jj = j0; jj < j1; ++jj) {
                const float* src = in + i + jj;
                float* dst = out + o + jj * out_step;
                for (int64_t l = l0; l < l1; ++l) dst[l] = src[l * in_step];
            }
        }
    });
}

// `axes` with negative entries mapped into [0, rank); ValueError unless it is a permutation of all axes.
std::vector<int64_t> checked_permutation(const Shape& s, const std::vector<int64_t>& axes) {
    const int64_t rank = s.rank();
    bool ok = static_cast<int64_t>(axes.size()) == rank;
    std::vector<bool> seen(static_cast<size_t>(rank), false);
    std::vector<int64_t> out;
    for (size_t k = 0; ok && k < axes.size(); ++k) {
        const int64_t a = axes[k] < 0 ? axes[k] + rank : axes[k];
        ok = a >= 0 && a < rank && !seen[a];
        if (ok) seen[a] = true;
        out.push_back(a);
    }
    if (!ok)
        throw ValueError(cat("permute: axes ", Shape(axes.begin(), axes.end()),
                             " are not a permutation of the axes of shape ", s));
    return out;
}

// Sizes before and after `axis`: the shape seen as [outer, s[axis], inner].
std::array<int64_t, 2> outer_inner(const Shape& s, int64_t axis) {
    std::array<int64_t, 2> oi{1, 1};
    for (int64_t i = 0; i < s.rank(); ++i)
        if (i != axis) oi[i < axis ? 0 : 1] *= s[i];
    return oi;
}

// Copies `runs` runs of `len` floats, run r from src + r * src_pitch to dst + r * dst_pitch.
void copy_runs(const float* src, int64_t src_pitch, float* dst, int64_t dst_pitch, int64_t runs, int64_t len) {
    detail::parallel_for(runs, detail::grain_for_cost(len), [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r)
            std::memcpy(dst + r * dst_pitch, src + r * src_pitch, static_cast<size_t>(len) * sizeof(float));
    });
}

void check_not_empty(const std::vector<Tensor>& xs, std::string_view op) {
    if (xs.empty()) throw ValueError(cat(op, ": needs at least one tensor"));
}

// ShapeError naming `op` unless every tensor has the rank and dimensions of xs[0], except along `free_axis`
// (-1 for none).
void check_matching_shapes(const std::vector<Tensor>& xs, int64_t free_axis, std::string_view op) {
    const Shape& first = xs[0].shape();
    for (size_t k = 1; k < xs.size(); ++k) {
        const Shape& s = xs[k].shape();
        bool ok = s.rank() == first.rank();
        for (int64_t i = 0; ok && i < s.rank(); ++i) ok = i == free_axis || s[i] == first[i];
        if (!ok)
            throw ShapeError(cat(op, ": tensor ", k, " has shape ", s, " but tensor 0 has shape ", first,
                                 free_axis < 0 ? " (shapes must be equal)"
                                               : cat(" (dimensions must agree except along axis ", free_axis, ")")));
    }
}

}  // namespace

Tensor permute(const Tensor& x, const std::vector<int64_t>& axes_in) {
    const Shape& s = x.shape();
    const std::vector<int64_t> axes = checked_permutation(s, axes_in);
    Shape out_shape;
    for (int64_t a : axes) out_shape.push_back(s[a]);
    Tensor out = Tensor::empty(out_shape);
    if (out.size() > 0) permute_into(x.data(), out.data(), plan_permute(s, axes));
    if (autograd::is_recording())
        autograd::record("permute", {x}, out, [axes](const Tensor& g, const Needs&) {
            std::vector<int64_t> inverse(axes.size());
            for (size_t i = 0; i < axes.size(); ++i) inverse[axes[i]] = static_cast<int64_t>(i);
            return Grads{permute(g, inverse)};
        });
    return out;
}

Tensor transpose(const Tensor& x) {
    std::vector<int64_t> axes;
    for (int64_t a = x.rank() - 1; a >= 0; --a) axes.push_back(a);
    return permute(x, axes);
}

Tensor slice_axis(const Tensor& x, int64_t axis_in, int64_t begin, int64_t end) {
    const Shape& s = x.shape();
    const int64_t axis = normalize_axis(axis_in, s.rank(), "slice_axis");
    if (begin < 0 || end < begin || end > s[axis])
        throw ValueError(cat("slice_axis: range [", begin, ", ", end, ") is out of range for axis ", axis_in,
                             " of shape ", s));
    Shape out_shape = s;
    out_shape[axis] = end - begin;
    Tensor out = Tensor::empty(out_shape);
    const auto [outer, inner] = outer_inner(s, axis);
    copy_runs(x.data() + begin * inner, s[axis] * inner, out.data(), out_shape[axis] * inner, outer,
              out_shape[axis] * inner);
    if (autograd::is_recording())
        autograd::record("slice_axis", {x}, out, [s, axis, begin, end](const Tensor& g, const Needs&) {
            Shape before = s;
            Shape after = s;
            before[axis] = begin;
            after[axis] = s[axis] - end;
            return Grads{concatenate({Tensor::zeros(before), g, Tensor::zeros(after)}, axis)};
        });
    return out;
}

Tensor concatenate(const std::vector<Tensor>& xs, int64_t axis_in) {
    check_not_empty(xs, "concatenate");
    const int64_t axis = normalize_axis(axis_in, xs[0].rank(), "concatenate");
    check_matching_shapes(xs, axis, "concatenate");
    Shape out_shape = xs[0].shape();
    out_shape[axis] = 0;
    std::vector<int64_t> starts;
    for (const Tensor& x : xs) {
        starts.push_back(out_shape[axis]);
        out_shape[axis] += x.shape()[axis];
    }
    Tensor out = Tensor::empty(out_shape);
    const auto [outer, inner] = outer_inner(out_shape, axis);
    for (size_t k = 0; k < xs.size(); ++k) {
        const int64_t len = xs[k].shape()[axis] * inner;
        copy_runs(xs[k].data(), len, out.data() + starts[k] * inner, out_shape[axis] * inner, outer, len);
    }
    if (autograd::is_recording())
        autograd::record("concatenate", xs, out, [xs, starts, axis](const Tensor& g, const Needs& needs) {
            Grads grads(xs.size());
            for (size_t k = 0; k < xs.size(); ++k)
                if (needs[k]) grads[k] = slice_axis(g, axis, starts[k], starts[k] + xs[k].shape()[axis]);
            return grads;
        });
    return out;
}

Tensor stack(const std::vector<Tensor>& xs, int64_t axis_in) {
    check_not_empty(xs, "stack");
    check_matching_shapes(xs, -1, "stack");
    const int64_t axis = normalize_axis(axis_in, xs[0].rank() + 1, "stack");
    Shape expanded = xs[0].shape();
    expanded.insert(expanded.begin() + axis, 1);
    std::vector<Tensor> parts;
    for (const Tensor& x : xs) parts.push_back(x.reshape(expanded));
    return concatenate(parts, axis);
}

Tensor one_hot(const Tensor& labels, int64_t depth) {
    if (depth < 1) throw ValueError(cat("one_hot: depth must be >= 1, got ", depth));
    Shape out_shape = labels.shape();
    out_shape.push_back(depth);
    Tensor out = Tensor::zeros(out_shape);
    const float* pl = labels.data();
    float* po = out.data();
    for (int64_t i = 0; i < labels.size(); ++i) {
        const float v = pl[i];
        if (!std::isfinite(v) || v != std::round(v))
            throw ValueError(cat("one_hot: label ", v, " at flat index ", i, " is not a whole number (depth ", depth,
                                 ")"));
        if (v < 0.0f || static_cast<double>(v) >= static_cast<double>(depth))
            throw ValueError(cat("one_hot: label ", v, " at flat index ", i, " is out of range [0, ", depth,
                                 ") for depth ", depth));
        po[i * depth + static_cast<int64_t>(v)] = 1.0f;
    }
    return out;
}

}  // namespace kiln
