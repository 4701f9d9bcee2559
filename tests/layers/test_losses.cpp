// Losses: values by hand or by naive double formulas, weighting and reductions, stability at extreme inputs,
// gradients by finite differences, shape and label errors, names, configs and resolve().
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include <kiln/kiln.hpp>
#include <kiln/layers/losses.hpp>

#include "support/gradcheck.hpp"

using namespace kiln;
using namespace kiln::losses;
using kiln::testing::check_gradients;
using kiln::testing::random_input;
using nlohmann::json;

namespace {

const Tensor kNoWeights;

LossOptions reduced(const char* reduction) { return LossOptions{reduction, ""}; }

// log(sum(exp(v))) in double.
double log_sum_exp(const std::vector<double>& v) {
    double total = 0.0;
    for (double x : v) total += std::exp(x);
    return std::log(total);
}

// Binary crossentropy of logit x against target z, from its definition, in double.
double naive_sigmoid_bce(double x, double z) {
    const double p = 1.0 / (1.0 + std::exp(-x));
    return -(z * std::log(p) + (1.0 - z) * std::log(1.0 - p));
}

// Checks every element of `t` against `expected`.
void check_values(const Tensor& t, const std::vector<double>& expected) {
    REQUIRE(t.size() == static_cast<int64_t>(expected.size()));
    for (size_t i = 0; i < expected.size(); ++i) {
        CAPTURE(i);
        CHECK(t.data()[i] == doctest::Approx(expected[i]));
    }
}

}  // namespace

TEST_CASE("losses: MeanSquaredError and MeanAbsoluteError by hand, with every reduction") {
    const Tensor y_true({1, 2, 3, 4}, {2, 2});
    const Tensor y_pred({1, 4, 0, 4}, {2, 2});
    // Differences [[0, -2], [3, 0]]: squared means (0 + 4) / 2 = 2 and (9 + 0) / 2 = 4.5; absolute 1 and 1.5.
    check_values(MeanSquaredError(reduced("none"))(y_true, y_pred), {2.0, 4.5});
    CHECK(MeanSquaredError()(y_true, y_pred).item() == doctest::Approx(3.25));
    CHECK(MeanSquaredError(reduced("mean"))(y_true, y_pred).item() == doctest::Approx(3.25));
    CHECK(MeanSquaredError(reduced("sum"))(y_true, y_pred).item() == doctest::Approx(6.5));
    CHECK(MeanAbsoluteError()(y_true, y_pred).item() == doctest::Approx(1.25));
    check_values(MeanAbsoluteError(reduced("none"))(y_true, y_pred), {1.0, 1.5});
    CHECK(MeanSquaredError()(y_true, y_pred).rank() == 0);
}

TEST_CASE("losses: sample weights multiply the per-sample losses, sum_over_batch_size divides by the count") {
    const Tensor y_true({1, 2, 3, 4}, {2, 2});
    const Tensor y_pred({1, 4, 0, 4}, {2, 2});  // per-sample squared errors 2 and 4.5
    const Tensor w{0.5f, 2.0f};                  // weighted: 1 and 9, sum 10
    check_values(MeanSquaredError(reduced("none"))(y_true, y_pred, w), {1.0, 9.0});
    CHECK(MeanSquaredError(reduced("sum"))(y_true, y_pred, w).item() == doctest::Approx(10.0));
    CHECK(MeanSquaredError()(y_true, y_pred, w).item() == doctest::Approx(5.0));  // 10 / 2 samples
    CHECK(MeanSquaredError(reduced("mean_with_sample_weight"))(y_true, y_pred, w).item() ==
          doctest::Approx(4.0));  // 10 / (0.5 + 2)
    // A zero weight still counts in the divisor: (0 * 2 + 1 * 4.5) / 2.
    CHECK(MeanSquaredError()(y_true, y_pred, Tensor{0.0f, 1.0f}).item() == doctest::Approx(2.25));
    // Weights of shape [N, 1] are lined up with per-sample losses of shape [N].
    CHECK(MeanSquaredError()(y_true, y_pred, Tensor({0.5f, 2.0f}, {2, 1})).item() == doctest::Approx(5.0));
    // All weights zero: mean_with_sample_weight gives 0, not NaN.
    CHECK(MeanSquaredError(reduced("mean_with_sample_weight"))(y_true, y_pred, Tensor{0.0f, 0.0f}).item() == 0.0f);
    // A scalar weight scales everything: 3 * 3.25.
    CHECK(MeanSquaredError()(y_true, y_pred, Tensor::scalar(3.0f)).item() == doctest::Approx(9.75));
}

