// conv2d, with its backward pass. Without groups it runs the direct kernels of core/detail/conv_direct.cpp;
// grouped convolutions run as im2col + sgemm in NHWC (col2im and a kernel-gradient sgemm backward).
//
// im2col unrolls images, a chunk of the batch at a time, into a column buffer with one row per output pixel:
// for each group, kernel row, kernel column, the group's input channels (zeros where the tap is in the
// padding). Group g's columns times group g's kernel columns give group g's output filters; the three
// matrices are addressed in place through leading dimensions. channels_first input is converted to NHWC and
// the result back. Chunks of images run in parallel, each with a column buffer of its own.

#include "kiln/core/ops/conv.hpp"

#include <algorithm>
#include <memory>

#include "kiln/core/detail/conv_direct.hpp"
#include "kiln/core/detail/gemm.hpp"
#include "kiln/core/detail/parallel.hpp"
#include "kiln/core/detail/storage_pool.hpp"
#include "kiln/core/errors.hpp"
#include "kiln/core/tape.hpp"

namespace kiln {
namespace {

using Grads = std::vector<Tensor>;
using Needs = std::vector<bool>;

// Column buffer for one chunk of images (at least one image is always processed): small enough to stay in
// a core's L2 cache between im2col and sgemm. Measured on (64,32,32,32) 3x3 32->64 forward+backward, 1 thread:
// 64 MiB 141 ms, 8 MiB 86 ms, 2 MiB 77 ms, 1 MiB 99 ms. It does not follow the thread count: the kernel
// gradient adds up chunk by chunk, and its rounding must not depend on the number of threads.
constexpr int64_t kColumnBufferBytes = int64_t{2} << 20;

using Geometry = detail::ConvGeometry;

std::string pair_str(const std::array<int64_t, 2>& v) { return cat("[", v[0], ",", v[1], "]"); }

// Validates the arguments and derives the geometry; every error names conv2d and the offending values.
Geometry make_geometry(const Shape& xs, const Shape& ks, const Conv2DOptions& o) {
    const bool first = o.data_format == DataFormat::channels_first;
    if (o.strides[0] < 1 || o.strides[1] < 1)
        throw ValueError(cat("conv2d: strides must be >= 1, got ", pair_str(o.strides)));
    if (o.dilation[0] < 1 || o.dilation[1] < 1)
        throw ValueError(cat("conv2d: dilation must be >= 1, got ", pair_str(o.dilation)));
    if (o.groups < 1) throw ValueError(cat("conv2d: groups must be >= 1, got ", o.groups));
    if (xs.rank() != 4)
        throw ShapeError(cat("conv2d: input must have rank 4 (", first ? "[N,C,H,W]" : "[N,H,W,C]", " for ",
                             to_string(o.data_format), "), got ", xs));
    if (ks.rank() != 4)
        throw ShapeError(cat("conv2d: kernel must have rank 4 ([kh,kw,C/groups,filters]), got ", ks));
    Geometry g{};
    g.batch = xs[0];
    g.channels = first ? xs[1] : xs[3];
    g.height = first ? xs[2] : xs[1];
    g.width = first ? xs[3] : xs[2];
    g.kernel_h = ks[0];
    g.kernel_w = ks[1];
    g.filters = ks[3];
    g.groups = o.groups;
    if (g.channels % g.groups != 0)
        throw ShapeError(cat("conv2d: input channels ", g.channels, " are not divisible by groups ", g.groups,
                             "; input ", xs));
    if (g.filters % g.groups != 0)
        throw ShapeError(cat("conv2d: filters ", g.filters, " are not divisible by groups ", g.groups, "; kernel ",
                             ks));
    if (ks[2] != g.group_channels())
        throw ShapeError(cat("conv2d: kernel ", ks, " expects ", ks[2], " input channels per group, but input ", xs,
                             " with groups ", g.groups, " has ", g.group_channels()));
    g.stride_h = o.strides[0];
    g.stride_w = o.strides[1];
    g.dilation_h = o.dilation[0];
    g.dilation_w = o.dilation[1];
    g.rows = window_along_axis(g.height, g.kernel_h, g.stride_h, g.dilation_h, o.padding, "conv2d");
    g.cols = window_along_axis(g.width, g.kernel_w, g.stride_w, g.dilation_w, o.padding, "conv2d");
    return g;
}

// out[b, j, i] = in[b, i, j] for `in` seen as [batch, p, q]; the NCHW <-> NHWC conversions.
Tensor swap_inner_axes(const Tensor& in, int64_t batch, int64_t p, int64_t q, Shape out_shape) {
    Tensor out = Tensor::empty(std::move(out_shape));
    const float* src = in.data();
    float* dst = out.data();
    detail::parallel_for(batch * q, detail::grain_for_cost(p), [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
            const float* from = src + (r / q) * p * q + r % q;
            for (int64_t i = 0; i < p; ++i) dst[r * p + i] = from[i * q];
        }
    });
    return out;
}

Tensor nchw_to_nhwc(const Tensor& t) {
    const Shape& s = t.shape();
    return swap_inner_axes(t, s[0], s[1], s[2] * s[3], Shape{s[0], s[2], s[3], s[1]});
}

Tensor nhwc_to_nchw(const Tensor& t) {
    const Shape& s = t.shape();
    return swap_inner_axes(t, s[0], s[1] * s[2], s[3], Shape{s[0], s[3], s[1], s[2]});
}

// Calls f(col_offset, x_offset, length) over the column-buffer row of output pixel `pixel` of image `image`:
// its `length` values from col_offset on are x's values from x_offset on (NHWC), or zero padding when
// x_offset is -1: one span per group and tap.
template <class F>
void for_each_span(const Geometry& g, int64_t image, int64_t pixel, F f) {
    const int64_t oh = pixel / g.cols.output;
    const int64_t ow = pixel % g.cols.output;
    const int64_t run = g.group_channels();
    const int64_t iw0 = ow * g.stride_w - g.cols.pad_before;
    auto x_at = [&](int64_t ih, int64_t iw, int64_t group) {
        return ((image * g.height + ih) * g.width + iw) * g.channels + group * run;
    };
    int64_t col = 0;
    for (int64_t group = 0; group < g.groups; ++group)
        for (int64_t i = 0; i < g.kernel_h; ++i) {
            const int64_t ih = oh * g.stride_h - g.rows.pad_before + i * g.dilation_h;
            for (int64_t j = 0; j < g.kernel_w; ++j, col += run) {
                const int64_t iw = iw0 + j * g.dilation_w;
                const bool inside = ih >= 0 && ih < g.height && iw >= 0 && iw < g.width;
                f(col, inside ? x_at(ih, iw, group) : -1, run);
            }
        }
}

// Unrolls images [first, first + count) of x (NHWC) into `col`, parallel over its rows.
void im2col(const Geometry& g, const float* x, int64_t first, int64_t count, float* col) {
    detail::parallel_for(count * g.pixels(), detail::grain_for_cost(g.patch()), [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
            float* row = col + r * g.patch();
            for_each_span(g, first + r / g.pixels(), r % g.pixels(), [&](int64_t c, int64_t at, int64_t length) {
                if (at < 0)
                    std::fill_n(row + c, length, 0.0f);
                else
                    std::copy_n(x + at, length, row + c);
            });
        }
    });
}

