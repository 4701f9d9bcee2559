// max_pool2d and avg_pool2d: one window iteration shared by both ops' forward and backward kernels.
#include "kiln/core/ops/pool.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>
#include <string_view>

#include "kiln/core/detail/parallel.hpp"
#include "kiln/core/errors.hpp"
#include "kiln/core/tape.hpp"

namespace kiln {
namespace {

using Grads = std::vector<Tensor>;
using Needs = std::vector<bool>;

// The per-image dimensions of a rank-4 tensor in one layout, and where its (n, c) planes lie in memory.
struct ImageLayout {
    int64_t height = 0, width = 0, channels = 0;
    DataFormat format = DataFormat::channels_last;

    Shape shape(int64_t batch) const {
        return format == DataFormat::channels_last ? Shape{batch, height, width, channels}
                                                   : Shape{batch, channels, height, width};
    }
    int64_t plane_offset(int64_t n, int64_t c) const {
        return format == DataFormat::channels_last ? n * height * width * channels + c
                                                   : (n * channels + c) * height * width;
    }
    int64_t row_stride() const { return format == DataFormat::channels_last ? width * channels : width; }
    int64_t col_stride() const { return format == DataFormat::channels_last ? channels : 1; }
};

// The input rows [y0, y1) and columns [x0, x1) that one output element pools: its window without the padding.
struct Window {
    int64_t y0, y1, x0, x1;
    int64_t count() const { return (y1 - y0) * (x1 - x0); }
};

// A pooling op resolved against its input shape: layouts of input and output, window size, strides, padding.
struct PoolGeometry {
    int64_t batch = 0;
    ImageLayout in, out;
    std::array<int64_t, 2> pool{}, strides{};
    int64_t pad_top = 0, pad_left = 0;