TEST_CASE("losses: rank-1 targets against (N, 1) predictions, and rank-1 pairs averaged over their one axis") {
    const Tensor labels{1.0f, 2.0f, 3.0f};
    const Tensor column({1.0f, 3.0f, 5.0f}, {3, 1});
    // y_true becomes [3, 1]: per-sample squared errors 0, 1, 4; mean 5 / 3.
    check_values(MeanSquaredError(reduced("none"))(labels, column), {0.0, 1.0, 4.0});
    CHECK(MeanSquaredError()(labels, column).item() == doctest::Approx(5.0 / 3.0));
    check_values(MeanAbsoluteError(reduced("none"))(column, labels), {0.0, 1.0, 2.0});
    // Two rank-1 tensors are one sample's features (Keras averages over the last axis): a rank-0 loss 5 / 3.
    const Tensor both = MeanSquaredError(reduced("none"))(labels, Tensor{1.0f, 3.0f, 5.0f});
    CHECK(both.rank() == 0);
    CHECK(both.item() == doctest::Approx(5.0 / 3.0));
}

TEST_CASE("losses: Huber by hand on both sides of delta") {
    const Tensor zeros({0, 0, 0}, {1, 3});
    const Tensor e({0.5f, 2.0f, -3.0f}, {1, 3});
    // delta 1: 0.5 * 0.25 = 0.125; 1 * 2 - 0.5 = 1.5; 1 * 3 - 0.5 = 2.5; mean 4.125 / 3.
    CHECK(Huber()(zeros, e).item() == doctest::Approx(4.125 / 3.0));
    // delta 2: 0.125; |e| = 2 is still quadratic: 0.5 * 4 = 2; 2 * 3 - 0.5 * 4 = 4; mean 6.125 / 3.
    CHECK(Huber(2.0)(zeros, e).item() == doctest::Approx(6.125 / 3.0));
    // Errors [[0.6, -0.6], [0.4, 0.6]]: samples (0.18 + 0.18) / 2 = 0.18 and (0.08 + 0.18) / 2 = 0.13.
    const Tensor y_true({0, 1, 0, 0}, {2, 2});
    const Tensor y_pred({0.6f, 0.4f, 0.4f, 0.6f}, {2, 2});
    check_values(Huber(1.0, reduced("none"))(y_true, y_pred), {0.18, 0.13});
    CHECK(Huber()(y_true, y_pred).item() == doctest::Approx(0.155));
    CHECK(Huber(1.0, reduced("sum"))(y_true, y_pred, Tensor{2.0f, 1.0f}).item() == doctest::Approx(0.49));
}

