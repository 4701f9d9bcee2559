// The fused batch-norm ops: moments against naive formulas, ghost groups, masks, the all-reduce hook,
// gradient checks in every mode, and errors.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include <cmath>

#include "support/gradcheck.hpp"

using namespace kiln;
using kiln::testing::check_gradients;
using kiln::testing::random_input;

namespace {

// Naive biased moments of channel c over the elements of x ([outer, C, inner]) in group g, weighted by w.
std::pair<double, double> naive_moments(const Tensor& x, const BatchNormLayout& l, int64_t g, int64_t c,
                                        const Tensor& w = {}, double count_eps = 0.0) {
    double s = 0, n = 0;
    for (int64_t o = 0; o < l.outer; ++o) {
        if ((o / l.outer_per_sample) % l.groups != g) continue;
        for (int64_t i = 0; i < l.inner; ++i) {
            const int64_t e = (o * l.channels + c) * l.inner + i;
            const double wt = w.defined() ? (w.data()[e] != 0 ? 1.0 : 0.0) : 1.0;
            s += wt * x.data()[e];
            n += wt;
        }
    }
    const double mean = s / (n + count_eps);
    double v = 0;
    for (int64_t o = 0; o < l.outer; ++o) {
        if ((o / l.outer_per_sample) % l.groups != g) continue;
        for (int64_t i = 0; i < l.inner; ++i) {
            const int64_t e = (o * l.channels + c) * l.inner + i;
            const double wt = w.defined() ? (w.data()[e] != 0 ? 1.0 : 0.0) : 1.0;
            v += wt * (x.data()[e] - mean) * (x.data()[e] - mean);
        }
    }
    return {mean, v / (n + count_eps)};
}

void check_moments(const Tensor& x, const BatchNormLayout& l, const BatchMoments& m, const Tensor& w = {},
                   double count_eps = 0.0) {
    REQUIRE(m.mean.shape() == Shape{l.groups, l.channels});
    for (int64_t g = 0; g < l.groups; ++g)
        for (int64_t c = 0; c < l.channels; ++c) {
            auto [mean, var] = naive_moments(x, l, g, c, w, count_eps);
            CHECK(m.mean.at({g, c}) == doctest::Approx(mean).epsilon(1e-5));
            CHECK(m.variance.at({g, c}) == doctest::Approx(var).epsilon(1e-5));
        }
}

}  // namespace

TEST_CASE("batch_norm op: a hand-computed case") {
    // One channel with values 1 and 3: mean 2, biased variance 1. With eps 0: x_hat = [-1, 1].
    Tensor x{1.0f, 3.0f};
    BatchNormLayout l{.outer = 2, .channels = 1, .inner = 1};
    BatchMoments m = batch_moments(x, l);
    CHECK(m.mean.item() == 2.0f);
    CHECK(m.variance.item() == 1.0f);
    CHECK(m.count.item() == 2.0f);
    Tensor y = batch_norm_training(x, Tensor{3.0f}, Tensor{0.5f}, m, l, {.epsilon = 0.0});
    CHECK(y.to_vector() == std::vector<float>{-2.5f, 3.5f});
    Tensor yi = batch_norm_inference(x, Tensor{1.0f}, Tensor{4.0f}, Tensor{2.0f}, Tensor(), l, 0.0);
    CHECK(yi.to_vector() == std::vector<float>{0.0f, 2.0f});  // (x - 1) / 2 * 2
}

TEST_CASE("batch_norm op: moments match naive formulas for channels-last, channels-first and groups") {
    const Tensor nhwc = Tensor::random_normal({4, 3, 3, 5}, 1.0f, 2.0f, 1);
    BatchNormLayout last{.outer = 36, .channels = 5, .inner = 1};
    check_moments(nhwc, last, batch_moments(nhwc, last));
    const Tensor nchw = Tensor::random_normal({4, 5, 3, 3}, -1.0f, 0.5f, 2);
    BatchNormLayout first{.outer = 4, .channels = 5, .inner = 9};
    check_moments(nchw, first, batch_moments(nchw, first));
    // 6 samples of 2x2 positions, ghost batches of 2 samples: 3 groups, sample i in group i % 3.
    const Tensor ghost = Tensor::random_normal({6, 2, 2, 3}, 0.0f, 1.0f, 3);
    BatchNormLayout grouped{.outer = 24, .channels = 3, .inner = 1, .groups = 3, .outer_per_sample = 4};
    check_moments(ghost, grouped, batch_moments(ghost, grouped));
}

