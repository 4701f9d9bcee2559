#include "kiln/datasets/toy.hpp"

#include <array>
#include <cmath>
#include <numbers>
#include <span>
#include <utility>
#include <vector>

#include "kiln/core/errors.hpp"
#include "kiln/core/random.hpp"
#include "kiln/datasets/detail/rows.hpp"

namespace kiln::datasets {

namespace {

constexpr double kPi = std::numbers::pi;

// Points and labels in generation order, before noise and shuffling.
struct Cloud {
    int64_t features = 2;
    std::vector<float> x{};
    std::vector<float> y{};

    void add(std::span<const double> point, int64_t label) {
        for (double v : point) x.push_back(static_cast<float>(v));
        y.push_back(static_cast<float>(label));
    }
    void add(double px, double py, int64_t label) { add(std::array{px, py}, label); }
};

void check_n(const char* fn, int64_t n) {
    if (n < 1) throw ValueError(cat(fn, ": n must be >= 1, got ", n));
}

void check_spread(const char* fn, const char* name, double value) {
    if (!(value >= 0.0) || !std::isfinite(value)) {
        throw ValueError(cat(fn, ": ", name, " must be finite and >= 0, got ", value));
    }
}

Rng make_rng(std::optional<uint64_t> seed) { return Rng(seed ? *seed : next_random_seed()); }

// `count` values evenly spaced over [0, stop], both ends included ({0} for one value), as NumPy's linspace.
double spaced(int64_t i, int64_t count, double stop) {
    return count > 1 ? stop * static_cast<double>(i) / static_cast<double>(count - 1) : 0.0;
}

// How many of n points class c gets when k classes share them evenly, lower classes taking the remainder.
int64_t share(int64_t n, int64_t k, int64_t c) { return n / k + (c < n % k ? 1 : 0); }

// Adds Gaussian noise of standard deviation `noise` to every coordinate, then shuffles the rows.
Dataset finish(Cloud cloud, double noise, Rng& rng) {
    if (noise > 0.0) {
        for (float& v : cloud.x) v = static_cast<float>(v + noise * rng.normal());
    }
    const auto n = static_cast<int64_t>(cloud.y.size());
    const std::vector<int64_t> order = detail::permutation(n, rng);
    const Tensor x(std::move(cloud.x), Shape{n, cloud.features});
    const Tensor y(std::move(cloud.y), Shape{n});
    return {detail::take_rows(x, order), detail::take_rows(y, order)};
}

// Blobs around the rows of `centers` (already validated), drawing from `rng`.
Dataset blobs(int64_t n, const Tensor& centers, double cluster_std, Rng& rng) {
    const int64_t k = centers.dim(0);
    const int64_t features = centers.dim(1);
    Cloud cloud{.features = features};
    std::vector<double> point(static_cast<size_t>(features));
    for (int64_t c = 0; c < k; ++c) {
        for (int64_t i = 0; i < share(n, k, c); ++i) {
            for (int64_t f = 0; f < features; ++f) point[static_cast<size_t>(f)] = centers.at({c, f});
            cloud.add(point, c);
        }
    }
    return finish(std::move(cloud), cluster_std, rng);
}

}  // namespace

Dataset make_moons(int64_t n, double noise, std::optional<uint64_t> seed) {
    check_n("make_moons", n);
    check_spread("make_moons", "noise", noise);
    Rng rng = make_rng(seed);
    const int64_t upper = n / 2;
    const int64_t lower = n - upper;
    Cloud cloud;
    for (int64_t i = 0; i < upper; ++i) {
        const double t = spaced(i, upper, kPi);
        cloud.add(std::cos(t), std::sin(t), 0);
    }
    for (int64_t i = 0; i < lower; ++i) {
        const double t = spaced(i, lower, kPi);
        cloud.add(1.0 - std::cos(t), 0.5 - std::sin(t), 1);
    }
    return finish(std::move(cloud), noise, rng);
}

Dataset make_circles(int64_t n, double noise, double factor, std::optional<uint64_t> seed) {
    check_n("make_circles", n);
    check_spread("make_circles", "noise", noise);
    if (!(factor >= 0.0 && factor < 1.0)) throw ValueError(cat("make_circles: factor must be in [0, 1), got ", factor));
    Rng rng = make_rng(seed);
    const int64_t outer = n / 2;
    const int64_t counts[2] = {outer, n - outer};
    const double radii[2] = {1.0, factor};
    Cloud cloud;
    for (int64_t c = 0; c < 2; ++c) {
        for (int64_t i = 0; i < counts[c]; ++i) {
            const double t = 2.0 * kPi * static_cast<double>(i) / static_cast<double>(counts[c]);
            cloud.add(radii[c] * std::cos(t), radii[c] * std::sin(t), c);
        }
    }
    return finish(std::move(cloud), noise, rng);
}

Dataset make_spirals(int64_t n, int64_t classes, double noise, std::optional<uint64_t> seed) {
    check_n("make_spirals", n);
    if (classes < 1) throw ValueError(cat("make_spirals: classes must be >= 1, got ", classes));
    check_spread("make_spirals", "noise", noise);
    Rng rng = make_rng(seed);
    Cloud cloud;
    for (int64_t c = 0; c < classes; ++c) {
        const int64_t count = share(n, classes, c);
        for (int64_t i = 0; i < count; ++i) {
            const double r = static_cast<double>(i + 1) / static_cast<double>(count);
            const double angle = 2.0 * kPi * static_cast<double>(c) / static_cast<double>(classes) + 3.0 * kPi * r;
            cloud.add(r * std::cos(angle), r * std::sin(angle), c);
        }
    }
    return finish(std::move(cloud), noise, rng);
}

Dataset make_blobs(int64_t n, const Tensor& centers, double cluster_std, std::optional<uint64_t> seed) {
    check_n("make_blobs", n);
    if (!centers.defined() || centers.rank() != 2 || centers.dim(0) < 1 || centers.dim(1) < 1) {
        throw ValueError(cat("make_blobs: centers must have shape [k >= 1, features >= 1], got ",
                             centers.defined() ? centers.shape().str() : std::string("an undefined tensor")));
    }
    check_spread("make_blobs", "cluster_std", cluster_std);
    Rng rng = make_rng(seed);
    return blobs(n, centers, cluster_std, rng);
}

Dataset make_blobs(int64_t n, int64_t centers, double cluster_std, std::optional<uint64_t> seed) {
    check_n("make_blobs", n);
    if (centers < 1) throw ValueError(cat("make_blobs: centers must be >= 1, got ", centers));
    check_spread("make_blobs", "cluster_std", cluster_std);
    Rng rng = make_rng(seed);
    Tensor points = Tensor::empty({centers, 2});
    for (float& v : std::span(points.data(), static_cast<size_t>(points.size()))) v = rng.uniform(-10.0f, 10.0f);
    return blobs(n, points, cluster_std, rng);
}

Dataset make_xor(int64_t n, double noise, std::optional<uint64_t> seed) {
    check_n("make_xor", n);
    check_spread("make_xor", "noise", noise);
    Rng rng = make_rng(seed);
    Cloud cloud;
    for (int64_t i = 0; i < n; ++i) {
        const int64_t a = (i % 4) / 2;
        const int64_t b = i % 2;
        cloud.add(static_cast<double>(a), static_cast<double>(b), a ^ b);
    }
    return finish(std::move(cloud), noise, rng);
}

Dataset xor_truth_table() { return {Tensor({0, 0, 0, 1, 1, 0, 1, 1}, {4, 2}), Tensor{0, 1, 1, 0}}; }

}  // namespace kiln::datasets
