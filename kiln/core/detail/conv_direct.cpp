// Direct NHWC convolution kernels (see conv_direct.hpp).
//
// Two register-blocked kernels do all the arithmetic:
// - gather<P, NV>: P output pixels x NV vectors of outputs, reducing over "pieces" (one per kernel tap) of
//   consecutive input values against rows of a weight matrix: the forward pass (input channels reduced against
//   kernel rows) and the input gradient (dy's filters reduced against the transposed kernel).
// - reduce<P, NV>: P rows of the kernel gradient (a tap and an input channel each) x NV vectors of filters,
//   reducing over output pixels: x's values against dy's vectors.
// Both keep P x NV accumulators in registers, so one weight-vector load feeds P multiply-adds and one broadcast
// feeds NV. This file is compiled with FMA contraction on (CMakeLists.txt), so `acc += x * w` is one fused
// multiply-add.

#include "kiln/core/detail/conv_direct.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "kiln/core/detail/parallel.hpp"
#include "kiln/core/detail/storage_pool.hpp"

namespace kiln::detail {
namespace {

// The vector width and how many accumulators a block may keep: the register file less the NV weight vectors and
// the broadcast value.
#if defined(__AVX512F__)
constexpr int kLanes = 16;
constexpr int kAccumulators = 24;  // of 32 zmm registers
#elif defined(__AVX__)
constexpr int kLanes = 8;
constexpr int kAccumulators = 12;  // of 16 ymm registers
#else
constexpr int kLanes = 4;
constexpr int kAccumulators = 12;  // of 16 xmm registers
#endif
constexpr int kMaxVectors = 4;
constexpr int kMaxPixels = 12;

constexpr int max_pixels(int vectors) { return std::min(kMaxPixels, kAccumulators / vectors); }

using Vec = float __attribute__((vector_size(kLanes * sizeof(float))));

Vec load(const float* p) {
    Vec v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// All lanes s: s - 0 is s for every float (s + 0 is not, for -0), so this compiles to one broadcast.
Vec splat(float s) { return s - Vec{}; }

// The first `lanes` lanes of v to out.
void store(float* out, Vec v, int64_t lanes) {
    if (lanes == kLanes)
        std::memcpy(out, &v, sizeof v);
    else
        for (int64_t l = 0; l < lanes; ++l) out[l] = v[l];
}

int64_t vectors_for(int64_t n) { return (n + kLanes - 1) / kLanes; }

// One kernel tap's run of the reduced dimension: `length` consecutive input values from `offset` on, against
// `length` consecutive weight rows from `weights` on.
struct Piece {
    int64_t offset;
    int64_t length;
    const float* weights;
};

struct GatherBlock {
    const float* in;  // pixel p reads in + p * in_step + piece.offset + k
    int64_t in_step;
    const Piece* pieces;
    int64_t piece_count;
    int64_t weight_ld;      // floats from one weight row to the next
    int64_t weight_offset;  // the block's first vector within a weight row
    float* out;             // pixel p's vectors at out + p * out_step
    int64_t out_step;
    int64_t last_lanes;  // lanes of the block's last vector that are outputs
};

struct ReduceRow {
    const float* a;  // an output row's x values (at the block's taps and channels)
    const float* b;  // the same output row's dy vectors
};

struct ReduceBlock {
    const ReduceRow* rows;
    int64_t row_count;
    const int64_t* a_offsets;  // block row p reads a + a_offsets[p] + k * a_step
    int64_t a_step;
    int64_t length;    // output pixels per row
    int64_t b_offset;  // the block's first vector: b + b_offset + k * b_step
    int64_t b_step;
    float* out;  // block row p's vectors at out + p * out_step
    int64_t out_step;
    int64_t last_lanes;
};

struct GatherKernel {
    using Args = GatherBlock;
    template <int P, int NV>
    static void run(const GatherBlock& b) {
        Vec acc[P][NV] = {};
        for (int64_t piece = 0; piece < b.piece_count; ++piece) {
            const float* in = b.in + b.pieces[piece].offset;
            const float* w = b.pieces[piece].weights + b.weight_offset;
            for (int64_t k = 0; k < b.pieces[piece].length; ++k, ++in, w += b.weight_ld) {
                Vec wv[NV];
                for (int v = 0; v < NV; ++v) wv[v] = load(w + v * kLanes);
                for (int p = 0; p < P; ++p) {
                    const Vec x = splat(in[p * b.in_step]);
                    for (int v = 0; v < NV; ++v) acc[p][v] += x * wv[v];
                }
            }
        }
        for (int p = 0; p < P; ++p)
            for (int v = 0; v < NV; ++v)
                store(b.out + p * b.out_step + v * kLanes, acc[p][v], v + 1 < NV ? kLanes : b.last_lanes);
    }
};

struct ReduceKernel {
    using Args = ReduceBlock;
    template <int P, int NV>
    static void run(const ReduceBlock& r) {
        Vec acc[P][NV] = {};
        int64_t offsets[P];
        for (int p = 0; p < P; ++p) offsets[p] = r.a_offsets[p];
        for (int64_t row = 0; row < r.row_count; ++row) {
            const float* a = r.rows[row].a;
            const float* b = r.rows[row].b + r.b_offset;
            for (int64_t k = 0; k < r.length; ++k, a += r.a_step, b += r.b_step) {
                Vec bv[NV];
                for (int v = 0; v < NV; ++v) bv[v] = load(b + v * kLanes);
                for (int p = 0; p < P; ++p) {
                    const Vec x = splat(a[offsets[p]]);
                    for (int v = 0; v < NV; ++v) acc[p][v] += x * bv[v];
                }
            }
        }
        for (int p = 0; p < P; ++p)
            for (int v = 0; v < NV; ++v)
                store(r.out + p * r.out_step + v * kLanes, acc[p][v], v + 1 < NV ? kLanes : r.last_lanes);
    }
};

// table[nv - 1][p - 1] runs kernel K on p pixels x nv vectors (p up to max_pixels(nv)).
template <class K>
using Table = std::array<std::array<void (*)(const typename K::Args&), kMaxPixels>, kMaxVectors>;

template <class K, int NV, int... P>
constexpr std::array<void (*)(const typename K::Args&), kMaxPixels> table_row(std::integer_sequence<int, P...>) {
    return {&K::template run<std::min(P + 1, max_pixels(NV)), NV>...};
}

template <class K>
constexpr Table<K> make_table() {
    using Pixels = std::make_integer_sequence<int, kMaxPixels>;
    static_assert(kMaxVectors == 4);
    return {table_row<K, 1>(Pixels{}), table_row<K, 2>(Pixels{}), table_row<K, 3>(Pixels{}),
            table_row<K, 4>(Pixels{})};
}

constexpr Table<GatherKernel> kGather = make_table<GatherKernel>();
constexpr Table<ReduceKernel> kReduce = make_table<ReduceKernel>();

// Calls f(first, size) over [0, n) in the fewest blocks of at most `most`, their sizes differing by at most one.
template <class F>
void for_each_block(int64_t n, int64_t most, F f) {
    if (n <= 0) return;
    const int64_t blocks = (n + most - 1) / most;
    const int64_t base = n / blocks;
    const int64_t extra = n % blocks;
    for (int64_t b = 0, first = 0; b < blocks; ++b) {
        const int64_t size = base + (b < extra ? 1 : 0);
        f(first, size);
        first += size;
    }
}

// The last vector of a block of `vectors` vectors from vector `first` on, over `n` outputs: its live lanes.
int64_t last_lanes(int64_t n, int64_t first, int64_t vectors) {
    return std::min<int64_t>(kLanes, n - (first + vectors - 1) * kLanes);
}

// An NHWC batch with a zero border: pixel (r, c) of image n, for r in [-top, rows - top) and c in
// [-left, cols - left), at at(n, r, c), its channels `stride` floats apart from the next pixel's.
struct Bordered {
    std::shared_ptr<float[]> owned;  // empty when the batch is used as it is
    const float* data;
    int64_t rows, cols, stride, top, left;

    const float* at(int64_t n, int64_t r, int64_t c) const { return data + ((n * rows + r + top) * cols + c + left) * stride; }
};

struct Border {
    int64_t top, bottom, left, right;
};

// src [batch, h, w, channels] with border b, each pixel padded to `stride` floats (>= channels) with zeros.
Bordered with_border(const float* src, int64_t batch, int64_t h, int64_t w, int64_t channels, Border b,
                     int64_t stride) {
    const int64_t rows = h + b.top + b.bottom, cols = w + b.left + b.right;
    if (rows == h && cols == w && stride == channels) return {nullptr, src, rows, cols, stride, 0, 0};
    auto owned = allocate_floats(batch * rows * cols * stride);
    float* dst = owned.get();
    parallel_for(batch * rows, grain_for_cost(cols * stride), [&](int64_t begin, int64_t end) {
        for (int64_t row = begin; row < end; ++row) {
            float* out = dst + row * cols * stride;
            const int64_t ih = row % rows - b.top;
            if (ih < 0 || ih >= h) {
                std::fill_n(out, cols * stride, 0.0f);
                continue;
            }
            std::fill_n(out, b.left * stride, 0.0f);
            const float* in = src + ((row / rows) * h + ih) * w * channels;
            if (stride == channels) {
                std::copy_n(in, w * channels, out + b.left * stride);
            } else {
                for (int64_t c = 0; c < w; ++c) {
                    float* pixel = out + (b.left + c) * stride;
                    std::copy_n(in + c * channels, channels, pixel);
                    std::fill(pixel + channels, pixel + stride, 0.0f);
                }
            }
            std::fill_n(out + (b.left + w) * stride, b.right * stride, 0.0f);
        }
    });
    return {owned, dst, rows, cols, stride, b.top, b.left};
}

// x's border for the forward pass and the kernel gradient: the conv's own padding.
Bordered padded_input(const ConvGeometry& g, const float* x) {
    return with_border(x, g.batch, g.height, g.width, g.channels,
                       {g.rows.pad_before, g.rows.pad_after, g.cols.pad_before, g.cols.pad_after}, g.channels);
}

// Floor and ceiling of a / b for b > 0.
int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
int64_t ceil_div(int64_t a, int64_t b) { return -floor_div(-a, b); }

// Along one axis of the input gradient: input index t gets dy[(t + pad - i * dilation) / stride] for each tap
// i where that divides exactly. The border dy needs so that every such index is inside it.
struct Reach {
    int64_t before, after;
};
Reach dy_reach(int64_t input, int64_t taps, int64_t stride, int64_t dilation, const AxisWindow& w) {
    Reach r{0, 0};
    for (int64_t t = 0; t < input; ++t)
        for (int64_t i = 0; i < taps; ++i) {
            const int64_t num = t + w.pad_before - i * dilation;
            if (num % stride != 0) continue;
            r.before = std::max(r.before, -(num / stride));
            r.after = std::max(r.after, num / stride - (w.output - 1));
        }
    return r;
}

}  // namespace

void direct_conv_forward(const ConvGeometry& g, const float* x, const float* kernel, float* y) {
    const int64_t channels = g.channels, filters = g.filters, vectors = vectors_for(filters);
    const int64_t out_w = g.cols.output, step = g.stride_w * channels;
    // The kernel as [taps * channels, vectors * kLanes]: each row padded to whole vectors.
    const Bordered weights = with_border(kernel, 1, g.taps() * channels, 1, filters, {}, vectors * kLanes);
    const Bordered xp = padded_input(g, x);
    const int64_t cost = out_w * g.patch() * filters;
    // Each tap's channels, from an output pixel's window corner; without dilation along W the taps of a kernel
    // row are neighbours in x and in the kernel, so each kernel row is one piece.
    const int64_t taps_per_piece = g.dilation_w == 1 ? g.kernel_w : 1;
    std::vector<Piece> pieces;
    for (int64_t i = 0; i < g.kernel_h; ++i)
        for (int64_t j = 0; j < g.kernel_w; j += taps_per_piece)
            pieces.push_back({(i * g.dilation_h * xp.cols + j * g.dilation_w) * channels, taps_per_piece * channels,
                              weights.data + (i * g.kernel_w + j) * channels * weights.stride});
    const int64_t piece_count = static_cast<int64_t>(pieces.size());
    parallel_for(g.batch * g.rows.output, grain_for_cost(cost), [&](int64_t begin, int64_t end) {
        for (int64_t row = begin; row < end; ++row) {
            const int64_t n = row / g.rows.output;
            const int64_t ih0 = (row % g.rows.output) * g.stride_h - g.rows.pad_before;
            const float* origin = xp.at(n, ih0, -g.cols.pad_before);
            float* out_row = y + row * out_w * filters;
            for_each_block(vectors, kMaxVectors, [&](int64_t v0, int64_t nv) {
                const auto& kernels = kGather[static_cast<size_t>(nv - 1)];
                for_each_block(out_w, max_pixels(static_cast<int>(nv)), [&](int64_t ow0, int64_t np) {
                    kernels[static_cast<size_t>(np - 1)](
                        {origin + ow0 * step, step, pieces.data(), piece_count, weights.stride, v0 * kLanes,
                         out_row + ow0 * filters + v0 * kLanes, filters, last_lanes(filters, v0, nv)});
                });
            });
        }
    });
}

void direct_conv_input_gradient(const ConvGeometry& g, const float* dy, const float* kernel, float* dx) {
    const int64_t channels = g.channels, filters = g.filters, vectors = vectors_for(channels);
    const int64_t ld = vectors * kLanes;
    // The kernel transposed per tap, [taps, filters, ld]: row (tap, f) holds w[tap, :, f].
    const auto transposed = allocate_floats(g.taps() * filters * ld);
    for (int64_t tap = 0; tap < g.taps(); ++tap)
        for (int64_t f = 0; f < filters; ++f) {
            float* row = transposed.get() + (tap * filters + f) * ld;
            for (int64_t c = 0; c < channels; ++c) row[c] = kernel[(tap * channels + c) * filters + f];
            std::fill(row + channels, row + ld, 0.0f);
        }
    const Reach rows = dy_reach(g.height, g.kernel_h, g.stride_h, g.dilation_h, g.rows);
    const Reach cols = dy_reach(g.width, g.kernel_w, g.stride_w, g.dilation_w, g.cols);
    const Bordered dyp = with_border(dy, g.batch, g.rows.output, g.cols.output, filters,
                                     {rows.before, rows.after, cols.before, cols.after}, filters);
    const int64_t cost = g.width * g.patch() * filters;
    parallel_for(g.batch * g.height, grain_for_cost(cost), [&](int64_t begin, int64_t end) {
        std::vector<Piece> pieces;
        pieces.reserve(static_cast<size_t>(g.taps()));
        for (int64_t row = begin; row < end; ++row) {
            const int64_t n = row / g.height, ih = row % g.height;
            // Columns iw = residue - pad + stride * q for q in [q_lo, q_hi] see the same taps, and consecutive q
            // read consecutive dy pixels.
            for (int64_t residue = 0; residue < g.stride_w; ++residue) {
                const int64_t q_lo = ceil_div(g.cols.pad_before - residue, g.stride_w);
                const int64_t q_hi = floor_div(g.width - 1 + g.cols.pad_before - residue, g.stride_w);
                if (q_hi < q_lo) continue;
                pieces.clear();
                for (int64_t i = 0; i < g.kernel_h; ++i) {
                    const int64_t num_h = ih + g.rows.pad_before - i * g.dilation_h;
                    if (num_h % g.stride_h != 0) continue;
                    for (int64_t j = 0; j < g.kernel_w; ++j) {
                        const int64_t num_w = residue - j * g.dilation_w;
                        if (num_w % g.stride_w != 0) continue;
                        const float* first = dyp.at(n, num_h / g.stride_h, q_lo + num_w / g.stride_w);
                        pieces.push_back({first - dyp.data, filters, transposed.get() + (i * g.kernel_w + j) * filters * ld});
                    }
                }
                const int64_t iw_lo = residue - g.cols.pad_before + g.stride_w * q_lo;
                float* out = dx + ((n * g.height + ih) * g.width + iw_lo) * channels;
                const int64_t out_step = g.stride_w * channels;
                for_each_block(vectors, kMaxVectors, [&](int64_t v0, int64_t nv) {
                    const auto& kernels = kGather[static_cast<size_t>(nv - 1)];
                    for_each_block(q_hi - q_lo + 1, max_pixels(static_cast<int>(nv)), [&](int64_t q0, int64_t np) {
                        kernels[static_cast<size_t>(np - 1)](
                            {dyp.data + q0 * filters, filters, pieces.data(), static_cast<int64_t>(pieces.size()), ld,
                             v0 * kLanes, out + q0 * out_step + v0 * kLanes, out_step,
                             last_lanes(channels, v0, nv)});
                    });
                });
            }
        }
    });
}

void direct_conv_kernel_gradient(const ConvGeometry& g, const float* x, const float* dy, float* dkernel) {
    const int64_t channels = g.channels, filters = g.filters, vectors = vectors_for(filters);
    const int64_t out_h = g.rows.output, out_w = g.cols.output;
    const Bordered xp = padded_input(g, x);
    const Bordered dyv = with_border(dy, g.batch, out_h, out_w, filters, {}, vectors * kLanes);
    // Row r = tap * channels + c of the kernel gradient reads x at a_offsets[r] from an output pixel's window.
    std::vector<int64_t> a_offsets(static_cast<size_t>(g.patch()));
    for (int64_t i = 0; i < g.kernel_h; ++i)
        for (int64_t j = 0; j < g.kernel_w; ++j)
            for (int64_t c = 0; c < channels; ++c)
                a_offsets[static_cast<size_t>((i * g.kernel_w + j) * channels + c)] =
                    (i * g.dilation_h * xp.cols + j * g.dilation_w) * channels + c;
    // Blocks of (rows, vectors), each adding to its own part of dkernel.
    struct Task {
        int64_t r0, rows, v0, vectors;
    };
    std::vector<Task> tasks;
    for_each_block(vectors, kMaxVectors, [&](int64_t v0, int64_t nv) {
        for_each_block(g.patch(), max_pixels(static_cast<int>(nv)),
                       [&](int64_t r0, int64_t np) { tasks.push_back({r0, np, v0, nv}); });
    });
    // Images in chunks whose x and dy stay in a core's L2 cache while the tasks read them, at most kMaxPartialBytes
    // of per-chunk partial gradients; (chunk, task) pairs run in parallel and the chunks' partials are added in
    // chunk order, so the sums do not depend on the thread count.
    constexpr int64_t kChunkBytes = int64_t{512} << 10;
    constexpr int64_t kMaxPartialBytes = int64_t{64} << 20;
    const int64_t kernel_size = g.taps() * channels * filters;
    const int64_t image_bytes = (xp.rows * xp.cols * xp.stride + out_h * out_w * dyv.stride) * 4;
    const int64_t max_chunks = std::max<int64_t>(1, kMaxPartialBytes / std::max<int64_t>(kernel_size * 4, 1));
    const int64_t images_per_chunk = std::max({int64_t{1}, kChunkBytes / std::max<int64_t>(image_bytes, 1),
                                               (g.batch + max_chunks - 1) / max_chunks});
    const int64_t chunks = (g.batch + images_per_chunk - 1) / images_per_chunk;
    if (chunks == 0) {  // an empty batch
        std::fill_n(dkernel, kernel_size, 0.0f);
        return;
    }
    std::vector<ReduceRow> rows;
    for (int64_t n = 0; n < g.batch; ++n)
        for (int64_t oh = 0; oh < out_h; ++oh)
            rows.push_back({xp.at(n, oh * g.stride_h - g.rows.pad_before, -g.cols.pad_before), dyv.at(n, oh, 0)});
    const auto partials = allocate_floats(chunks > 1 ? chunks * kernel_size : 0);
    const int64_t task_count = static_cast<int64_t>(tasks.size());
    const int64_t cost = images_per_chunk * out_h * out_w * kAccumulators * kLanes;
    parallel_for(chunks * task_count, grain_for_cost(cost), [&](int64_t begin, int64_t end) {
        for (int64_t item = begin; item < end; ++item) {
            const int64_t chunk = item / task_count;
            const Task& task = tasks[static_cast<size_t>(item % task_count)];
            const int64_t first_row = chunk * images_per_chunk * out_h;
            const int64_t row_count = std::min(g.batch * out_h, first_row + images_per_chunk * out_h) - first_row;
            float* out = chunks > 1 ? partials.get() + chunk * kernel_size : dkernel;
            kReduce[static_cast<size_t>(task.vectors - 1)][static_cast<size_t>(task.rows - 1)](
                {rows.data() + first_row, row_count, a_offsets.data() + task.r0, g.stride_w * channels, out_w,
                 task.v0 * kLanes, dyv.stride, out + task.r0 * filters + task.v0 * kLanes, filters,
                 last_lanes(filters, task.v0, task.vectors)});
        }
    });
    if (chunks == 1) return;
    parallel_for(kernel_size, grain_for_cost(chunks), [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
            float total = partials[i];
            for (int64_t chunk = 1; chunk < chunks; ++chunk) total += partials[chunk * kernel_size + i];
            dkernel[i] = total;
        }
    });
}

}  // namespace kiln::detail