    Window window(int64_t oy, int64_t ox) const {
        const int64_t y = oy * strides[0] - pad_top;
        const int64_t x = ox * strides[1] - pad_left;
        return {std::max<int64_t>(y, 0), std::min(y + pool[0], in.height), std::max<int64_t>(x, 0),
                std::min(x + pool[1], in.width)};
    }
    // Calls f(index) for each input element of window `w` in the plane starting at `plane`, in row-major order.
    template <class F>
    void visit(int64_t plane, const Window& w, F&& f) const {
        for (int64_t y = w.y0; y < w.y1; ++y)
            for (int64_t x = w.x0; x < w.x1; ++x) f(plane + y * in.row_stride() + x * in.col_stride());
    }
};

std::string pair_str(const std::array<int64_t, 2>& v) { return cat("(", v[0], ", ", v[1], ")"); }

PoolGeometry pool_geometry(const Shape& s, const Pool2DOptions& options, std::string_view op) {
    const bool last = options.data_format == DataFormat::channels_last;
    if (s.rank() != 4)
        throw ShapeError(cat(op, ": expected a rank-4 input (", last ? "[N,H,W,C]" : "[N,C,H,W]", " for ",
                             to_string(options.data_format), "), got shape ", s));
    if (options.pool_size[0] < 1 || options.pool_size[1] < 1)
        throw ValueError(cat(op, ": pool_size must be >= 1, got ", pair_str(options.pool_size)));
    if (options.strides[0] < 0 || options.strides[1] < 0)
        throw ValueError(cat(op, ": strides must be >= 0 (0 means pool_size), got ", pair_str(options.strides)));
    PoolGeometry g;
    g.batch = s[0];
    g.in = {last ? s[1] : s[2], last ? s[2] : s[3], last ? s[3] : s[1], options.data_format};
    g.pool = options.pool_size;
    for (size_t i = 0; i < 2; ++i) g.strides[i] = options.strides[i] == 0 ? g.pool[i] : options.strides[i];
    const AxisWindow rows = window_along_axis(g.in.height, g.pool[0], g.strides[0], 1, options.padding, op);
    const AxisWindow cols = window_along_axis(g.in.width, g.pool[1], g.strides[1], 1, options.padding, op);
    g.pad_top = rows.pad_before;
    g.pad_left = cols.pad_before;
    g.out = {rows.output, cols.output, g.in.channels, options.data_format};
    return g;
}

// Calls body(plane, out_index, window) for every output element: `plane` is the input offset of the element's
// (n, c) plane. Parallel over planes, so concurrent calls never touch the same input plane or output element.
template <class Body>
void for_each_window(const PoolGeometry& g, Body&& body) {
    const int64_t cost = g.out.height * g.out.width * g.pool[0] * g.pool[1];
    detail::parallel_for(g.batch * g.in.channels, detail::grain_for_cost(cost), [&](int64_t begin, int64_t end) {
        for (int64_t p = begin; p < end; ++p) {
            const int64_t n = p / g.in.channels, c = p % g.in.channels;
            const int64_t plane = g.in.plane_offset(n, c), out_plane = g.out.plane_offset(n, c);
            for (int64_t oy = 0; oy < g.out.height; ++oy)
                for (int64_t ox = 0; ox < g.out.width; ++ox)
                    body(plane, out_plane + oy * g.out.row_stride() + ox * g.out.col_stride(), g.window(oy, ox));
        }
    });
}

// Input index of the first maximum of a window, or of its first NaN, as kiln's max (never empty: 'same'
// padding is always smaller than the window).
int64_t argmax_in_window(const PoolGeometry& g, const float* px, int64_t plane, const Window& w) {
    int64_t best = -1;
    g.visit(plane, w, [&](int64_t i) {
        if (best < 0 || px[i] > px[best] || (std::isnan(px[i]) && !std::isnan(px[best]))) best = i;
    });
    return best;
}

// Where each output element's maximum was: its input index minus that of its window's first element, one
// int32 per output element. Kept from the forward pass so the backward reads no x and compares nothing.
using ArgmaxOffsets = std::shared_ptr<std::vector<int32_t>>;

int64_t window_origin(const PoolGeometry& g, int64_t plane, const Window& w) {
    return plane + w.y0 * g.in.row_stride() + w.x0 * g.in.col_stride();
}

void check_offsets_fit(const PoolGeometry& g) {
    if (g.pool[0] * g.in.row_stride() >= std::numeric_limits<int32_t>::max())
        throw ValueError(cat("max_pool2d: a window spans ", g.pool[0] * g.in.row_stride(),
                             " input elements, more than this kernel supports (2^31)"));
}

// Windows of different output elements share no input element, so the backward can write instead of add.
bool windows_are_disjoint(const PoolGeometry& g) { return g.strides[0] >= g.pool[0] && g.strides[1] >= g.pool[1]; }
// Disjoint windows that also cover every input element: no input gradient needs zeroing first.
bool windows_tile_input(const PoolGeometry& g) {
    return windows_are_disjoint(g) && g.strides == g.pool && g.pad_top == 0 && g.pad_left == 0 &&
           g.out.height * g.pool[0] == g.in.height && g.out.width * g.pool[1] == g.in.width;
}

// NHWC: for each output pixel, all channels at once (vectorized along C), parallel over output rows.
void max_pool_forward_nhwc(const PoolGeometry& g, const float* px, float* po, int32_t* arg) {
    const int64_t C = g.in.channels;
    detail::parallel_for(g.batch * g.out.height, detail::grain_for_cost(g.out.width * C * g.pool[0] * g.pool[1]),
                         [&](int64_t rb, int64_t re) {
        for (int64_t r = rb; r < re; ++r) {
            const int64_t n = r / g.out.height, oy = r % g.out.height;
            for (int64_t ox = 0; ox < g.out.width; ++ox) {
                const Window w = g.window(oy, ox);
                const float* base = px + window_origin(g, g.in.plane_offset(n, 0), w);
                const int64_t o = ((n * g.out.height + oy) * g.out.width + ox) * C;
                float* best = po + o;
                int32_t* where = arg + o;
                std::copy_n(base, C, best);
                std::fill_n(where, C, 0);
                for (int64_t y = 0; y < w.y1 - w.y0; ++y)
                    for (int64_t x = 0; x < w.x1 - w.x0; ++x) {
                        if (y == 0 && x == 0) continue;
                        const auto off = static_cast<int32_t>(y * g.in.row_stride() + x * C);
                        const float* v = base + off;
#pragma omp simd
                        for (int64_t c = 0; c < C; ++c) {
                            const bool take = v[c] > best[c] || (v[c] != v[c] && best[c] == best[c]);
                            best[c] = take ? v[c] : best[c];
                            where[c] = take ? off : where[c];
                        }
                    }
            }
        }
    });
}

// NHWC backward: each window's elements get the output gradient at the recorded maximum and 0 elsewhere
// (written, when windows are disjoint) or the gradient is added at the maximum (overlapping windows, parallel
// over images only so that no two tasks add to one element).
void max_pool_backward_nhwc(const PoolGeometry& g, const float* pg, const int32_t* arg, float* pgx) {
    const int64_t C = g.in.channels;
    const bool disjoint = windows_are_disjoint(g);
    const int64_t rows = disjoint ? g.batch * g.out.height : g.batch;
    const int64_t out_rows_per_item = disjoint ? 1 : g.out.height;
    detail::parallel_for(rows, detail::grain_for_cost(out_rows_per_item * g.out.width * C * g.pool[0] * g.pool[1]),
                         [&](int64_t rb, int64_t re) {
        for (int64_t r = rb * out_rows_per_item; r < re * out_rows_per_item; ++r) {
            const int64_t n = r / g.out.height, oy = r % g.out.height;
            for (int64_t ox = 0; ox < g.out.width; ++ox) {
                const Window w = g.window(oy, ox);
                float* base = pgx + window_origin(g, g.in.plane_offset(n, 0), w);
                const int64_t o = ((n * g.out.height + oy) * g.out.width + ox) * C;
                const float* go = pg + o;
                const int32_t* where = arg + o;
                if (!disjoint) {
                    for (int64_t c = 0; c < C; ++c) base[where[c] + c] += go[c];
                    continue;
                }
                for (int64_t y = 0; y < w.y1 - w.y0; ++y)
                    for (int64_t x = 0; x < w.x1 - w.x0; ++x) {
                        const auto off = static_cast<int32_t>(y * g.in.row_stride() + x * C);
                        float* d = base + off;
#pragma omp simd
                        for (int64_t c = 0; c < C; ++c) d[c] = where[c] == off ? go[c] : 0.0f;
                    }
            }
        }
    });
}

Tensor max_pool_backward(const PoolGeometry& g, const ArgmaxOffsets& arg, const Tensor& grad) {
    const bool nhwc = g.in.format == DataFormat::channels_last;
    Tensor gx = nhwc && windows_tile_input(g) ? Tensor::empty(g.in.shape(g.batch)) : Tensor::zeros(g.in.shape(g.batch));
    const float* pg = grad.data();
    float* pgx = gx.data();
    if (nhwc) {
        max_pool_backward_nhwc(g, pg, arg->data(), pgx);
    } else {
        for_each_window(g, [&](int64_t plane, int64_t o, const Window& w) {
            pgx[window_origin(g, plane, w) + (*arg)[o]] += pg[o];
        });
    }
    return gx;
}

Tensor avg_pool_backward(const PoolGeometry& g, const Tensor& grad) {
    Tensor gx = Tensor::zeros(g.in.shape(g.batch));
    const float* pg = grad.data();
    float* pgx = gx.data();
    for_each_window(g, [&](int64_t plane, int64_t o, const Window& w) {
        const float share = pg[o] / static_cast<float>(w.count());
        g.visit(plane, w, [&](int64_t i) { pgx[i] += share; });
    });
    return gx;
}

}  // namespace

Tensor max_pool2d(const Tensor& x, const Pool2DOptions& options) {
    const PoolGeometry g = pool_geometry(x.shape(), options, "max_pool2d");
    check_offsets_fit(g);
    Tensor out = Tensor::empty(g.out.shape(g.batch));
    const float* px = x.data();
    float* po = out.data();
    auto arg = std::make_shared<std::vector<int32_t>>(static_cast<size_t>(out.size()));
    if (g.in.format == DataFormat::channels_last) {
        max_pool_forward_nhwc(g, px, po, arg->data());
    } else {
        for_each_window(g, [&](int64_t plane, int64_t o, const Window& w) {
            const int64_t best = argmax_in_window(g, px, plane, w);
            po[o] = px[best];
            (*arg)[o] = static_cast<int32_t>(best - window_origin(g, plane, w));
        });
    }
    if (autograd::is_recording())
        autograd::record(
            "max_pool2d", {x}, out,
            [g, arg](const Tensor& grad, const Needs&) { return Grads{max_pool_backward(g, arg, grad)}; }, false);
    return out;
}

Tensor avg_pool2d(const Tensor& x, const Pool2DOptions& options) {
    const PoolGeometry g = pool_geometry(x.shape(), options, "avg_pool2d");
    Tensor out = Tensor::empty(g.out.shape(g.batch));
    const float* px = x.data();
    float* po = out.data();
    for_each_window(g, [&](int64_t plane, int64_t o, const Window& w) {
        float total = 0.0f;
        g.visit(plane, w, [&](int64_t i) { total += px[i]; });
        po[o] = total / static_cast<float>(w.count());
    });
    if (autograd::is_recording())
        autograd::record(
            "avg_pool2d", {x}, out,
            [g](const Tensor& grad, const Needs&) { return Grads{avg_pool_backward(g, grad)}; }, false);
    return out;
}

}  // namespace kiln
