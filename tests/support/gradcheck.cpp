#include "support/gradcheck.hpp"

#include <doctest/doctest.h>

#include <cmath>

namespace kiln::testing {
namespace {

double weighted_sum(const Tensor& y, const Tensor& w) {
    double total = 0.0;
    for (int64_t i = 0; i < y.size(); ++i) total += static_cast<double>(y.data()[i]) * w.data()[i];
    return total;
}

}  // namespace

Tensor random_input(const Shape& shape, uint64_t seed, float lo, float hi) {
    return Tensor::random_uniform(shape, lo, hi, seed);
}

void check_gradients(const char* name, const OpFn& f, const std::vector<Tensor>& inputs,
                     const GradCheckOptions& options) {
    std::vector<Tensor> xs;
    for (const Tensor& x : inputs) xs.push_back(x.copy());

    Tensor weights;
    std::vector<Tensor> analytic;
    {
        GradientTape tape;
        for (const Tensor& x : xs) tape.watch(x);
        Tensor y = f(xs);
        weights = Tensor::random_uniform(y.shape(), 0.5f, 1.5f, options.seed);
        analytic = tape.gradient(sum(mul(y, weights)), xs);
    }

    for (size_t k = 0; k < xs.size(); ++k) {
        REQUIRE_MESSAGE(analytic[k].shape() == xs[k].shape(), cat(name, ": gradient shape of input ", k));
        float* p = xs[k].data();
        for (int64_t i = 0; i < xs[k].size(); ++i) {
            const float saved = p[i];
            p[i] = saved + options.eps;
            const double up = weighted_sum(f(xs), weights);
            p[i] = saved - options.eps;
            const double down = weighted_sum(f(xs), weights);
            p[i] = saved;
            const double numeric = (up - down) / (2.0 * options.eps);
            const double got = analytic[k].data()[i];
            const bool ok = std::fabs(got - numeric) <= options.atol + options.rtol * std::fabs(numeric);
            if (!ok)
                FAIL_CHECK(cat(name, ": d/d input ", k, " element ", i, ": tape gives ", got, ", finite differences ",
                               numeric));
        }
    }
}

}  // namespace kiln::testing
