#include "kiln/datasets/split.hpp"

#include <cmath>
#include <numeric>
#include <span>
#include <utility>
#include <vector>

#include "kiln/core/errors.hpp"
#include "kiln/core/random.hpp"
#include "kiln/datasets/detail/rows.hpp"

namespace kiln::datasets {

namespace {

// The dataset made of rows `rows` of `data`.
Dataset take(const Dataset& data, std::span<const int64_t> rows) {
    return {detail::take_rows(data.x, rows), detail::take_rows(data.y, rows)};
}

// Shape x.shape[1:]: the shape of one row.
Shape row_shape(const Tensor& x) { return Shape(x.shape().begin() + 1, x.shape().end()); }

}  // namespace

TrainTest train_test_split(const Dataset& data, double test_fraction, std::optional<uint64_t> seed, bool shuffle) {
    if (!data.x.defined() || !data.y.defined() || data.x.rank() < 1 || data.y.rank() < 1 ||
        data.x.dim(0) != data.y.dim(0)) {
        throw ShapeError(cat("train_test_split: x and y need the same size along axis 0, got x ",
                             data.x.defined() ? data.x.shape().str() : "undefined", " and y ",
                             data.y.defined() ? data.y.shape().str() : "undefined"));
    }
    if (!(test_fraction > 0.0 && test_fraction < 1.0)) {
        throw ValueError(cat("train_test_split: test_fraction must be in (0, 1), got ", test_fraction));
    }
    const int64_t n = data.x.dim(0);
    const auto n_test = static_cast<int64_t>(std::ceil(test_fraction * static_cast<double>(n)));
    const int64_t n_train = n - n_test;
    if (n_train < 1) {
        throw ValueError(cat("train_test_split: test_fraction ", test_fraction, " of ", n,
                             " rows leaves no training rows"));
    }
    std::vector<int64_t> order(static_cast<size_t>(n));
    if (shuffle) {
        Rng rng(seed ? *seed : next_random_seed());
        order = detail::permutation(n, rng);
    } else {
        std::iota(order.begin(), order.end(), int64_t{0});
    }
    const std::span<const int64_t> rows(order);
    const auto cut = static_cast<size_t>(n_train);
    return {take(data, rows.first(cut)), take(data, rows.subspan(cut))};
}

void Standardizer::fit(const Tensor& x) {
    if (!x.defined() || x.rank() < 1 || x.dim(0) < 1) {
        throw ShapeError(cat("Standardizer.fit: x needs at least one row along axis 0, got ",
                             x.defined() ? x.shape().str() : "an undefined tensor"));
    }
    const auto n = static_cast<size_t>(x.dim(0));
    const auto features = static_cast<size_t>(x.size()) / n;
    const float* v = x.data();
    // Two passes (mean, then squared deviations) in double keep the variance accurate for data far from zero.
    std::vector<double> sums(features), squares(features);
    for (size_t i = 0; i < n; ++i) {
        for (size_t f = 0; f < features; ++f) sums[f] += v[i * features + f];
    }
    for (double& s : sums) s /= static_cast<double>(n);
    for (size_t i = 0; i < n; ++i) {
        for (size_t f = 0; f < features; ++f) {
            const double d = v[i * features + f] - sums[f];
            squares[f] += d * d;
        }
    }
    std::vector<float> means(features), stddevs(features);
    for (size_t f = 0; f < features; ++f) {
        const double sd = std::sqrt(squares[f] / static_cast<double>(n));
        means[f] = static_cast<float>(sums[f]);
        stddevs[f] = sd > 0.0 ? static_cast<float>(sd) : 1.0f;
    }
    mean = Tensor(std::move(means), row_shape(x));
    stddev = Tensor(std::move(stddevs), row_shape(x));
}

Tensor Standardizer::transform(const Tensor& x) const {
    if (!mean.defined()) throw StateError("Standardizer.transform: called before fit");
    if (!x.defined() || x.rank() < 1 || row_shape(x) != mean.shape()) {
        throw ShapeError(cat("Standardizer.transform: x needs rows of shape ", mean.shape().str(), " as fitted, got ",
                             x.defined() ? x.shape().str() : "an undefined tensor"));
    }
    const int64_t features = mean.size();
    Tensor out = Tensor::empty(x.shape());
    const float* in = x.data();
    const float* m = mean.data();
    const float* s = stddev.data();
    float* o = out.data();
    for (int64_t i = 0; i < x.size(); ++i) o[i] = (in[i] - m[i % features]) / s[i % features];
    return out;
}

Tensor Standardizer::fit_transform(const Tensor& x) {
    fit(x);
    return transform(x);
}

}  // namespace kiln::datasets
