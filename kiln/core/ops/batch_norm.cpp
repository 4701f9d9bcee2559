#include "kiln/core/ops/batch_norm.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kiln/core/detail/parallel.hpp"
#include "kiln/core/errors.hpp"
#include "kiln/core/tape.hpp"

namespace kiln {
namespace {

using Grads = std::vector<Tensor>;
using Needs = std::vector<bool>;

int64_t group_of(const BatchNormLayout& l, int64_t o) { return (o / l.outer_per_sample) % l.groups; }

void check_layout(const Tensor& x, const BatchNormLayout& l, const char* op) {
    if (l.outer < 0 || l.channels < 1 || l.inner < 0 || l.groups < 1 || l.outer_per_sample < 1 ||
        l.outer * l.channels * l.inner != x.size())
        throw ShapeError(cat(op, ": layout [outer=", l.outer, ", channels=", l.channels, ", inner=", l.inner,
                             ", groups=", l.groups, "] does not describe an input of shape ", x.shape()));
}

void check_channels(const Tensor& t, const BatchNormLayout& l, const char* what, const char* op) {
    if (t.defined() && t.size() != l.channels)
        throw ShapeError(cat(op, ": ", what, " has shape ", t.shape(), ", expected ", l.channels, " values"));
}

// Sums K values per (group, channel) over every element: add(e, acc) adds element e's K contributions to acc.
// The outer axis is cut into fixed chunks combined in order, so the result does not depend on the thread count.
template <int K, class Add>
std::vector<double> channel_sums(const BatchNormLayout& l, Add add) {
    const int64_t gc_count = l.groups * l.channels;
    const int64_t row = l.channels * l.inner;
    const int64_t rows_per_chunk = std::max<int64_t>(1, detail::kElementwiseGrain / std::max<int64_t>(row, 1));
    const int64_t chunks = (l.outer + rows_per_chunk - 1) / rows_per_chunk;
    std::vector<double> partial(static_cast<size_t>(chunks * gc_count * K), 0.0);
    detail::parallel_for(chunks, 1, [&](int64_t cb, int64_t ce) {
        for (int64_t chunk = cb; chunk < ce; ++chunk) {
            double* acc = partial.data() + chunk * gc_count * K;
            const int64_t o_end = std::min(l.outer, (chunk + 1) * rows_per_chunk);
            for (int64_t o = chunk * rows_per_chunk; o < o_end; ++o) {
                const int64_t g = group_of(l, o);
                for (int64_t c = 0; c < l.channels; ++c) {
                    double* a = acc + (g * l.channels + c) * K;
                    const int64_t base = (o * l.channels + c) * l.inner;
                    for (int64_t i = 0; i < l.inner; ++i) add(base + i, a);
                }
            }
        }
    });
    std::vector<double> total(static_cast<size_t>(gc_count * K), 0.0);
    for (int64_t chunk = 0; chunk < chunks; ++chunk)
        for (int64_t j = 0; j < gc_count * K; ++j) total[j] += partial[chunk * gc_count * K + j];
    return total;
}

// out[e] = f(e, gc, c) for every element, parallel over outer rows.
template <class F>
void for_each_element(const BatchNormLayout& l, float* out, F f) {
    detail::parallel_for(l.outer, detail::grain_for_cost(l.channels * l.inner), [&](int64_t ob, int64_t oe) {
        for (int64_t o = ob; o < oe; ++o) {
            const int64_t g = group_of(l, o);
            for (int64_t c = 0; c < l.channels; ++c) {
                const int64_t gc = g * l.channels + c;
                const int64_t base = (o * l.channels + c) * l.inner;
                for (int64_t i = 0; i < l.inner; ++i) out[base + i] = f(base + i, gc, c);
            }
        }
    });
}

double value_or(const Tensor& t, int64_t i, double fallback) { return t.defined() ? t.data()[i] : fallback; }

Tensor tensor_from(const std::vector<double>& values, Shape shape) {
    std::vector<float> f(values.begin(), values.end());
    return Tensor(std::move(f), std::move(shape));
}

}  // namespace

BatchMoments batch_moments(const Tensor& x, const BatchNormLayout& l, const BatchMomentsOptions& options) {
    check_layout(x, l, "batch_moments");
    if (options.mask.defined() && options.mask.shape() != x.shape())
        throw ShapeError(cat("batch_moments: mask has shape ", options.mask.shape(), ", expected ", x.shape()));
    const float* px = x.data();
    const float* pm = options.mask.defined() ? options.mask.data() : nullptr;
    auto weight = [pm](int64_t e) { return pm == nullptr || pm[e] != 0.0f ? 1.0 : 0.0; };
    const int64_t gc_count = l.groups * l.channels;
    std::vector<double> mean(gc_count), var(gc_count), count(gc_count);

    if (options.all_reduce) {
        // Synchronized: one pass of sums that the workers add up, then E[x^2] - E[x]^2 clamped at 0.
        std::vector<double> sums = channel_sums<3>(l, [&](int64_t e, double* a) {
            const double w = weight(e);
            a[0] += w * px[e];
            a[1] += w * px[e] * px[e];
            a[2] += w;
        });
        (*options.all_reduce)(sums);
        for (int64_t j = 0; j < gc_count; ++j) {
            const double n = sums[3 * j + 2] + options.count_epsilon;
            count[j] = n;
            mean[j] = n > 0 ? sums[3 * j] / n : 0.0;
            var[j] = n > 0 ? std::max(sums[3 * j + 1] / n - mean[j] * mean[j], 0.0) : 0.0;
        }
    } else {
        std::vector<double> first = channel_sums<2>(l, [&](int64_t e, double* a) {
            const double w = weight(e);
            a[0] += w * px[e];
            a[1] += w;
        });
        for (int64_t j = 0; j < gc_count; ++j) {
            count[j] = first[2 * j + 1] + options.count_epsilon;
            mean[j] = first[2 * j] / count[j];
        }
        std::vector<double> second = channel_sums<1>(l, [&](int64_t e, double* a) {
            const int64_t c = (e / l.inner) % l.channels;
            const int64_t g = group_of(l, e / (l.inner * l.channels));
            const double d = px[e] - mean[g * l.channels + c];
            a[0] += weight(e) * d * d;
        });
        for (int64_t j = 0; j < gc_count; ++j) var[j] = second[j] / count[j];
    }
    for (int64_t j = 0; j < gc_count; ++j)
        if (!(count[j] > 0.0))
            throw ValueError(cat("batch_moments: no elements to average over in channel ", j % l.channels,
                                 " of an input of shape ", x.shape(), " (an empty batch?)"));
    const Shape shape{l.groups, l.channels};
    return BatchMoments{tensor_from(mean, shape), tensor_from(var, shape), tensor_from(count, shape)};
}

Tensor batch_norm_training(const Tensor& x, const Tensor& gamma, const Tensor& beta, const BatchMoments& moments,
                           const BatchNormLayout& l, const BatchNormTrainingOptions& options) {
    const char* op = "batch_norm_training";
    check_layout(x, l, op);
    check_channels(gamma, l, "gamma", op);
    check_channels(beta, l, "beta", op);
    check_channels(options.scale_factor, l, "scale_factor", op);
    check_channels(options.shift, l, "shift", op);
    const int64_t gc_count = l.groups * l.channels;
    if (moments.mean.size() != gc_count || moments.variance.size() != gc_count || moments.count.size() != gc_count)
        throw ShapeError(cat(op, ": moments have shape ", moments.mean.shape(), ", expected [", l.groups, ",",
                             l.channels, "]"));

    // Per (group, channel): y = x * a + b, with a = gamma k / sigma and b = gamma h + beta - mean a.
    std::vector<double> sigma(gc_count), a(gc_count), b(gc_count);
    for (int64_t j = 0; j < gc_count; ++j) {
        const int64_t c = j % l.channels;
        const double g = value_or(gamma, c, 1.0);
        sigma[j] = std::sqrt(static_cast<double>(moments.variance.data()[j]) + options.epsilon);
        a[j] = g * value_or(options.scale_factor, c, 1.0) / sigma[j];
        b[j] = g * value_or(options.shift, c, 0.0) + value_or(beta, c, 0.0) - moments.mean.data()[j] * a[j];
    }
    Tensor y = Tensor::empty(x.shape());
    const float* input = x.data();
    for_each_element(l, y.data(), [&](int64_t e, int64_t gc, int64_t) {
        return static_cast<float>(input[e] * a[gc] + b[gc]);
    });

    if (autograd::is_recording())
        autograd::record(op, {x, gamma, beta}, y,
                         [x, gamma, beta, moments, l, options, sigma, a](const Tensor& gy, const Needs& needs) {
            const float* px = x.data();
            const float* pg = gy.data();
            const float* pmean = moments.mean.data();
            const float* pm = options.mask.defined() ? options.mask.data() : nullptr;
            const int64_t n_gc = l.groups * l.channels;
            // Per (group, channel): A = sum(g), B = sum(g (x - mean)).
            std::vector<double> sums = channel_sums<2>(l, [&](int64_t e, double* acc) {
                const int64_t gc = group_of(l, e / (l.inner * l.channels)) * l.channels + (e / l.inner) % l.channels;
                acc[0] += pg[e];
                acc[1] += pg[e] * (px[e] - static_cast<double>(pmean[gc]));
            });
            Grads grads(3);
            // Parameter gradients from this worker's sums (a data-parallel runtime reduces them like any weight's).
            if (needs[1] || needs[2]) {
                std::vector<double> dgamma(l.channels, 0.0), dbeta(l.channels, 0.0);
                for (int64_t j = 0; j < n_gc; ++j) {
                    const int64_t c = j % l.channels;
                    const double k = value_or(options.scale_factor, c, 1.0);
                    const double h = value_or(options.shift, c, 0.0);
                    dgamma[c] += sums[2 * j + 1] * k / sigma[j] + h * sums[2 * j];
                    dbeta[c] += sums[2 * j];
                }
                if (needs[1]) grads[1] = tensor_from(dgamma, gamma.shape());
                if (needs[2]) grads[2] = tensor_from(dbeta, beta.shape());
            }
            if (needs[0]) {
                if (options.all_reduce) (*options.all_reduce)(sums);
                // dx = g a + w (c1 + c2 (x - mean)); see docs: the mean and variance depend on x through w.
                std::vector<double> c1(n_gc), c2(n_gc);
                for (int64_t j = 0; j < n_gc; ++j) {
                    const double n = moments.count.data()[j];
                    const double var_eps = sigma[j] * sigma[j];
                    const double dl_dvar = -a[j] * sums[2 * j + 1] / (2.0 * var_eps);
                    // d var / d mean is -2 mean eps_count / n: zero without a mask's count epsilon.
                    const double dvar_dmean = -2.0 * pmean[j] * options.count_epsilon / n;
                    c1[j] = (-a[j] * sums[2 * j] + dl_dvar * dvar_dmean) / n;
                    c2[j] = 2.0 * dl_dvar / n;
                }
                Tensor dx = Tensor::empty(x.shape());
                for_each_element(l, dx.data(), [&](int64_t e, int64_t gc, int64_t) {
                    const double w = pm == nullptr || pm[e] != 0.0f ? 1.0 : 0.0;
                    return static_cast<float>(pg[e] * a[gc] + w * (c1[gc] + c2[gc] * (px[e] - pmean[gc])));
                });
                grads[0] = dx;
            }
            return grads;
        }, /*backward_is_differentiable=*/false);
    return y;
}

Tensor batch_norm_inference(const Tensor& x, const Tensor& mean, const Tensor& variance, const Tensor& gamma,
                            const Tensor& beta, const BatchNormLayout& l, double epsilon) {
    const char* op = "batch_norm_inference";
    check_layout(x, l, op);
    if (l.groups != 1) throw ValueError(cat(op, ": statistics are per channel; groups must be 1, got ", l.groups));
    for (auto [t, what] : {std::pair{&mean, "mean"}, std::pair{&variance, "variance"}}) {
        if (!t->defined()) throw ValueError(cat(op, ": ", what, " is undefined"));
        check_channels(*t, l, what, op);
    }
    check_channels(gamma, l, "gamma", op);
    check_channels(beta, l, "beta", op);

    std::vector<double> inv_sigma(l.channels), a(l.channels), b(l.channels);
    for (int64_t c = 0; c < l.channels; ++c) {
        inv_sigma[c] = 1.0 / std::sqrt(static_cast<double>(variance.data()[c]) + epsilon);
        a[c] = value_or(gamma, c, 1.0) * inv_sigma[c];
        b[c] = value_or(beta, c, 0.0) - mean.data()[c] * a[c];
    }
    Tensor y = Tensor::empty(x.shape());
    const float* input = x.data();
    for_each_element(l, y.data(),
                     [&](int64_t e, int64_t, int64_t c) { return static_cast<float>(input[e] * a[c] + b[c]); });

    if (autograd::is_recording())
        autograd::record(op, {x, mean, variance, gamma, beta}, y,
                         [x, mean, variance, gamma, beta, l, inv_sigma, a](const Tensor& gy, const Needs& needs) {
            const float* px = x.data();
            const float* pg = gy.data();
            const float* pmean = mean.data();
            // Per channel: A = sum(g), B = sum(g (x - mean)).
            std::vector<double> sums = channel_sums<2>(l, [&](int64_t e, double* acc) {
                const int64_t c = (e / l.inner) % l.channels;
                acc[0] += pg[e];
                acc[1] += pg[e] * (px[e] - static_cast<double>(pmean[c]));
            });
            std::vector<double> dmean(l.channels), dvar(l.channels), dgamma(l.channels), dbeta(l.channels);
            for (int64_t c = 0; c < l.channels; ++c) {
                const double g = value_or(gamma, c, 1.0);
                dmean[c] = -a[c] * sums[2 * c];
                dvar[c] = -0.5 * g * sums[2 * c + 1] * inv_sigma[c] * inv_sigma[c] * inv_sigma[c];
                dgamma[c] = sums[2 * c + 1] * inv_sigma[c];
                dbeta[c] = sums[2 * c];
            }
            Grads grads(5);
            if (needs[0]) {
                Tensor dx = Tensor::empty(x.shape());
                for_each_element(l, dx.data(), [&](int64_t e, int64_t, int64_t c) { return static_cast<float>(pg[e] * a[c]); });
                grads[0] = dx;
            }
            if (needs[1]) grads[1] = tensor_from(dmean, mean.shape());
            if (needs[2]) grads[2] = tensor_from(dvar, variance.shape());
            if (needs[3]) grads[3] = tensor_from(dgamma, gamma.shape());
            if (needs[4]) grads[4] = tensor_from(dbeta, beta.shape());
            return grads;
        }, /*backward_is_differentiable=*/false);
    return y;
}

}  // namespace kiln