// Adds the rows of `col` back onto dx (NHWC) for images [first, first + count): the adjoint of im2col. The rows
// of one image overlap in dx, so the work is parallel over images only.
void col2im(const Geometry& g, const float* col, int64_t first, int64_t count, float* dx) {
    detail::parallel_for(count, detail::grain_for_cost(g.pixels() * g.patch()), [&](int64_t begin, int64_t end) {
        for (int64_t n = begin; n < end; ++n)
            for (int64_t p = 0; p < g.pixels(); ++p) {
                const float* row = col + (n * g.pixels() + p) * g.patch();
                for_each_span(g, first + n, p, [&](int64_t c, int64_t at, int64_t length) {
                    if (at < 0) return;
                    for (int64_t k = 0; k < length; ++k) dx[at + k] += row[c + k];
                });
            }
    });
}

// The batch in consecutive chunks of images whose column buffer stays under kColumnBufferBytes (at least one
// image per chunk). The split depends on the shapes only, never on the thread count.
struct Chunks {
    int64_t images_per_chunk, count;
};

Chunks chunks_of(const Geometry& g) {
    const int64_t per_image = std::max<int64_t>(1, g.pixels() * g.patch() * static_cast<int64_t>(sizeof(float)));
    const int64_t images = std::clamp<int64_t>(kColumnBufferBytes / per_image, 1, std::max<int64_t>(g.batch, 1));
    return {images, (g.batch + images - 1) / images};
}

// Calls f(chunk, first, count, col) for every chunk, in parallel: images [first, first + count) with a column
// buffer of the task's own, so each chunk's im2col and sgemm run on one core out of its cache.
template <class F>
void for_each_chunk(const Geometry& g, F f) {
    const Chunks chunks = chunks_of(g);
    detail::parallel_for(chunks.count, 1, [&](int64_t begin, int64_t end) {
        const auto col = detail::allocate_floats(chunks.images_per_chunk * g.pixels() * g.patch());
        for (int64_t chunk = begin; chunk < end; ++chunk) {
            const int64_t first = chunk * chunks.images_per_chunk;
            f(chunk, first, std::min(chunks.images_per_chunk, g.batch - first), col.get());
        }
    });
}

// How many floats group g + 1 of each gemm operand starts after group g.
struct GroupStep {
    int64_t a, b, c;
};

// For each group g: C_g = op(A_g) op(B_g) + beta C_g, the groups' operands `step` apart.
void grouped_gemm(const Geometry& g, int64_t m, int64_t n, int64_t k, detail::GemmOperand a, detail::GemmOperand b,
                  float beta, float* c, int64_t ldc, GroupStep step) {
    for (int64_t group = 0; group < g.groups; ++group) {
        detail::GemmOperand ag = a, bg = b;
        ag.data += group * step.a;
        bg.data += group * step.b;
        detail::gemm("conv2d", m, n, k, 1.0f, ag, bg, beta, c + group * step.c, ldc);
    }
}