TEST_CASE("batch_norm op: large inputs use double accumulation and two passes") {
    // Mean 1000, std 0.01: a one-pass float E[x^2]-E[x]^2 would lose the variance entirely.
    const Tensor x = Tensor::random_normal({50000, 2}, 1000.0f, 0.01f, 4);
    BatchNormLayout l{.outer = 50000, .channels = 2, .inner = 1};
    check_moments(x, l, batch_moments(x, l));
}

TEST_CASE("batch_norm op: masked moments count only unmasked elements, plus the count epsilon") {
    const Tensor x = Tensor::random_normal({4, 5, 3}, 0.0f, 1.0f, 5);
    Tensor mask = Tensor::random_uniform({4, 5, 3}, 0.0f, 1.0f, 6);
    mask = greater(mask, Tensor::scalar(0.4f)) * 2.0f;  // nonzero means use, whatever the value
    BatchNormLayout l{.outer = 20, .channels = 3, .inner = 1};
    BatchMoments m = batch_moments(x, l, {.mask = mask, .count_epsilon = 1e-7});
    check_moments(x, l, m, mask, 1e-7);
    // A fully masked batch: mean 0 and variance 0 (0 / 1e-7), as Keras.
    BatchMoments none = batch_moments(x, l, {.mask = Tensor::zeros({4, 5, 3}), .count_epsilon = 1e-7});
    for (float v : none.mean.to_vector()) CHECK(v == 0.0f);
    for (float v : none.variance.to_vector()) CHECK(v == 0.0f);
}

TEST_CASE("batch_norm op: the all-reduce hook gives global statistics") {
    const Tensor x = Tensor::random_normal({8, 3}, 0.5f, 1.5f, 7);
    const Tensor other = Tensor::random_normal({8, 3}, -0.5f, 1.0f, 8);
    BatchNormLayout l{.outer = 8, .channels = 3, .inner = 1};
    // One worker: the identity.
    const AllReduceFn identity = [](std::span<double>) {};
    check_moments(x, l, batch_moments(x, l, {.all_reduce = &identity}));
    // Two workers: this one and another whose sums the hook adds; the result is the moments of both batches.
    const AllReduceFn add_other = [&](std::span<double> sums) {
        for (int64_t c = 0; c < 3; ++c) {
            for (int64_t o = 0; o < 8; ++o) {
                const double v = other.at({o, c});
                sums[3 * c] += v;
                sums[3 * c + 1] += v * v;
                sums[3 * c + 2] += 1.0;
            }
        }
    };
    BatchMoments global = batch_moments(x, l, {.all_reduce = &add_other});
    const Tensor both = concatenate({x, other}, 0);
    BatchNormLayout both_layout{.outer = 16, .channels = 3, .inner = 1};
    check_moments(both, both_layout, global);
}