TEST_CASE("losses: BinaryCrossentropy from probabilities and from logits, with label smoothing") {
    const Tensor y_true({0, 1, 0, 0}, {2, 2});
    const Tensor probs({0.6f, 0.4f, 0.4f, 0.6f}, {2, 2});
    // Sample 1: -log(0.4) twice; sample 2: -log(0.6) and -log(0.4).
    const double s1 = -std::log(0.4);
    const double s2 = (-std::log(0.6) - std::log(0.4)) / 2.0;
    check_values(BinaryCrossentropy({}, reduced("none"))(y_true, probs), {s1, s2});
    CHECK(BinaryCrossentropy()(y_true, probs).item() == doctest::Approx((s1 + s2) / 2.0));

    const Tensor logits({-2.0f, 0.5f, 3.0f, -1.0f}, {2, 2});
    const Tensor z({0, 1, 1, 0}, {2, 2});
    const Tensor per_sample = BinaryCrossentropy({.from_logits = true}, reduced("none"))(z, logits);
    check_values(per_sample, {(naive_sigmoid_bce(-2, 0) + naive_sigmoid_bce(0.5, 1)) / 2.0,
                              (naive_sigmoid_bce(3, 1) + naive_sigmoid_bce(-1, 0)) / 2.0});
    // Smoothing 0.2 moves targets to z * 0.8 + 0.1: 0 -> 0.1, 1 -> 0.9.
    const BinaryCrossentropy smoothing({.from_logits = true, .label_smoothing = 0.2}, reduced("none"));
    const Tensor smoothed = smoothing(z, logits);
    check_values(smoothed, {(naive_sigmoid_bce(-2, 0.1) + naive_sigmoid_bce(0.5, 0.9)) / 2.0,
                            (naive_sigmoid_bce(3, 0.9) + naive_sigmoid_bce(-1, 0.1)) / 2.0});
    // The same smoothing from probabilities: sample 1 = -(0.1 log 0.6 + 0.9 log 0.4 + 0.9 log 0.4 + 0.1 log 0.6) / 2.
    const double smooth1 = -(0.1 * std::log(0.6) + 0.9 * std::log(0.4) + 0.9 * std::log(0.4) + 0.1 * std::log(0.6)) / 2;
    CHECK(BinaryCrossentropy({.label_smoothing = 0.2}, reduced("none"))(z, probs).data()[0] ==
          doctest::Approx(smooth1));
}

TEST_CASE("losses: BinaryCrossentropy averages over `axis` and takes rank-1 targets for (N, 1) outputs") {
    const Tensor y_true({0, 1, 1, 0}, {2, 2});
    const Tensor probs({0.6f, 0.4f, 0.4f, 0.6f}, {2, 2});
    // axis 0, column 0: -log(0.4) and -log(0.4); column 1: -log(0.4) and -log(0.4).
    check_values(BinaryCrossentropy({.axis = 0}, reduced("none"))(y_true, probs), {-std::log(0.4), -std::log(0.4)});
    const Tensor labels{1.0f, 0.0f};
    const Tensor column({0.8f, 0.3f}, {2, 1});
    check_values(BinaryCrossentropy({}, reduced("none"))(labels, column), {-std::log(0.8), -std::log(0.7)});
}

TEST_CASE("losses: binary crossentropy stays finite and exact at extreme logits and probabilities") {
    const Tensor z({1, 0, 0, 1}, {4, 1});
    const Tensor logits({1000, -1000, 1000, -1000}, {4, 1});
    // max(x, 0) - x z + log(1 + exp(-|x|)): 1000 - 1000 + 0, 0 + 0 + 0, 1000 - 0 + 0, 0 + 1000 + 0.
    check_values(BinaryCrossentropy({.from_logits = true}, reduced("none"))(z, logits), {0.0, 0.0, 1000.0, 1000.0});
    // Probabilities 0 and 1 are clipped to eps = float(1e-7) and q = float(1 - 1e-7) = 1 - 2^-23.
    const double eps = static_cast<double>(kEpsilon);
    const double q = 1.0 - std::ldexp(1.0, -23);
    const Tensor targets({1, 0, 1, 0}, {4, 1});
    const Tensor probs({0, 1, 1, 0}, {4, 1});
    const Tensor losses = BinaryCrossentropy({}, reduced("none"))(targets, probs);
    // -log(eps), -log(1 - q) = 23 log 2, -log(q), -log(1 - eps).
    check_values(losses, {-std::log(eps), 23.0 * std::log(2.0), -std::log(q), -std::log(1.0 - eps)});
    CHECK(losses.data()[0] == doctest::Approx(16.118095));
}

