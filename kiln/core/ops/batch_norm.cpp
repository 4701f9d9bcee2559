#include "kiln/core/ops/batch_norm.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kiln/core/detail/channel_kernels.hpp"
#include "kiln/core/errors.hpp"
#include "kiln/core/tape.hpp"

namespace kiln {
namespace {

using Grads = std::vector<Tensor>;
using Needs = std::vector<bool>;

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

// The count a masked mean divides by. Keras 3 adds backend.epsilon() to the float32 count, so only what float32
// keeps of the epsilon is added: nothing for counts of 2 and more (5 unmasked values of 5 give mean 5 and
// variance 0 exactly), 1.19e-7 for a count of 1, 1e-7 for a fully masked channel.
double counted(double n, double count_epsilon) {
    if (count_epsilon == 0.0) return n;
    const float f = static_cast<float>(n);
    return n + static_cast<double>((f + static_cast<float>(count_epsilon)) - f);
}

double value_or(const Tensor& t, int64_t i, double fallback) { return t.defined() ? t.data()[i] : fallback; }

std::vector<float> to_floats(const std::vector<double>& values) { return {values.begin(), values.end()}; }

Tensor tensor_from(const std::vector<double>& values, Shape shape) {
    return Tensor(to_floats(values), std::move(shape));
}

}  // namespace

BatchMoments batch_moments(const Tensor& x, const BatchNormLayout& l, const BatchMomentsOptions& options) {
    check_layout(x, l, "batch_moments");
    if (options.mask.defined() && options.mask.shape() != x.shape())
        throw ShapeError(cat("batch_moments: mask has shape ", options.mask.shape(), ", expected ", x.shape()));
    const float* pm = options.mask.defined() ? options.mask.data() : nullptr;
    const detail::ChannelMoments m = detail::channel_moments(x.data(), pm, l);
    const int64_t gc_count = l.groups * l.channels;
    std::vector<double> mean(gc_count), var(gc_count), count(gc_count);

    if (options.all_reduce) {
        // Synchronized: the workers add up sums, sums of squares and counts; then E[x^2] - E[x]^2 clamped at 0.
        std::vector<double> sums(static_cast<size_t>(3 * gc_count));
        for (int64_t j = 0; j < gc_count; ++j) {
            sums[3 * j] = m.count[j] * m.mean[j];
            sums[3 * j + 1] = m.m2[j] + m.count[j] * m.mean[j] * m.mean[j];
            sums[3 * j + 2] = m.count[j];
        }
        (*options.all_reduce)(sums);
        for (int64_t j = 0; j < gc_count; ++j) {
            const double n = counted(sums[3 * j + 2], options.count_epsilon);
            count[j] = n;
            mean[j] = n > 0 ? sums[3 * j] / n : 0.0;
            var[j] = n > 0 ? std::max(sums[3 * j + 1] / n - mean[j] * mean[j], 0.0) : 0.0;
        }
    } else {
        // The count epsilon divides the sums as Keras does: mean = sum / (n + eps), and the variance is the
        // mean squared deviation from that mean, sum (x - mean)^2 / (n + eps), with n + eps as counted() has it.
        for (int64_t j = 0; j < gc_count; ++j) {
            const double n = m.count[j];
            count[j] = counted(n, options.count_epsilon);
            mean[j] = m.mean[j] * n / count[j];
            const double shift = m.mean[j] - mean[j];
            var[j] = (m.m2[j] + n * shift * shift) / count[j];
        }
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

    // Per (group, channel): y = (x - mean) a + b, with a = gamma k / sigma and b = gamma h + beta.
    std::vector<double> sigma(gc_count), a(gc_count), b(gc_count);
    for (int64_t j = 0; j < gc_count; ++j) {
        const int64_t c = j % l.channels;
        const double g = value_or(gamma, c, 1.0);
        sigma[j] = std::sqrt(static_cast<double>(moments.variance.data()[j]) + options.epsilon);
        a[j] = g * value_or(options.scale_factor, c, 1.0) / sigma[j];
        b[j] = g * value_or(options.shift, c, 0.0) + value_or(beta, c, 0.0);
    }
    Tensor y = Tensor::empty(x.shape());
    detail::channel_affine(x.data(), moments.mean.data(), to_floats(a).data(), to_floats(b).data(), l, y.data());

    if (autograd::is_recording())
        autograd::record(op, {x, gamma, beta}, y,
                         [x, gamma, beta, moments, l, options, sigma, a](const Tensor& gy, const Needs& needs) {
            const float* px = x.data();
            const float* pg = gy.data();
            const float* pmean = moments.mean.data();
            const float* pm = options.mask.defined() ? options.mask.data() : nullptr;
            const int64_t n_gc = l.groups * l.channels;
            // Per (group, channel): A = sum(g), B = sum(g (x - mean)).
            std::vector<double> sums = detail::channel_gradient_sums(pg, px, pmean, l);
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
                    // d var / d mean is -2 mean eps_count / n: zero without a mask's count epsilon. Counts of
                    // elements are whole, so the part counted() added is n less its nearest integer.
                    const double dvar_dmean = -2.0 * pmean[j] * (n - std::round(n)) / n;
                    c1[j] = (-a[j] * sums[2 * j] + dl_dvar * dvar_dmean) / n;
                    c2[j] = 2.0 * dl_dvar / n;
                }
                Tensor dx = Tensor::empty(x.shape());
                detail::batch_norm_input_gradient(pg, px, pm, pmean, to_floats(a).data(), to_floats(c1).data(),
                                                  to_floats(c2).data(), l, dx.data());
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

    // y = (x - mean) a + beta with a = gamma / sqrt(variance + eps).
    std::vector<double> inv_sigma(l.channels), a(l.channels), b(l.channels);
    for (int64_t c = 0; c < l.channels; ++c) {
        inv_sigma[c] = 1.0 / std::sqrt(static_cast<double>(variance.data()[c]) + epsilon);
        a[c] = value_or(gamma, c, 1.0) * inv_sigma[c];
        b[c] = value_or(beta, c, 0.0);
    }
    Tensor y = Tensor::empty(x.shape());
    detail::channel_affine(x.data(), mean.data(), to_floats(a).data(), to_floats(b).data(), l, y.data());

    if (autograd::is_recording())
        autograd::record(op, {x, mean, variance, gamma, beta}, y,
                         [x, mean, variance, gamma, beta, l, inv_sigma, a](const Tensor& gy, const Needs& needs) {
            Grads grads(5);
            if (needs[0]) {
                // dx = g a: the affine map with no shift and no bias.
                const std::vector<float> zeros(static_cast<size_t>(l.channels), 0.0f);
                grads[0] = Tensor::empty(x.shape());
                detail::channel_affine(gy.data(), zeros.data(), to_floats(a).data(), zeros.data(), l,
                                       grads[0].data());
            }
            if (!(needs[1] || needs[2] || needs[3] || needs[4])) return grads;
            // Per channel: A = sum(g), B = sum(g (x - mean)).
            const std::vector<double> sums = detail::channel_gradient_sums(gy.data(), x.data(), mean.data(), l);
            std::vector<double> dmean(l.channels), dvar(l.channels), dgamma(l.channels), dbeta(l.channels);
            for (int64_t c = 0; c < l.channels; ++c) {
                const double g = value_or(gamma, c, 1.0);
                dmean[c] = -a[c] * sums[2 * c];
                dvar[c] = -0.5 * g * sums[2 * c + 1] * inv_sigma[c] * inv_sigma[c] * inv_sigma[c];
                dgamma[c] = sums[2 * c + 1] * inv_sigma[c];
                dbeta[c] = sums[2 * c];
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
