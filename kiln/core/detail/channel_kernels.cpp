#include "kiln/core/detail/channel_kernels.hpp"

#include <algorithm>

#include "kiln/core/detail/parallel.hpp"

namespace kiln::detail {
namespace {

// Values per tile (16 KiB of floats: L1-resident for the second pass) and per block (one parallel task's share
// of the fixed split; each block's partial results are combined in block order).
constexpr int64_t kTileValues = 4096;
constexpr int64_t kBlockValues = int64_t{1} << 16;
// Rows per tile at the least when inner == 1: with wide rows (2-D inputs of 1024 features) a tile of a few rows
// spends more time merging its per-channel moments in double than reading its values.
constexpr int64_t kMinTileRows = 16;

int64_t group_of(const BatchNormLayout& l, int64_t o) { return (o / l.outer_per_sample) % l.groups; }

// A tile: rows [row_begin, row_end) of every channel when inner == 1, else the values [inner_begin,
// inner_end) of one (row_begin, channel) plane. All of its rows are in ghost batch `group`.
struct Tile {
    int64_t row_begin, row_end, channel, inner_begin, inner_end, group;
};

// Reduces K doubles per (group, channel) over every tile. tile(t, acc, scratch) adds tile t's contribution to
// acc, which points at the tile's group (inner == 1: K values per channel) or at its (group, channel);
// scratch holds 3 * channels floats. merge(into, from) combines two partial results of one (group, channel).
template <int K, class TileFn, class Merge>
std::vector<double> reduce_tiles(const BatchNormLayout& l, TileFn tile, Merge merge) {
    const int64_t gc_count = l.groups * l.channels;
    const int64_t row_values = std::max<int64_t>(1, l.channels * l.inner);
    const int64_t block_rows = std::max<int64_t>(1, kBlockValues / row_values);
    const int64_t blocks = (l.outer + block_rows - 1) / block_rows;
    std::vector<double> partial(static_cast<size_t>(std::max<int64_t>(blocks, 1) * gc_count * K), 0.0);
    parallel_for(blocks, 1, [&](int64_t block_begin, int64_t block_end) {
        std::vector<float> scratch(static_cast<size_t>(3 * l.channels));
        for (int64_t block = block_begin; block < block_end; ++block) {
            double* acc = partial.data() + block * gc_count * K;
            const int64_t o_begin = block * block_rows, o_end = std::min(l.outer, o_begin + block_rows);
            if (l.inner == 1) {
                const int64_t tile_rows = std::max<int64_t>(kMinTileRows, kTileValues / l.channels);
                for (int64_t r = o_begin; r < o_end;) {
                    int64_t end = std::min(o_end, r + tile_rows);
                    if (l.groups > 1) end = std::min(end, (r / l.outer_per_sample + 1) * l.outer_per_sample);
                    const int64_t g = group_of(l, r);
                    tile(Tile{r, end, -1, 0, 1, g}, acc + g * l.channels * K, scratch.data());
                    r = end;
                }
            } else {
                for (int64_t o = o_begin; o < o_end; ++o) {
                    const int64_t g = group_of(l, o);
                    for (int64_t c = 0; c < l.channels; ++c)
                        for (int64_t i = 0; i < l.inner; i += kTileValues)
                            tile(Tile{o, o + 1, c, i, std::min(l.inner, i + kTileValues), g},
                                 acc + (g * l.channels + c) * K, scratch.data());
                }
            }
        }
    });
    std::vector<double> total(partial.begin(), partial.begin() + gc_count * K);
    for (int64_t block = 1; block < blocks; ++block)
        for (int64_t j = 0; j < gc_count; ++j) merge(&total[j * K], &partial[(block * gc_count + j) * K]);
    return total;
}

// acc = (count, mean, m2) merged with another set of moments (Chan, Golub and LeVeque's pairwise update).
void merge_moments(double* acc, double n, double mean, double m2) {
    if (n == 0.0) return;
    const double total = acc[0] + n;
    const double delta = mean - acc[1];
    acc[1] += delta * n / total;
    acc[2] += m2 + delta * delta * acc[0] * n / total;
    acc[0] = total;
}

// Moments of one tile, two passes over it while it is in cache. W: whether a mask weighs the values.
template <bool W>
void tile_moments(const BatchNormLayout& l, const float* x, const float* mask, const Tile& t, double* acc,
                  float* scratch) {
    auto weight = [mask](int64_t e) { return W ? (mask[e] != 0.0f ? 1.0f : 0.0f) : 1.0f; };
    if (t.channel < 0) {
        const int64_t C = l.channels;
        float* sum = scratch;
        float* squares = scratch + C;
        float* count = scratch + 2 * C;
        std::fill_n(scratch, 3 * C, 0.0f);
        for (int64_t r = t.row_begin; r < t.row_end; ++r) {
            const int64_t e0 = r * C;
            for (int64_t c = 0; c < C; ++c) {
                sum[c] += weight(e0 + c) * x[e0 + c];
                if (W) count[c] += weight(e0 + c);
            }
        }
        const auto rows = static_cast<float>(t.row_end - t.row_begin);
        for (int64_t c = 0; c < C; ++c) {
            if (!W) count[c] = rows;
            sum[c] = count[c] > 0.0f ? sum[c] / count[c] : 0.0f;  // now the tile's mean
        }
        for (int64_t r = t.row_begin; r < t.row_end; ++r) {
            const int64_t e0 = r * C;
            for (int64_t c = 0; c < C; ++c) {
                const float d = x[e0 + c] - sum[c];
                squares[c] += weight(e0 + c) * d * d;
            }
        }
        for (int64_t c = 0; c < C; ++c) merge_moments(acc + 3 * c, count[c], sum[c], squares[c]);
        return;
    }
    const int64_t e0 = (t.row_begin * l.channels + t.channel) * l.inner;
    const float* p = x + e0;
    const int64_t n = t.inner_end - t.inner_begin;
    float sum = 0.0f, count = 0.0f;
#pragma omp simd reduction(+ : sum, count)
    for (int64_t i = t.inner_begin; i < t.inner_end; ++i) {
        sum += weight(e0 + i) * p[i];
        count += weight(e0 + i);
    }
    if (!W) count = static_cast<float>(n);
    const float mean = count > 0.0f ? sum / count : 0.0f;
    float squares = 0.0f;
#pragma omp simd reduction(+ : squares)
    for (int64_t i = t.inner_begin; i < t.inner_end; ++i) {
        const float d = p[i] - mean;
        squares += weight(e0 + i) * d * d;
    }
    merge_moments(acc, count, mean, squares);
}

void add_into(double* into, const double* from, int k) {
    for (int i = 0; i < k; ++i) into[i] += from[i];
}

}  // namespace

ChannelMoments channel_moments(const float* x, const float* mask, const BatchNormLayout& l) {
    auto merge = [](double* into, const double* from) { merge_moments(into, from[0], from[1], from[2]); };
    const std::vector<double> m =
        mask == nullptr
            ? reduce_tiles<3>(l, [&](const Tile& t, double* acc, float* s) { tile_moments<false>(l, x, mask, t, acc, s); }, merge)
            : reduce_tiles<3>(l, [&](const Tile& t, double* acc, float* s) { tile_moments<true>(l, x, mask, t, acc, s); }, merge);
    const size_t n = m.size() / 3;
    ChannelMoments out{std::vector<double>(n), std::vector<double>(n), std::vector<double>(n)};
    for (size_t j = 0; j < n; ++j) {
        out.count[j] = m[3 * j];
        out.mean[j] = m[3 * j + 1];
        out.m2[j] = m[3 * j + 2];
    }
    return out;
}

std::vector<double> channel_gradient_sums(const float* g, const float* x, const float* mean,
                                          const BatchNormLayout& l) {
    auto tile = [&](const Tile& t, double* acc, float* scratch) {
        if (t.channel < 0) {
            const int64_t C = l.channels;
            const float* m = mean + t.group * C;
            float* sum_g = scratch;
            float* sum_gx = scratch + C;
            std::fill_n(scratch, 2 * C, 0.0f);
            for (int64_t r = t.row_begin; r < t.row_end; ++r) {
                const float* gr = g + r * C;
                const float* xr = x + r * C;
                for (int64_t c = 0; c < C; ++c) {
                    sum_g[c] += gr[c];
                    sum_gx[c] += gr[c] * (xr[c] - m[c]);
                }
            }
            for (int64_t c = 0; c < C; ++c) {
                acc[2 * c] += sum_g[c];
                acc[2 * c + 1] += sum_gx[c];
            }
            return;
        }
        const int64_t e0 = (t.row_begin * l.channels + t.channel) * l.inner;
        const float* gp = g + e0;
        const float* xp = x + e0;
        const float m = mean[t.group * l.channels + t.channel];
        float sum_g = 0.0f, sum_gx = 0.0f;
#pragma omp simd reduction(+ : sum_g, sum_gx)
        for (int64_t i = t.inner_begin; i < t.inner_end; ++i) {
            sum_g += gp[i];
            sum_gx += gp[i] * (xp[i] - m);
        }
        acc[0] += sum_g;
        acc[1] += sum_gx;
    };
    return reduce_tiles<2>(l, tile, [](double* into, const double* from) { add_into(into, from, 2); });
}

namespace {

// A (group, channel) parameter as one run of values sees it: a run of inner == 1 steps through the channels
// (Across), any other run stays on one channel.
template <bool Across>
struct RunParam {
    const float* p;
    float operator[](int64_t i) const {
        if constexpr (Across) return p[i];
        return p[0];
    }
};

// Calls f.operator()<Across>(e0, j, n) for runs of n values from flat index e0: one row of every channel
// (Across, j the row's group's first (group, channel)) when inner == 1, else one (group, channel) j's plane.
// Parallel over rows.
template <class F>
void for_each_run(const BatchNormLayout& l, F f) {
    parallel_for(l.outer, grain_for_cost(l.channels * l.inner), [&](int64_t ob, int64_t oe) {
        for (int64_t o = ob; o < oe; ++o) {
            const int64_t g = group_of(l, o);
            if (l.inner == 1) {
                f.template operator()<true>(o * l.channels, g * l.channels, l.channels);
            } else {
                for (int64_t c = 0; c < l.channels; ++c)
                    f.template operator()<false>((o * l.channels + c) * l.inner, g * l.channels + c, l.inner);
            }
        }
    });
}

}  // namespace

void channel_affine(const float* x, const float* shift, const float* scale, const float* bias,
                    const BatchNormLayout& l, float* out) {
    for_each_run(l, [&]<bool Across>(int64_t e0, int64_t j, int64_t n) {
        const float* xp = x + e0;
        float* op = out + e0;
        const RunParam<Across> sh{shift + j}, sc{scale + j}, bi{bias + j};
#pragma omp simd
        for (int64_t i = 0; i < n; ++i) op[i] = (xp[i] - sh[i]) * sc[i] + bi[i];
    });
}

void batch_norm_input_gradient(const float* g, const float* x, const float* mask, const float* mean,
                               const float* a, const float* c1, const float* c2, const BatchNormLayout& l,
                               float* dx) {
    for_each_run(l, [&]<bool Across>(int64_t e0, int64_t j, int64_t n) {
        const float* gp = g + e0;
        const float* xp = x + e0;
        float* dp = dx + e0;
        const RunParam<Across> m{mean + j}, ap{a + j}, p1{c1 + j}, p2{c2 + j};
        if (mask == nullptr) {
#pragma omp simd
            for (int64_t i = 0; i < n; ++i) dp[i] = gp[i] * ap[i] + (p1[i] + p2[i] * (xp[i] - m[i]));
        } else {
            const float* mp = mask + e0;
#pragma omp simd
            for (int64_t i = 0; i < n; ++i) {
                const float w = mp[i] != 0.0f ? 1.0f : 0.0f;
                dp[i] = gp[i] * ap[i] + w * (p1[i] + p2[i] * (xp[i] - m[i]));
            }
        }
    });
}

}  // namespace kiln::detail