TEST_CASE("losses: CategoricalCrossentropy from probabilities, logits, smoothing and another class axis") {
    const Tensor y_true({0, 1, 0, 0, 0, 1}, {2, 3});
    const Tensor probs({0.05f, 0.95f, 0.0f, 0.1f, 0.8f, 0.1f}, {2, 3});
    // -log(0.95) and -log(0.1).
    check_values(CategoricalCrossentropy({}, reduced("none"))(y_true, probs), {-std::log(0.95), -std::log(0.1)});
    CHECK(CategoricalCrossentropy()(y_true, probs).item() ==
          doctest::Approx((-std::log(0.95) - std::log(0.1)) / 2.0));
    // Probabilities are renormalized: [1, 3] -> [0.25, 0.75].
    CHECK(CategoricalCrossentropy()(Tensor({0, 1}, {1, 2}), Tensor({1, 3}, {1, 2})).item() ==
          doctest::Approx(-std::log(0.75)));

    const Tensor logits({1, 2, 3}, {1, 3});
    const double lse = log_sum_exp({1, 2, 3});
    CHECK(CategoricalCrossentropy({.from_logits = true})(Tensor({0, 0, 1}, {1, 3}), logits).item() ==
          doctest::Approx(lse - 3.0));
    // Smoothing 0.3 over 3 classes: [0, 0, 1] -> [0.1, 0.1, 0.8]; loss = sum -z_i (x_i - lse).
    const double smoothed = 0.1 * (lse - 1) + 0.1 * (lse - 2) + 0.8 * (lse - 3);
    CHECK(CategoricalCrossentropy({.from_logits = true, .label_smoothing = 0.3})(Tensor({0, 0, 1}, {1, 3}), logits)
              .item() == doctest::Approx(smoothed));

    // Classes along axis 0 (the transposes of the first example).
    const Tensor t_true({0, 0, 1, 0, 0, 1}, {3, 2});
    const Tensor t_probs({0.05f, 0.1f, 0.95f, 0.8f, 0.0f, 0.1f}, {3, 2});
    check_values(CategoricalCrossentropy({.axis = 0}, reduced("none"))(t_true, t_probs),
                 {-std::log(0.95), -std::log(0.1)});
}

TEST_CASE("losses: categorical crossentropies stay finite and exact at extreme logits") {
    const Tensor logits({1000, -1000, 0}, {1, 3});
    // log_softmax = x - 1000 - log(1 + e^-2000 + e^-1000) = x - 1000: losses 0 and 2000.
    CHECK(CategoricalCrossentropy({.from_logits = true})(Tensor({1, 0, 0}, {1, 3}), logits).item() == 0.0f);
    CHECK(CategoricalCrossentropy({.from_logits = true})(Tensor({0, 1, 0}, {1, 3}), logits).item() == 2000.0f);
    CHECK(SparseCategoricalCrossentropy(true)(Tensor{0.0f}, logits).item() == 0.0f);
    CHECK(SparseCategoricalCrossentropy(true)(Tensor{1.0f}, logits).item() == 2000.0f);
    CHECK(SparseCategoricalCrossentropy(true)(Tensor{2.0f}, logits).item() == 1000.0f);
    // Probabilities [1, 0] (already normalized) are clipped to [1 - 2^-23, eps]: -log(eps) for class 1.
    const double eps = static_cast<double>(kEpsilon);
    CHECK(CategoricalCrossentropy()(Tensor({0, 1}, {1, 2}), Tensor({1, 0}, {1, 2})).item() ==
          doctest::Approx(-std::log(eps)));
}