TEST_CASE("batch_norm op: training gradients in every layout and option") {
    const kiln::testing::GradCheckOptions tol{.eps = 1e-2f, .rtol = 2e-2f, .atol = 2e-3f};
    auto training = [](BatchNormLayout l, BatchNormTrainingOptions o) {
        return [l, o](const std::vector<Tensor>& v) {
            BatchMoments m = batch_moments(v[0], l, {.mask = o.mask, .count_epsilon = o.count_epsilon});
            return batch_norm_training(v[0], v[1], v[2], m, l, o);
        };
    };
    const Tensor gamma = random_input({3}, 1, 0.5f, 1.5f);
    const Tensor beta = random_input({3}, 2);
    check_gradients("bn train nhwc", training({.outer = 8, .channels = 3, .inner = 1}, {}),
                    {random_input({2, 2, 2, 3}, 3, -2.0f, 2.0f), gamma, beta}, tol);
    check_gradients("bn train nchw", training({.outer = 2, .channels = 3, .inner = 4}, {.epsilon = 1e-5}),
                    {random_input({2, 3, 2, 2}, 4, -2.0f, 2.0f), gamma, beta}, tol);
    check_gradients("bn train ghost", training({.outer = 6, .channels = 3, .inner = 1, .groups = 3}, {}),
                    {random_input({6, 3}, 5, -2.0f, 2.0f), gamma, beta}, tol);
    const Tensor mask = greater(random_input({4, 2, 3}, 6), Tensor::scalar(-0.3f));
    check_gradients("bn train masked", training({.outer = 8, .channels = 3, .inner = 1}, {.mask = mask, .count_epsilon = 1e-7}),
                    {random_input({4, 2, 3}, 7, -2.0f, 2.0f), gamma, beta}, tol);
    const Tensor k = random_input({3}, 8, 0.8f, 1.2f);
    const Tensor h = random_input({3}, 9, -0.2f, 0.2f);
    check_gradients("bn train renorm k,h", training({.outer = 5, .channels = 3, .inner = 1}, {.scale_factor = k, .shift = h}),
                    {random_input({5, 3}, 10, -2.0f, 2.0f), gamma, beta}, tol);
    auto no_params = [](const std::vector<Tensor>& v) {
        BatchNormLayout l{.outer = 4, .channels = 2, .inner = 1};
        return batch_norm_training(v[0], Tensor(), Tensor(), batch_moments(v[0], l), l, {});
    };
    check_gradients("bn train no gamma/beta", no_params, {random_input({4, 2}, 11, -2.0f, 2.0f)}, tol);
}

TEST_CASE("batch_norm op: inference gradients with respect to every argument") {
    BatchNormLayout l{.outer = 2, .channels = 3, .inner = 2};
    check_gradients("bn inference",
                    [l](const std::vector<Tensor>& v) { return batch_norm_inference(v[0], v[1], v[2], v[3], v[4], l, 1e-3); },
                    {random_input({2, 3, 2}, 1), random_input({3}, 2), random_input({3}, 3, 0.5f, 1.5f),
                     random_input({3}, 4, 0.5f, 1.5f), random_input({3}, 5)});
}

TEST_CASE("batch_norm op: errors name the op and the shapes") {
    const Tensor x = Tensor::ones({4, 3});
    BatchNormLayout bad{.outer = 4, .channels = 2, .inner = 1};
    CHECK_THROWS_WITH_AS(batch_moments(x, bad), doctest::Contains("batch_moments: layout [outer=4, channels=2"),
                         ShapeError);
    BatchNormLayout l{.outer = 4, .channels = 3, .inner = 1};
    BatchMoments m = batch_moments(x, l);
    CHECK_THROWS_WITH_AS(batch_norm_training(x, Tensor{1.0f, 1.0f}, Tensor(), m, l, {}),
                         doctest::Contains("batch_norm_training: gamma has shape [2], expected 3 values"), ShapeError);
    CHECK_THROWS_WITH_AS(batch_moments(Tensor::zeros({0, 3}), {.outer = 0, .channels = 3, .inner = 1}),
                         doctest::Contains("no elements to average over"), ValueError);
    CHECK_THROWS_AS(batch_norm_inference(x, Tensor(), Tensor{1.0f, 1.0f, 1.0f}, Tensor(), Tensor(), l, 1e-3),
                    ValueError);
}

namespace {

// Batch normalization composed of primitive kiln ops: the reference path that checks the fused kernels.
Tensor composed_batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, const std::vector<int64_t>& axes,
                           const Shape& param_shape, double eps) {
    const Tensor mu = mean(x, axes, true);
    const Tensor var = mean(square(x - mu), axes, true);
    return (x - mu) * rsqrt(var + static_cast<float>(eps)) * gamma.reshape(param_shape) + beta.reshape(param_shape);
}