// y = conv(x, kernel), all NHWC: y_g[pixels, filters/groups] = col_g[pixels, patch/groups] kernel_g.
Tensor forward_nhwc(const Geometry& g, const Tensor& x, const Tensor& kernel) {
    Tensor y = Tensor::empty(Shape{g.batch, g.rows.output, g.cols.output, g.filters});
    if (g.groups == 1) {
        detail::direct_conv_forward(g, x.data(), kernel.data(), y.data());
        return y;
    }
    const GroupStep step{g.group_patch(), g.group_filters(), g.group_filters()};
    for_each_chunk(g, [&](int64_t, int64_t first, int64_t count, float* col) {
        im2col(g, x.data(), first, count, col);
        grouped_gemm(g, count * g.pixels(), g.group_filters(), g.group_patch(), {col, g.patch()},
                     {kernel.data(), g.filters}, 0.0f, y.data() + first * g.pixels() * g.filters, g.filters, step);
    });
    return y;
}

// Gradients of x (NHWC) and kernel from dy (NHWC): dcol_g = dy_g kernel_g^T folded back by col2im, and
// dkernel_g = the sum of each chunk's col_g^T dy_g, added in chunk order. Only the requested ones are computed
// (others stay undefined).
Grads backward_nhwc(const Geometry& g, const Tensor& x, const Tensor& kernel, const Tensor& dy, const Needs& needs) {
    if (g.groups == 1) {
        Tensor dx = needs[0] ? Tensor::empty(x.shape()) : Tensor();
        Tensor dkernel = needs[1] ? Tensor::empty(kernel.shape()) : Tensor();
        if (needs[0]) detail::direct_conv_input_gradient(g, dy.data(), kernel.data(), dx.data());
        if (needs[1]) detail::direct_conv_kernel_gradient(g, x.data(), dy.data(), dkernel.data());
        return {dx, dkernel};
    }
    Tensor dx = needs[0] ? Tensor::zeros(x.shape()) : Tensor();
    Tensor dkernel = needs[1] ? Tensor::empty(kernel.shape()) : Tensor();
    const int64_t kernel_size = kernel.size();
    const auto partials = detail::allocate_floats(needs[1] ? chunks_of(g).count * kernel_size : 0);
    for_each_chunk(g, [&](int64_t chunk, int64_t first, int64_t count, float* col) {
        const int64_t rows = count * g.pixels();
        const float* dy_chunk = dy.data() + first * g.pixels() * g.filters;
        if (needs[1]) {
            im2col(g, x.data(), first, count, col);
            grouped_gemm(g, g.group_patch(), g.group_filters(), rows, {col, g.patch(), true}, {dy_chunk, g.filters},
                         0.0f, partials.get() + chunk * kernel_size, g.filters,
                         {g.group_patch(), g.group_filters(), g.group_filters()});
        }
        if (needs[0]) {
            grouped_gemm(g, rows, g.group_patch(), g.group_filters(), {dy_chunk, g.filters},
                         {kernel.data(), g.filters, true}, 0.0f, col, g.patch(),
                         {g.group_filters(), g.group_filters(), g.group_patch()});
            col2im(g, col, first, count, dx.data());
        }
    });
    if (needs[1]) {
        float* dk = dkernel.data();
        const float* p = partials.get();
        const int64_t chunks = chunks_of(g).count;
        if (chunks == 0) std::fill_n(dk, kernel_size, 0.0f);  // an empty batch
        else std::copy_n(p, kernel_size, dk);
        for (int64_t chunk = 1; chunk < chunks; ++chunk)
            for (int64_t i = 0; i < kernel_size; ++i) dk[i] += p[chunk * kernel_size + i];
    }
    return {dx, dkernel};
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& kernel, const Conv2DOptions& options) {
    const Geometry g = make_geometry(x.shape(), kernel.shape(), options);
    const bool channels_first = options.data_format == DataFormat::channels_first;
    const Tensor x_nhwc = channels_first ? nchw_to_nhwc(x) : x;
    const Tensor y_nhwc = forward_nhwc(g, x_nhwc, kernel);
    Tensor out = channels_first ? nhwc_to_nchw(y_nhwc) : y_nhwc;
    if (autograd::is_recording())
        autograd::record(
            "conv2d", {x, kernel}, out,
            [g, x_nhwc, kernel, channels_first](const Tensor& dy, const Needs& needs) {
                Grads grads = backward_nhwc(g, x_nhwc, kernel, channels_first ? nchw_to_nhwc(dy) : dy, needs);
                if (channels_first && needs[0]) grads[0] = nhwc_to_nchw(grads[0]);
                return grads;
            },
            false);
    return out;
}

}  // namespace kiln
