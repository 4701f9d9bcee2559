// group_norm: statistics per (sample, group) in parallel over the pairs, each pair's sums in a fixed order; the
// gamma and beta gradients in parallel over blocks of channels, each summed over the samples in order. So the
// results do not depend on the thread count.

#include "kiln/core/ops/group_norm.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>
#include <vector>

#include "kiln/core/detail/parallel.hpp"
#include "kiln/core/errors.hpp"
#include "kiln/core/tape.hpp"

namespace kiln {
namespace {

using Grads = std::vector<Tensor>;
using Needs = std::vector<bool>;

// The layout with its derived sizes. Group g of sample n is, at each spatial position s, one contiguous run of
// group_channels * trailing values.
struct Groups {
    GroupNormLayout l;
    int64_t group_channels = 0;
    int64_t run = 0;    // values per run
    int64_t count = 0;  // values per (sample, group)

    int64_t pairs() const { return l.samples * l.groups; }
    int64_t offset(int64_t pair, int64_t s) const {
        const int64_t n = pair / l.groups, g = pair % l.groups;
        return ((n * l.spatial + s) * l.channels + g * group_channels) * l.trailing;
    }
};

Groups check_layout(const Tensor& x, const Tensor& gamma, const Tensor& beta, const GroupNormLayout& l) {
    if (l.samples < 0 || l.spatial < 0 || l.trailing < 0 || l.channels < 1 || l.groups < 1)
        throw ValueError(cat("group_norm: invalid layout samples=", l.samples, " spatial=", l.spatial,
                             " channels=", l.channels, " trailing=", l.trailing, " groups=", l.groups));
    if (l.channels % l.groups != 0)
        throw ShapeError(cat("group_norm: ", l.groups, " groups do not divide ", l.channels, " channels"));
    if (l.samples * l.spatial * l.channels * l.trailing != x.size())
        throw ShapeError(cat("group_norm: layout [", l.samples, ",", l.spatial, ",", l.channels, ",", l.trailing,
                             "] does not describe input ", x.shape()));
    for (const Tensor* p : {&gamma, &beta})
        if (p->defined() && p->size() != l.channels)
            throw ShapeError(cat("group_norm: ", p == &gamma ? "gamma" : "beta", " ", p->shape(), " must have ",
                                 l.channels, " values, one per channel"));
    Groups g{l};
    g.group_channels = l.channels / l.groups;
    g.run = g.group_channels * l.trailing;
    g.count = l.spatial * g.run;
    return g;
}

// Per (sample, group): the mean and 1 / sqrt(variance + epsilon).
struct Moments {
    std::vector<double> mean, inv;
};

Moments moments(const Groups& g, const float* x, double epsilon) {
    Moments m{std::vector<double>(static_cast<size_t>(g.pairs())), std::vector<double>(static_cast<size_t>(g.pairs()))};
    detail::parallel_for(g.pairs(), detail::grain_for_cost(2 * g.count), [&](int64_t begin, int64_t end) {
        for (int64_t pair = begin; pair < end; ++pair) {
            double sum = 0.0;
            for (int64_t s = 0; s < g.l.spatial; ++s) {
                const float* r = x + g.offset(pair, s);
#pragma omp simd reduction(+ : sum)
                for (int64_t i = 0; i < g.run; ++i) sum += r[i];
            }
            const double mean = g.count > 0 ? sum / static_cast<double>(g.count) : 0.0;
            double squares = 0.0;
            for (int64_t s = 0; s < g.l.spatial; ++s) {
                const float* r = x + g.offset(pair, s);
#pragma omp simd reduction(+ : squares)
                for (int64_t i = 0; i < g.run; ++i) squares += (r[i] - mean) * (r[i] - mean);
            }
            const double variance = g.count > 0 ? squares / static_cast<double>(g.count) : 0.0;
            m.mean[static_cast<size_t>(pair)] = mean;
            m.inv[static_cast<size_t>(pair)] = 1.0 / std::sqrt(variance + epsilon);
        }
    });
    return m;
}

float value_or(const Tensor& t, int64_t i, float fallback) { return t.defined() ? t.data()[i] : fallback; }

// out = in * scale[c] + shift[c] over one run of a pair's values: channel c spans `trailing` values.
void affine_run(const float* in, const float* scale, const float* shift, int64_t channels, int64_t trailing,
                float* out) {
    if (trailing == 1) {
#pragma omp simd
        for (int64_t c = 0; c < channels; ++c) out[c] = in[c] * scale[c] + shift[c];
        return;
    }
    for (int64_t c = 0; c < channels; ++c)
#pragma omp simd
        for (int64_t t = 0; t < trailing; ++t) out[c * trailing + t] = in[c * trailing + t] * scale[c] + shift[c];
}

// dx = inv (dy gamma - mean(dy gamma) - xhat mean(dy gamma xhat)) per (sample, group), xhat = (x - mean) inv.
Tensor input_gradient(const Groups& g, const Tensor& x, const Tensor& gamma, const Tensor& dy, const Moments& m) {
    Tensor dx = Tensor::empty(x.shape());
    const float* px = x.data();
    const float* pdy = dy.data();
    float* pdx = dx.data();
    detail::parallel_for(g.pairs(), detail::grain_for_cost(3 * g.count), [&](int64_t begin, int64_t end) {
        std::vector<float> a(static_cast<size_t>(g.group_channels)), shift(static_cast<size_t>(g.group_channels));
        for (int64_t pair = begin; pair < end; ++pair) {
            const double mean = m.mean[static_cast<size_t>(pair)], inv = m.inv[static_cast<size_t>(pair)];
            const int64_t c0 = (pair % g.l.groups) * g.group_channels;
            // s1 = sum(dy gamma), s2 = sum(dy gamma (x - mean)).
            double s1 = 0.0, s2 = 0.0;
            for (int64_t s = 0; s < g.l.spatial; ++s) {
                const int64_t at = g.offset(pair, s);
                for (int64_t c = 0; c < g.group_channels; ++c) {
                    const double gm = value_or(gamma, c0 + c, 1.0f);
                    double d1 = 0.0, d2 = 0.0;
                    const float* xr = px + at + c * g.l.trailing;
                    const float* dr = pdy + at + c * g.l.trailing;
#pragma omp simd reduction(+ : d1, d2)
                    for (int64_t t = 0; t < g.l.trailing; ++t) {
                        d1 += dr[t];
                        d2 += dr[t] * (xr[t] - mean);
                    }
                    s1 += gm * d1;
                    s2 += gm * d2;
                }
            }
            const double per = g.count > 0 ? 1.0 / static_cast<double>(g.count) : 0.0;
            // dx = a[c] dy + (x - mean) (-k) - b: a = inv gamma, k = inv^3 s2 / M, b = inv s1 / M.
            const double k = inv * inv * inv * s2 * per, b = inv * s1 * per;
            for (int64_t c = 0; c < g.group_channels; ++c) {
                a[static_cast<size_t>(c)] = static_cast<float>(inv * value_or(gamma, c0 + c, 1.0f));
                shift[static_cast<size_t>(c)] = static_cast<float>(mean * k - b);
            }
            const float neg_k = static_cast<float>(-k);
            for (int64_t s = 0; s < g.l.spatial; ++s) {
                const int64_t at = g.offset(pair, s);
                for (int64_t c = 0; c < g.group_channels; ++c) {
                    const float ac = a[static_cast<size_t>(c)], hc = shift[static_cast<size_t>(c)];
                    const int64_t o = at + c * g.l.trailing;
#pragma omp simd
                    for (int64_t t = 0; t < g.l.trailing; ++t) pdx[o + t] = ac * pdy[o + t] + neg_k * px[o + t] + hc;
                }
            }
        }
    });
    return dx;
}

// dgamma[c] = sum(dy xhat), dbeta[c] = sum(dy) over samples, spatial and trailing; blocks of channels in parallel.
std::pair<Tensor, Tensor> parameter_gradients(const Groups& g, const Tensor& x, const Tensor& dy, const Moments& m) {
    constexpr int64_t kBlock = 64;
    Tensor dgamma = Tensor::empty(Shape{g.l.channels}), dbeta = Tensor::empty(Shape{g.l.channels});
    const float* px = x.data();
    const float* pdy = dy.data();
    const int64_t blocks = (g.l.channels + kBlock - 1) / kBlock;
    const int64_t cost = g.l.samples * g.l.spatial * kBlock * g.l.trailing * 2;
    detail::parallel_for(blocks, detail::grain_for_cost(cost), [&](int64_t begin, int64_t end) {
        for (int64_t block = begin; block < end; ++block) {
            const int64_t c0 = block * kBlock, c1 = std::min(g.l.channels, c0 + kBlock);
            std::array<double, kBlock> sg{}, sb{};
            for (int64_t n = 0; n < g.l.samples; ++n)
                for (int64_t s = 0; s < g.l.spatial; ++s) {
                    const int64_t row = (n * g.l.spatial + s) * g.l.channels;
                    for (int64_t c = c0; c < c1; ++c) {
                        const size_t pair = static_cast<size_t>(n * g.l.groups + c / g.group_channels);
                        const double mean = m.mean[pair];
                        const float* xr = px + (row + c) * g.l.trailing;
                        const float* dr = pdy + (row + c) * g.l.trailing;
                        double d1 = 0.0, d2 = 0.0;
#pragma omp simd reduction(+ : d1, d2)
                        for (int64_t t = 0; t < g.l.trailing; ++t) {
                            d1 += dr[t];
                            d2 += dr[t] * (xr[t] - mean);
                        }
                        sb[static_cast<size_t>(c - c0)] += d1;
                        sg[static_cast<size_t>(c - c0)] += d2 * m.inv[pair];
                    }
                }
            for (int64_t c = c0; c < c1; ++c) {
                dgamma.data()[c] = static_cast<float>(sg[static_cast<size_t>(c - c0)]);
                dbeta.data()[c] = static_cast<float>(sb[static_cast<size_t>(c - c0)]);
            }
        }
    });
    return {dgamma, dbeta};
}

}  // namespace

Tensor group_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, const GroupNormLayout& layout,
                  double epsilon) {
    const Groups g = check_layout(x, gamma, beta, layout);
    if (!(epsilon >= 0.0) || !std::isfinite(epsilon))
        throw ValueError(cat("group_norm: epsilon must be a finite number >= 0, got ", epsilon));
    const Moments m = moments(g, x.data(), epsilon);
    Tensor y = Tensor::empty(x.shape());
    const float* px = x.data();
    float* py = y.data();
    detail::parallel_for(g.pairs(), detail::grain_for_cost(g.count), [&](int64_t begin, int64_t end) {
        std::vector<float> scale(static_cast<size_t>(g.group_channels)), shift(static_cast<size_t>(g.group_channels));
        for (int64_t pair = begin; pair < end; ++pair) {
            const double mean = m.mean[static_cast<size_t>(pair)], inv = m.inv[static_cast<size_t>(pair)];
            const int64_t c0 = (pair % g.l.groups) * g.group_channels;
            for (int64_t c = 0; c < g.group_channels; ++c) {
                const double k = inv * value_or(gamma, c0 + c, 1.0f);
                scale[static_cast<size_t>(c)] = static_cast<float>(k);
                shift[static_cast<size_t>(c)] = static_cast<float>(value_or(beta, c0 + c, 0.0f) - mean * k);
            }
            for (int64_t s = 0; s < g.l.spatial; ++s) {
                const int64_t at = g.offset(pair, s);
                affine_run(px + at, scale.data(), shift.data(), g.group_channels, g.l.trailing, py + at);
            }
        }
    });
    if (autograd::is_recording())
        autograd::record(
            "group_norm", {x, gamma, beta}, y,
            [x, gamma, beta, g, m](const Tensor& dy, const Needs& needs) {
                Grads grads(3);
                if (needs[0]) grads[0] = input_gradient(g, x, gamma, dy, m);
                if (needs[1] || needs[2]) {
                    auto [dgamma, dbeta] = parameter_gradients(g, x, dy, m);
                    if (needs[1]) grads[1] = dgamma.reshape(gamma.shape());
                    if (needs[2]) grads[2] = dbeta.reshape(beta.shape());
                }
                return grads;
            },
            false);
    return y;
}

}  // namespace kiln