void check_against_composed(const Tensor& x, const BatchNormLayout& l, const std::vector<int64_t>& axes,
                            const Shape& param_shape) {
    const Tensor gamma = Tensor::random_uniform({l.channels}, 0.5f, 1.5f, 31);
    const Tensor beta = Tensor::random_uniform({l.channels}, -0.5f, 0.5f, 32);
    const Tensor dy = Tensor::random_normal(x.shape(), 0.0f, 1.0f, 33);
    auto run = [&](bool fused) {
        GradientTape tape;
        tape.watch(x);
        tape.watch(gamma);
        tape.watch(beta);
        Tensor y = fused ? batch_norm_training(x, gamma, beta, batch_moments(x, l), l, {.epsilon = 1e-3})
                         : composed_batch_norm(x, gamma, beta, axes, param_shape, 1e-3);
        std::vector<Tensor> out = tape.gradient(sum(y * dy), std::vector<Tensor>{x, gamma, beta});
        out.insert(out.begin(), y);
        return out;
    };
    const std::vector<Tensor> fused = run(true), composed = run(false);
    const char* what[] = {"y", "dx", "dgamma", "dbeta"};
    for (size_t i = 0; i < 4; ++i) CHECK_MESSAGE(allclose(fused[i], composed[i], 1e-4f, 1e-4f), what[i]);
}

}  // namespace

TEST_CASE("batch_norm op: the fused kernels agree with batch norm composed of primitive ops") {
    check_against_composed(Tensor::random_normal({4, 3, 3, 5}, 1.0f, 2.0f, 41), {.outer = 36, .channels = 5, .inner = 1},
                           {0, 1, 2}, {1, 1, 1, 5});
    check_against_composed(Tensor::random_normal({4, 5, 3, 3}, -1.0f, 0.5f, 42), {.outer = 4, .channels = 5, .inner = 9},
                           {0, 2, 3}, {1, 5, 1, 1});
}

namespace {

// Moments, output and gradients (x, gamma, beta) of batch_norm_training for a loss sum(y * dy).
struct TrainingResult {
    BatchMoments moments;
    Tensor y, dx, dgamma, dbeta;
};

TrainingResult run_training(const Tensor& x, const Tensor& gamma, const Tensor& beta, const Tensor& dy,
                            const BatchNormLayout& l, const Tensor& mask = {}) {
    GradientTape tape;
    tape.watch(x);
    tape.watch(gamma);
    tape.watch(beta);
    const double count_eps = mask.defined() ? 1e-7 : 0.0;
    BatchMoments m = batch_moments(x, l, {.mask = mask, .count_epsilon = count_eps});
    Tensor y = batch_norm_training(x, gamma, beta, m, l, {.mask = mask, .count_epsilon = count_eps});
    auto g = tape.gradient(mul(y, dy), std::vector<Tensor>{x, gamma, beta});
    return {m, y, g[0], g[1], g[2]};
}

}  // namespace

TEST_CASE("batch_norm op: inputs of many tiles and blocks match naive formulas in every layout") {
    // NHWC rows of 24 channels over many tiles, ghost batches of 400-row samples, and a mask.
    const Tensor nhwc = Tensor::random_normal({16, 20, 20, 24}, 3.0f, 2.0f, 21);
    const Tensor mask = greater(Tensor::random_uniform({16, 20, 20, 24}, 0.0f, 1.0f, 22), Tensor::scalar(0.3f));
    const BatchNormLayout rows{.outer = 6400, .channels = 24, .inner = 1};
    check_moments(nhwc, rows, batch_moments(nhwc, rows));
    check_moments(nhwc, rows, batch_moments(nhwc, rows, {.mask = mask, .count_epsilon = 1e-7}), mask, 1e-7);
    const BatchNormLayout ghosts{.outer = 6400, .channels = 24, .inner = 1, .groups = 4, .outer_per_sample = 400};
    check_moments(nhwc, ghosts, batch_moments(nhwc, ghosts));
    // NCHW planes longer than a tile (5000 values).
    const Tensor nchw = Tensor::random_normal({3, 4, 50, 100}, -1.0f, 0.5f, 23);
    const BatchNormLayout planes{.outer = 3, .channels = 4, .inner = 5000};
    check_moments(nchw, planes, batch_moments(nchw, planes));
}