TEST_CASE("losses: SparseCategoricalCrossentropy by hand, labels of shape (N) and (N, 1)") {
    const Tensor probs({0.05f, 0.95f, 0.0f, 0.1f, 0.8f, 0.1f}, {2, 3});
    const std::vector<double> expected = {-std::log(0.95), -std::log(0.1)};
    check_values(SparseCategoricalCrossentropy(false, std::nullopt, reduced("none"))(Tensor{1.0f, 2.0f}, probs),
                 expected);
    check_values(SparseCategoricalCrossentropy(false, std::nullopt, reduced("none"))(Tensor({1, 2}, {2, 1}), probs),
                 expected);
    CHECK(SparseCategoricalCrossentropy()(Tensor{1.0f, 2.0f}, probs).item() ==
          doctest::Approx((expected[0] + expected[1]) / 2.0));
    // Probabilities are clipped to [eps, 1 - eps], then renormalized: [0.2, 0.6] -> -log(0.75) for label 1,
    // [1, 3] -> both 1 - 2^-23 -> -log(0.5).
    CHECK(SparseCategoricalCrossentropy()(Tensor{1.0f}, Tensor({0.2f, 0.6f}, {1, 2})).item() ==
          doctest::Approx(-std::log(0.75)));
    CHECK(SparseCategoricalCrossentropy()(Tensor{1.0f}, Tensor({1, 3}, {1, 2})).item() ==
          doctest::Approx(std::log(2.0)));
    const double lse = log_sum_exp({1, 2, 3});
    CHECK(SparseCategoricalCrossentropy(true)(Tensor{0.0f}, Tensor({1, 2, 3}, {1, 3})).item() ==
          doctest::Approx(lse - 1.0));
    // Rank-2 labels [2, 2] against [2, 2, 2] logits; log_softmax of [0, log 3] is [log 1/4, log 3/4].
    const float l3 = std::log(3.0f);
    const Tensor seq = Tensor({0, l3, l3, 0, 0, 0, 0, l3}, {2, 2, 2});
    check_values(SparseCategoricalCrossentropy(true, std::nullopt, reduced("none"))(Tensor({1, 0, 0, 0}, {2, 2}), seq),
                 {-std::log(0.75), -std::log(0.75), -std::log(0.5), -std::log(0.25)});
}

TEST_CASE("losses: SparseCategoricalCrossentropy ignore_class leaves entries out of the loss and the divisor") {
    const Tensor probs({0.05f, 0.95f, 0.0f, 0.3f, 0.3f, 0.4f, 0.1f, 0.8f, 0.1f}, {3, 3});
    const Tensor labels{1.0f, -1.0f, 2.0f};
    const double a = -std::log(0.95);
    const double b = -std::log(0.1);
    check_values(SparseCategoricalCrossentropy(false, -1, reduced("none"))(labels, probs), {a, 0.0, b});
    CHECK(SparseCategoricalCrossentropy(false, -1, reduced("sum"))(labels, probs).item() == doctest::Approx(a + b));
    // Two entries kept: (a + b) / 2, not / 3.
    CHECK(SparseCategoricalCrossentropy(false, -1)(labels, probs).item() == doctest::Approx((a + b) / 2.0));
    // With weights [2, 5, 1]: (2a + 1b) / 2 kept entries.
    CHECK(SparseCategoricalCrossentropy(false, -1)(labels, probs, Tensor{2.0f, 5.0f, 1.0f}).item() ==
          doctest::Approx((2.0 * a + b) / 2.0));
    // An ignored class inside [0, classes): label 2 is left out.
    CHECK(SparseCategoricalCrossentropy(false, 2)(Tensor{1.0f, 1.0f, 2.0f}, probs).item() ==
          doctest::Approx((a - std::log(0.3)) / 2.0));
    // Every entry ignored: 0.
    CHECK(SparseCategoricalCrossentropy(false, -1)(Tensor{-1.0f, -1.0f, -1.0f}, probs).item() == 0.0f);
}