TEST_CASE("batch_norm op: training gradients of a large input match the closed form in double") {
    // dx = gamma / sigma * (dy - mean(dy) - x_hat * mean(dy * x_hat)), dgamma = sum(dy x_hat), dbeta = sum(dy).
    const Tensor x = Tensor::random_normal({8, 12, 12, 40}, 0.5f, 1.5f, 24);
    const Tensor dy = Tensor::random_normal({8, 12, 12, 40}, 0.0f, 1.0f, 25);
    const Tensor gamma = Tensor::random_uniform({40}, 0.5f, 1.5f, 26);
    const Tensor beta = Tensor::random_normal({40}, 0.0f, 1.0f, 27);
    const BatchNormLayout l{.outer = 8 * 12 * 12, .channels = 40, .inner = 1};
    const TrainingResult r = run_training(x, gamma, beta, dy, l);
    const int64_t n = l.outer;
    for (int64_t c = 0; c < 40; ++c) {
        double mean = 0, var = 0, mean_dy = 0, mean_dy_xhat = 0;
        for (int64_t o = 0; o < n; ++o) mean += x.data()[o * 40 + c] / double(n);
        for (int64_t o = 0; o < n; ++o) var += std::pow(x.data()[o * 40 + c] - mean, 2) / double(n);
        const double sigma = std::sqrt(var + 1e-3);
        for (int64_t o = 0; o < n; ++o) {
            const double xhat = (x.data()[o * 40 + c] - mean) / sigma;
            mean_dy += dy.data()[o * 40 + c] / double(n);
            mean_dy_xhat += dy.data()[o * 40 + c] * xhat / double(n);
        }
        CHECK(r.dbeta.data()[c] == doctest::Approx(mean_dy * n).epsilon(1e-4));
        CHECK(r.dgamma.data()[c] == doctest::Approx(mean_dy_xhat * n).epsilon(1e-4));
        for (int64_t o = 0; o < n; o += 97) {
            const int64_t e = o * 40 + c;
            const double xhat = (x.data()[e] - mean) / sigma;
            const double expected = gamma.data()[c] / sigma * (dy.data()[e] - mean_dy - xhat * mean_dy_xhat);
            CHECK(r.dx.data()[e] == doctest::Approx(expected).epsilon(1e-4));
            CHECK(r.y.data()[e] == doctest::Approx(xhat * gamma.data()[c] + beta.data()[c]).epsilon(1e-5));
        }
    }
}

TEST_CASE("batch_norm op: training and inference results do not depend on the thread count") {
    const int before = get_num_threads();
    auto check_layout = [](const Tensor& x, const BatchNormLayout& l, const Tensor& mask) {
        const Tensor dy = Tensor::random_normal(x.shape(), 0.0f, 1.0f, 31);
        const Tensor gamma = Tensor::random_uniform({l.channels}, 0.5f, 1.5f, 32);
        const Tensor beta = Tensor::random_normal({l.channels}, 0.0f, 1.0f, 33);
        set_num_threads(1);
        const TrainingResult one = run_training(x, gamma, beta, dy, l, mask);
        const Tensor inf_one = batch_norm_inference(x, beta, gamma, gamma, beta, l, 1e-3);
        set_num_threads(2);
        const TrainingResult two = run_training(x, gamma, beta, dy, l, mask);
        const Tensor inf_two = batch_norm_inference(x, beta, gamma, gamma, beta, l, 1e-3);
        CHECK(array_equal(one.moments.mean, two.moments.mean));
        CHECK(array_equal(one.moments.variance, two.moments.variance));
        for (auto [a, b] : {std::pair{one.y, two.y}, std::pair{one.dx, two.dx}, std::pair{one.dgamma, two.dgamma},
                            std::pair{one.dbeta, two.dbeta}, std::pair{inf_one, inf_two}})
            CHECK(array_equal(a, b));
    };
    const Tensor nhwc = Tensor::random_normal({32, 16, 16, 32}, 1.0f, 2.0f, 34);
    check_layout(nhwc, {.outer = 32 * 16 * 16, .channels = 32, .inner = 1}, Tensor());
    check_layout(nhwc, {.outer = 32 * 16 * 16, .channels = 32, .inner = 1},
                 greater(Tensor::random_uniform(nhwc.shape(), 0.0f, 1.0f, 35), Tensor::scalar(0.5f)));
    const Tensor nchw = Tensor::random_normal({32, 32, 16, 16}, 1.0f, 2.0f, 36);
    check_layout(nchw, {.outer = 32, .channels = 32, .inner = 256}, Tensor());
    set_num_threads(before);
}