TEST_CASE("losses: gradients with respect to y_pred match finite differences") {
    const Tensor targets = random_input({3, 4}, 11);
    // Predictions at least 0.3 away from the targets (|e| kinks of MAE, Huber's delta at 1 or 0.5 avoided below).
    Tensor shifted = add(targets, random_input({3, 4}, 12, 0.3f, 0.45f));
    const Tensor w = random_input({3}, 13, 0.5f, 2.0f);
    check_gradients("MSE", [&](auto& in) { return MeanSquaredError()(targets, in[0], w); }, {random_input({3, 4}, 14)});
    check_gradients("MAE", [&](auto& in) { return MeanAbsoluteError()(targets, in[0]); }, {shifted});
    check_gradients("Huber", [&](auto& in) { return Huber(1.0, reduced("sum"))(targets, in[0], w); }, {shifted});
    check_gradients("Huber delta 0.2", [&](auto& in) { return Huber(0.2)(targets, in[0]); }, {shifted});

    const Tensor z = random_input({3, 4}, 15, 0.0f, 1.0f);
    check_gradients("BCE probs", [&](auto& in) { return BinaryCrossentropy({.label_smoothing = 0.1})(z, in[0], w); },
                    {random_input({3, 4}, 16, 0.1f, 0.9f)});
    check_gradients("BCE logits", [&](auto& in) { return BinaryCrossentropy({.from_logits = true})(z, in[0]); },
                    {random_input({3, 4}, 17, -4.0f, 4.0f)});

    const Tensor one_hot_targets({0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0}, {3, 4});
    check_gradients("CCE probs", [&](auto& in) { return CategoricalCrossentropy()(one_hot_targets, in[0], w); },
                    {random_input({3, 4}, 18, 0.1f, 1.0f)});
    check_gradients("CCE logits",
                    [&](auto& in) {
                        return CategoricalCrossentropy({.from_logits = true, .label_smoothing = 0.2})(one_hot_targets,
                                                                                                    in[0]);
                    },
                    {random_input({3, 4}, 19, -3.0f, 3.0f)});

    const Tensor labels{1.0f, 3.0f, 0.0f};
    check_gradients("SCCE probs", [&](auto& in) { return SparseCategoricalCrossentropy()(labels, in[0], w); },
                    {random_input({3, 4}, 20, 0.1f, 1.0f)});
    check_gradients("SCCE logits ignore_class",
                    [&](auto& in) { return SparseCategoricalCrossentropy(true, 3)(labels, in[0]); },
                    {random_input({3, 4}, 21, -3.0f, 3.0f)});
}

TEST_CASE("losses: the binary crossentropy gradient at logit 0 is sigmoid(0) - z") {
    const Tensor x = Tensor::zeros({2, 1});
    GradientTape tape;
    tape.watch(x);
    const Tensor loss = BinaryCrossentropy({.from_logits = true}, reduced("sum"))(Tensor({1, 0}, {2, 1}), x);
    CHECK(allclose(tape.gradient(loss, x), Tensor({-0.5f, 0.5f}, {2, 1})));
}

TEST_CASE("losses: shape mismatches raise ShapeError naming the loss and both shapes") {
    const Tensor a = Tensor::zeros({2, 3});
    const Tensor b = Tensor::zeros({2, 4});
    CHECK_THROWS_WITH_AS(MeanSquaredError()(a, b),
                         "MeanSquaredError: y_true and y_pred must have the same shape of rank >= 1, got y_true [2,3] "
                         "and y_pred [2,4]",
                         ShapeError);
    CHECK_THROWS_WITH_AS(BinaryCrossentropy()(Tensor::zeros({3}), Tensor::zeros({3, 2})),
                         doctest::Contains("BinaryCrossentropy: y_true and y_pred must have the same shape"),
                         ShapeError);
    CHECK_THROWS_AS(CategoricalCrossentropy()(a, b), ShapeError);
    CHECK_THROWS_AS(Huber()(Tensor::scalar(1.0f), Tensor::scalar(1.0f)), ShapeError);
    CHECK_THROWS_WITH_AS(SparseCategoricalCrossentropy()(Tensor::zeros({3}), a),
                         "SparseCategoricalCrossentropy: y_true must have the shape of y_pred without its last (class) "
                         "axis, got y_true [3] and y_pred [2,3]",
                         ShapeError);
    CHECK_THROWS_WITH_AS(MeanSquaredError()(a, a, Tensor{1.0f, 2.0f, 3.0f}),
                         doctest::Contains("MeanSquaredError: sample_weight against the losses"), ShapeError);
    CHECK_THROWS_AS(BinaryCrossentropy({.axis = 2})(a, a), ValueError);
}

TEST_CASE("losses: sparse labels outside (0, classes) or not whole raise ValueError before computing") {
    const Tensor probs = Tensor::full({2, 3}, 1.0f / 3.0f);
    CHECK_THROWS_WITH_AS(SparseCategoricalCrossentropy()(Tensor{0.0f, 3.0f}, probs),
                         "SparseCategoricalCrossentropy: label 3 is not a whole number in [0, 3) for 3 classes",
                         ValueError);
    CHECK_THROWS_WITH_AS(SparseCategoricalCrossentropy()(Tensor{-1.0f, 0.0f}, probs),
                         "SparseCategoricalCrossentropy: label -1 is not a whole number in [0, 3) for 3 classes",
                         ValueError);
    CHECK_THROWS_WITH_AS(SparseCategoricalCrossentropy(true)(Tensor{1.5f, 0.0f}, probs),
                         "SparseCategoricalCrossentropy: label 1.5 is not a whole number in [0, 3) for 3 classes",
                         ValueError);
    CHECK_THROWS_AS(SparseCategoricalCrossentropy(false, 255)(Tensor{-1.0f, 255.0f}, probs), ValueError);
    CHECK_NOTHROW(SparseCategoricalCrossentropy(false, 255)(Tensor{2.0f, 255.0f}, probs));
}

TEST_CASE("losses: invalid arguments raise ValueError") {
    CHECK_THROWS_WITH_AS(MeanSquaredError(reduced("auto")),
                         doctest::Contains("MeanSquaredError: reduction must be one of sum_over_batch_size"),
                         ValueError);
    CHECK_THROWS_WITH_AS(BinaryCrossentropy({.label_smoothing = 1.5}),
                         "BinaryCrossentropy: label_smoothing must be in [0, 1], got label_smoothing=1.5", ValueError);
    CHECK_THROWS_AS(CategoricalCrossentropy({.label_smoothing = -0.1}), ValueError);
    CHECK_THROWS_WITH_AS(Huber(-1.0), "Huber: delta must be a finite number >= 0, got delta=-1", ValueError);
}

TEST_CASE("losses: get() by Keras names, default names and configs") {
    const std::vector<std::pair<const char*, const char*>> names = {
        {"mse", "MeanSquaredError"},
        {"MSE", "MeanSquaredError"},
        {"mean_squared_error", "MeanSquaredError"},
        {"MeanSquaredError", "MeanSquaredError"},
        {"mae", "MeanAbsoluteError"},
        {"mean_absolute_error", "MeanAbsoluteError"},
        {"huber", "Huber"},
        {"binary_crossentropy", "BinaryCrossentropy"},
        {"bce", "BinaryCrossentropy"},
        {"categorical_crossentropy", "CategoricalCrossentropy"},
        {"sparse_categorical_crossentropy", "SparseCategoricalCrossentropy"},
        {"SparseCategoricalCrossentropy", "SparseCategoricalCrossentropy"},
    };
    for (const auto& [name, cls] : names) {
        CAPTURE(name);
        CHECK(losses::get(name)->class_name() == cls);
    }
    CHECK(losses::get("mse")->name() == "mean_squared_error");
    CHECK(losses::get("huber")->name() == "huber_loss");
    CHECK(MeanSquaredError(LossOptions{"sum", "my_mse"}).name() == "my_mse");
    CHECK_THROWS_WITH_AS(losses::get("hinge"), doctest::Contains("unknown loss 'hinge'"), ValueError);
}

TEST_CASE("losses: configs and serialize/deserialize round trips") {
    const std::vector<std::pair<LossPtr, json>> cases = {
        {std::make_shared<MeanSquaredError>(), {{"name", "mean_squared_error"}, {"reduction", "sum_over_batch_size"}}},
        {std::make_shared<MeanAbsoluteError>(reduced("sum")), {{"name", "mean_absolute_error"}, {"reduction", "sum"}}},
        {std::make_shared<Huber>(0.5), {{"name", "huber_loss"}, {"reduction", "sum_over_batch_size"}, {"delta", 0.5}}},
        {std::make_shared<BinaryCrossentropy>(CrossentropyOptions{true, 0.1, -1}, LossOptions{"none", "bce"}),
         {{"name", "bce"}, {"reduction", "none"}, {"from_logits", true}, {"label_smoothing", 0.1}, {"axis", -1}}},
        {std::make_shared<CategoricalCrossentropy>(CrossentropyOptions{false, 0.0, 1}),
         {{"name", "categorical_crossentropy"},
          {"reduction", "sum_over_batch_size"},
          {"from_logits", false},
          {"label_smoothing", 0.0},
          {"axis", 1}}},
        {std::make_shared<SparseCategoricalCrossentropy>(true, 255),
         {{"name", "sparse_categorical_crossentropy"},
          {"reduction", "sum_over_batch_size"},
          {"from_logits", true},
          {"ignore_class", 255},
          {"axis", -1}}},
        {std::make_shared<SparseCategoricalCrossentropy>(),
         {{"name", "sparse_categorical_crossentropy"},
          {"reduction", "sum_over_batch_size"},
          {"from_logits", false},
          {"ignore_class", nullptr},
          {"axis", -1}}},
    };
    for (const auto& [loss, config] : cases) {
        CAPTURE(loss->class_name());
        CHECK(loss->get_config() == config);
        const json j = losses::serialize(*loss);
        CHECK(j == json{{"module", "keras.losses"},
                        {"class_name", loss->class_name()},
                        {"config", config},
                        {"registered_name", nullptr}});
        const LossPtr back = losses::deserialize(json::parse(j.dump()));
        CHECK(back->class_name() == loss->class_name());
        CHECK(back->get_config() == config);
    }
}

TEST_CASE("losses: deserialize accepts names, legacy dicts and null reductions, and rejects bad configs") {
    CHECK(losses::deserialize("categorical_crossentropy")->class_name() == "CategoricalCrossentropy");
    const json legacy = json::parse(
        R"({"class_name": "SparseCategoricalCrossentropy", "config": {"from_logits": true, "reduction": null,
            "name": "scce", "dtype": "float32"}})");
    const LossPtr scce = losses::deserialize(legacy);
    CHECK(scce->reduction() == "none");
    CHECK(scce->name() == "scce");
    CHECK(dynamic_cast<const SparseCategoricalCrossentropy&>(*scce).from_logits());
    CHECK_THROWS_WITH_AS(losses::deserialize(json::parse(R"({"class_name": "Huber", "config": {"alpha": 1}})")),
                         "Huber: unknown config key 'alpha'", ValueError);
    CHECK_THROWS_WITH_AS(
        losses::deserialize(json::parse(R"({"class_name": "BinaryCrossentropy", "config": {"from_logits": 1}})")),
        "BinaryCrossentropy: config key 'from_logits' must be a boolean, got 1", ValueError);
    CHECK_THROWS_AS(losses::deserialize(json::parse(R"({"class_name": "MeanSquaredError",
                                                        "config": {"reduction": "auto"}})")),
                    ValueError);
    CHECK_THROWS_AS(losses::deserialize(json::parse(R"({"class_name": "MeanSquaredError",
                                                        "config": {"dtype": "float16"}})")),
                    ValueError);
    CHECK_THROWS_AS(losses::deserialize(json::parse(R"({"class_name": "SparseCategoricalCrossentropy",
                                                        "config": {"axis": 1}})")),
                    NotImplementedError);
}

TEST_CASE("losses: resolve() picks the crossentropy from the target and output shapes as Keras 3 compile") {
    CHECK(losses::resolve("crossentropy", {8, 1}, {8, 1})->class_name() == "BinaryCrossentropy");
    CHECK(losses::resolve("ce", {8}, {8, 10})->class_name() == "SparseCategoricalCrossentropy");
    CHECK(losses::resolve("CE", {8, 1}, {8, 10})->class_name() == "SparseCategoricalCrossentropy");
    CHECK(losses::resolve("crossentropy", {8, 10}, {8, 10})->class_name() == "CategoricalCrossentropy");
    CHECK(losses::resolve("Crossentropy", {8, 10}, {8, 10})->name() == "Crossentropy");
    CHECK(losses::resolve("mse", {8, 1}, {8, 1})->class_name() == "MeanSquaredError");
}
