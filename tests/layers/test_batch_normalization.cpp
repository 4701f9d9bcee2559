// BatchNormalization's documented behaviours one by one, weights and configs, arguments and errors.
// Expected values come from formulas written here (numpy-style loops), never from the layer itself.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include <cmath>

#include "support/gradcheck.hpp"

using namespace kiln;
using layers::BatchNormalization;
using layers::BatchNormalizationLayer;

namespace {

// Per-column biased moments of a [rows, cols] tensor, over the rows where `use` (if given) is nonzero.
std::pair<std::vector<double>, std::vector<double>> column_moments(const Tensor& x, const std::vector<int>& use = {}) {
    const int64_t rows = x.dim(0), cols = x.dim(1);
    std::vector<double> mean(cols, 0.0), var(cols, 0.0);
    double n = 0;
    for (int64_t r = 0; r < rows; ++r)
        if (use.empty() || use[r]) {
            n += 1;
            for (int64_t c = 0; c < cols; ++c) mean[c] += x.at({r, c});
        }
    for (double& m : mean) m /= n;
    for (int64_t r = 0; r < rows; ++r)
        if (use.empty() || use[r])
            for (int64_t c = 0; c < cols; ++c) var[c] += (x.at({r, c}) - mean[c]) * (x.at({r, c}) - mean[c]);
    for (double& v : var) v /= n;
    return {mean, var};
}

std::vector<std::string> names(const std::vector<Variable>& vs) {
    std::vector<std::string> out;
    for (const Variable& v : vs) out.push_back(v.name());
    return out;
}

}  // namespace

TEST_CASE("BatchNormalization: training normalizes with the batch moments and updates the moving statistics") {
    BatchNormalization bn({.momentum = 0.9, .epsilon = 1e-3});
    const Tensor x = Tensor::random_normal({16, 3}, 2.0f, 3.0f, 1);
    Tensor y = bn(x, true);
    auto [mean, var] = column_moments(x);
    for (int64_t r = 0; r < 16; ++r)
        for (int64_t c = 0; c < 3; ++c)
            CHECK(y.at({r, c}) == doctest::Approx((x.at({r, c}) - mean[c]) / std::sqrt(var[c] + 1e-3)).epsilon(1e-4));
    for (int64_t c = 0; c < 3; ++c) {
        CHECK(bn->moving_mean().value().at({c}) == doctest::Approx(0.1 * mean[c]).epsilon(1e-5));
        CHECK(bn->moving_variance().value().at({c}) == doctest::Approx(0.9 + 0.1 * var[c]).epsilon(1e-5));
    }
}

TEST_CASE("BatchNormalization: inference uses the moving statistics and changes nothing") {
    BatchNormalization bn({.epsilon = 0.01});
    bn->build({4, 2});
    bn->set_weights({Tensor{2.0f, 0.5f}, Tensor{1.0f, -1.0f}, Tensor{3.0f, -2.0f}, Tensor{4.0f, 0.25f}});
    const Tensor x({5, 1, -2, 0}, {2, 2});
    for (std::optional<bool> training : {std::optional<bool>(false), std::optional<bool>()}) {
        Tensor y = bn(x, training);
        // gamma * (x - mean) / sqrt(var + eps) + beta
        CHECK(y.at({0, 0}) == doctest::Approx(2.0 * (5 - 3) / std::sqrt(4.01) + 1.0));
        CHECK(y.at({0, 1}) == doctest::Approx(0.5 * (1 + 2) / std::sqrt(0.26) - 1.0));
        CHECK(y.at({1, 0}) == doctest::Approx(2.0 * (-2 - 3) / std::sqrt(4.01) + 1.0));
        CHECK(y.at({1, 1}) == doctest::Approx(0.5 * (0 + 2) / std::sqrt(0.26) - 1.0));
    }
    CHECK(bn->moving_mean().value().to_vector() == std::vector<float>{3.0f, -2.0f});
    CHECK(bn->moving_variance().value().to_vector() == std::vector<float>{4.0f, 0.25f});
}

TEST_CASE("BatchNormalization: inference output does not depend on the batch") {
    BatchNormalization bn({.momentum = 0.5});
    const Tensor data = Tensor::random_normal({12, 4}, 1.0f, 2.0f, 2);
    bn(data, true);  // move the statistics away from their initial values
    const Tensor all = bn(data, false);
    for (int64_t r = 0; r < 12; ++r) {
        const Tensor one = bn(data.slice(r, r + 1), false);
        for (int64_t c = 0; c < 4; ++c) CHECK(one.at({0, c}) == all.at({r, c}));
    }
}

TEST_CASE("BatchNormalization: momentum 0 makes inference equal training on the same batch") {
    BatchNormalization bn({.momentum = 0.0});
    const Tensor x = Tensor::random_normal({10, 3, 3, 2}, -1.0f, 0.5f, 3);
    const Tensor train = bn(x, true);
    const Tensor infer = bn(x, false);
    CHECK(allclose(infer, train, 0.0f, 1e-6f));
}

TEST_CASE("BatchNormalization: trainable=false forces inference mode and no updates") {
    BatchNormalization bn({.trainable = false});
    const Tensor x = Tensor::random_normal({8, 2}, 3.0f, 1.0f, 4);
    const Tensor y = bn(x, true);
    // Initial moving statistics 0 and 1: y = x / sqrt(1 + eps).
    for (int64_t i = 0; i < 8; ++i) CHECK(y.at({i, 0}) == doctest::Approx(x.at({i, 0}) / std::sqrt(1.001)));
    CHECK(bn->moving_mean().value().to_vector() == std::vector<float>{0, 0});
    CHECK(bn->moving_variance().value().to_vector() == std::vector<float>{1, 1});
    bn->set_trainable(true);
    bn(x, true);
    CHECK(bn->moving_mean().value().at({0}) != 0.0f);
}

TEST_CASE("BatchNormalization: training mode is inherited from the enclosing call") {
    // A layer holding a BatchNormalization and calling it without a training argument.
    struct Wrapper : Layer {
        layers::BatchNormalization inner{layers::BatchNormalizationOptions{.momentum = 0.0}};
        Wrapper() : Layer(LayerOptions{}, "wrapper") { track_layer(inner); }
        std::string class_name() const override { return "Wrapper"; }
        Tensor call(const Tensor& x, const CallContext&) override { return inner(x); }
    };
    Wrapper w;
    const Tensor x = Tensor::random_normal({6, 2}, 5.0f, 1.0f, 5);
    w(x, true);
    CHECK(w.inner->moving_mean().value().at({0}) == doctest::Approx(column_moments(x).first[0]).epsilon(1e-5));
    w.inner->moving_mean().assign(Tensor{0.0f, 0.0f});
    w(x);  // no argument anywhere: inference
    CHECK(w.inner->moving_mean().value().at({0}) == 0.0f);
    w(x, false);
    CHECK(w.inner->moving_mean().value().at({0}) == 0.0f);
}

TEST_CASE("BatchNormalization: masked statistics use only unmasked positions, inference ignores the mask") {
    BatchNormalization bn({.momentum = 0.0});
    const Tensor x = Tensor::random_normal({3, 4, 2}, 1.0f, 2.0f, 6);
    const Tensor mask({1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 1, 1}, {3, 4});
    bn(x, true, mask);
    // Rows of x flattened to [12, 2]; the statistics use the rows whose mask is 1.
    std::vector<int> use;
    for (float m : mask.to_vector()) use.push_back(m != 0.0f);
    auto [mean, var] = column_moments(x.reshape({12, 2}), use);
    for (int64_t c = 0; c < 2; ++c) {
        CHECK(bn->moving_mean().value().at({c}) == doctest::Approx(mean[c]).epsilon(1e-5));
        CHECK(bn->moving_variance().value().at({c}) == doctest::Approx(var[c]).epsilon(1e-5));
    }
    const Tensor with_mask = bn(x, false, mask);
    const Tensor without = bn(x, false);
    CHECK(array_equal(with_mask, without));
    CHECK_THROWS_WITH_AS(bn(x, true, Tensor::ones({3})),
                         doctest::Contains("the mask must have one dimension less than the input"), ValueError);
}

TEST_CASE("BatchNormalization: a fully masked batch gives zero statistics and zero output for zeroed inputs") {
    BatchNormalization bn({.momentum = 0.0});
    const Tensor x = Tensor::zeros({2, 3, 2});  // Masking zeroes the masked positions
    const Tensor y = bn(x, true, Tensor::zeros({2, 3}));
    for (float v : y.to_vector()) CHECK(v == 0.0f);
    CHECK(bn->moving_mean().value().to_vector() == std::vector<float>{0, 0});
    CHECK(bn->moving_variance().value().to_vector() == std::vector<float>{0, 0});
}

TEST_CASE("BatchNormalization: a masked channel of equal values has batch variance 0 and mean that value exactly") {
    // Keras 3 adds the count epsilon 1e-7 to the float32 count, where it rounds away for a count of 5: mean 25 / 5
    // = 5 and variance 0, exactly. (In double, 25 / (5 + 1e-7) would leave 4.9999999 and a variance of 5e-15.)
    BatchNormalization bn({.momentum = 0.0});
    const Tensor x({5, 5, 100, 5, 5, 5}, {1, 6, 1});
    bn(x, true, Tensor({1, 1, 0, 1, 1, 1}, {1, 6}));
    CHECK(bn->moving_mean().value().item() == 5.0f);
    CHECK(bn->moving_variance().value().item() == 0.0f);
    // A count of 1 keeps what float32 holds of the epsilon: mean 3 / (1 + 2^-23).
    BatchNormalization one({.momentum = 0.0});
    one(Tensor({3, 7}, {1, 2, 1}), true, Tensor({1, 0}, {1, 2}));
    CHECK(one->moving_mean().value().item() == static_cast<float>(3.0 / (1.0 + std::ldexp(1.0, -23))));
}

TEST_CASE("BatchNormalization: renorm inference equals plain inference with the same moving statistics") {
    BatchNormalization renorm({.momentum = 0.8, .renorm = true, .renorm_clipping = std::map<std::string, double>{{"rmax", 2.0}}});
    const Tensor x = Tensor::random_normal({8, 3}, 0.5f, 2.0f, 7);
    renorm(x, true);
    renorm(x * 0.5f, true);
    BatchNormalization plain({.momentum = 0.8});
    plain->build({8, 3});
    plain->moving_mean().assign(renorm->moving_mean().value());
    plain->moving_variance().assign(renorm->moving_variance().value());
    CHECK(allclose(renorm(x, false), plain(x, false), 0.0f, 1e-6f));
    // moving_variance = relu(moving_stddev^2 - eps)
    for (int64_t c = 0; c < 3; ++c) {
        const double s = renorm->moving_stddev().value().at({c});
        CHECK(renorm->moving_variance().value().at({c}) == doctest::Approx(std::max(0.0, s * s - 1e-3)));
    }
}

TEST_CASE("BatchNormalization: weights, their names and order") {
    BatchNormalization bn({.name = "bn"});
    bn->build({2, 5});
    CHECK(names(bn->weights()) == std::vector<std::string>{"bn/gamma", "bn/beta", "bn/moving_mean", "bn/moving_variance"});
    CHECK(names(bn->trainable_weights()) == std::vector<std::string>{"bn/gamma", "bn/beta"});
    CHECK(names(bn->non_trainable_weights()) == std::vector<std::string>{"bn/moving_mean", "bn/moving_variance"});
    CHECK(bn->weights()[0].shape() == Shape{5});
    CHECK(bn->count_params() == 20);

    bn->set_trainable(false);
    CHECK(bn->trainable_weights().empty());
    CHECK(names(bn->non_trainable_weights()) == names(bn->weights()));
    CHECK(names(bn->weights()) == std::vector<std::string>{"bn/gamma", "bn/beta", "bn/moving_mean", "bn/moving_variance"});

    BatchNormalization bare({.name = "bare", .center = false, .scale = false});
    bare->build({2, 5});
    CHECK(names(bare->weights()) == std::vector<std::string>{"bare/moving_mean", "bare/moving_variance"});
    CHECK(bare->trainable_weights().empty());
    BatchNormalization only_scale({.name = "s", .center = false});
    only_scale->build({2, 5});
    CHECK(names(only_scale->trainable_weights()) == std::vector<std::string>{"s/gamma"});

    BatchNormalization renorm({.name = "r", .renorm = true});
    renorm->build({2, 5});
    CHECK(renorm->weights().size() == 7);
    CHECK(names(renorm->non_trainable_weights()) ==
          std::vector<std::string>{"r/moving_mean", "r/moving_variance", "r/moving_stddev", "r/renorm_mean", "r/renorm_stddev"});
}

TEST_CASE("BatchNormalization: axis forms and parameter shapes") {
    BatchNormalization nchw({.axis = int64_t{1}});
    nchw->build({2, 3, 4, 4});
    CHECK(nchw->gamma().shape() == Shape{3});
    CHECK(nchw->axes() == std::vector<int64_t>{1});
    BatchNormalization neg({.axis = int64_t{-2}});
    neg->build({2, 3, 4});
    CHECK(neg->axes() == std::vector<int64_t>{1});
    BatchNormalization list({.axis = std::vector<int64_t>{1, 2}});
    list->build({5, 4, 3});
    CHECK(list->gamma().shape() == Shape{1, 4, 3});
    // Non-adjacent axes: channels are (axis 1, axis 3) pairs; statistics over axes 0 and 2.
    BatchNormalization split({.axis = std::vector<int64_t>{1, 3}, .momentum = 0.0});
    const Tensor x = Tensor::random_normal({3, 2, 4, 2}, 0.0f, 1.0f, 8);
    split(x, true);
    double m = 0;
    for (int64_t a = 0; a < 3; ++a)
        for (int64_t b = 0; b < 4; ++b) m += x.at({a, 1, b, 0});
    CHECK(split->moving_mean().value().at({0, 1, 0, 0}) == doctest::Approx(m / 12).epsilon(1e-5));
    CHECK_THROWS_WITH_AS(BatchNormalization({.axis = int64_t{2}})(Tensor::ones({2, 3})),
                         doctest::Contains("axis 2 is out of range for an input of rank 2"), ValueError);
    CHECK_THROWS_WITH_AS(BatchNormalization({.axis = std::vector<int64_t>{1, -1}})(Tensor::ones({2, 3})),
                         doctest::Contains("duplicate axis"), ValueError);
    CHECK_THROWS_AS(BatchNormalization({.axis = std::vector<int64_t>{}}), ValueError);
}

TEST_CASE("BatchNormalization: wrong input shapes after build raise with the layer's name") {
    BatchNormalization bn({.name = "bn_shape"});
    bn(Tensor::ones({2, 3}));
    CHECK_THROWS_WITH_AS(bn(Tensor::ones({2, 4})),
                         doctest::Contains("BatchNormalization 'bn_shape': expected axis 1 of the input to have size 3"),
                         ShapeError);
    CHECK_THROWS_WITH_AS(bn(Tensor::ones({2, 3, 1})), doctest::Contains("expected an input of rank 2"), ShapeError);
}

TEST_CASE("BatchNormalization: ghost batches normalize strided sub-batches and average their statistics") {
    BatchNormalization ghost({.momentum = 0.0, .virtual_batch_size = 2});
    const Tensor x = Tensor::random_normal({6, 2}, 1.0f, 1.0f, 9);
    const Tensor y = ghost(x, true);
    // 3 ghosts of 2 samples: ghost g = samples {g, g + 3}.
    double mean_of_means = 0, mean_of_vars = 0;
    for (int64_t g = 0; g < 3; ++g) {
        const double a = x.at({g, 0}), b = x.at({g + 3, 0});
        const double m = (a + b) / 2, v = ((a - m) * (a - m) + (b - m) * (b - m)) / 2;
        CHECK(y.at({g, 0}) == doctest::Approx((a - m) / std::sqrt(v + 1e-3)).epsilon(1e-4));
        CHECK(y.at({g + 3, 0}) == doctest::Approx((b - m) / std::sqrt(v + 1e-3)).epsilon(1e-4));
        mean_of_means += m / 3;
        mean_of_vars += v / 3;
    }
    CHECK(ghost->moving_mean().value().at({0}) == doctest::Approx(mean_of_means).epsilon(1e-5));
    CHECK(ghost->moving_variance().value().at({0}) == doctest::Approx(mean_of_vars).epsilon(1e-5));
    CHECK(ghost(Tensor::ones({5, 2}), false).dim(0) == 5);  // inference takes any batch size
    CHECK_THROWS_WITH_AS(ghost(Tensor::ones({5, 2}), true), doctest::Contains("virtual_batch_size 2 must divide the batch size"),
                         ValueError);
}

TEST_CASE("BatchNormalization: fused follows tf.keras's rules and never changes results") {
    const Tensor x = Tensor::random_normal({4, 3, 3, 2}, 0.5f, 1.5f, 10);
    BatchNormalization fused({.momentum = 0.5, .fused = true});
    BatchNormalization plain({.momentum = 0.5, .fused = false});
    CHECK(array_equal(fused(x, true), plain(x, true)));
    CHECK(array_equal(fused->moving_variance().value(), plain->moving_variance().value()));
    CHECK_THROWS_WITH_AS(BatchNormalization({.fused = true})(Tensor::ones({2, 3})),
                         doctest::Contains("fused=true only supports 4D or 5D inputs"), ValueError);
    CHECK_THROWS_WITH_AS(BatchNormalization({.axis = int64_t{2}, .fused = true}), doctest::Contains("fused=true is only supported when axis is 1 or 3"),
                         ValueError);
    CHECK_THROWS_WITH_AS(BatchNormalization({.renorm = true, .fused = true}), doctest::Contains("fused=true and renorm=true"),
                         ValueError);
    CHECK_THROWS_AS(BatchNormalization({.fused = true, .virtual_batch_size = 2}), ValueError);
    CHECK_THROWS_AS(BatchNormalization({.synchronized = true, .fused = true}), ValueError);
}

TEST_CASE("BatchNormalization: synchronized uses local statistics in one process, and the hook when installed") {
    const Tensor x = Tensor::random_normal({8, 2}, 1.0f, 2.0f, 11);
    BatchNormalization sync({.momentum = 0.0, .synchronized = true});
    BatchNormalization local({.momentum = 0.0});
    CHECK(allclose(sync(x, true), local(x, true), 1e-5f, 1e-5f));
    // A hook that simulates a second worker holding the same batch: statistics stay the same, but the hook runs.
    int calls = 0;
    layers::set_synchronized_all_reduce([&calls](std::span<double> sums) {
        ++calls;
        for (double& s : sums) s *= 2.0;
    });
    BatchNormalization twice({.momentum = 0.0, .synchronized = true});
    const Tensor y = twice(x, true);
    layers::set_synchronized_all_reduce({});
    CHECK(calls == 1);
    CHECK(allclose(y, local(x, true), 1e-5f, 1e-5f));
    CHECK(allclose(twice->moving_variance().value(), local->moving_variance().value(), 1e-5f, 1e-6f));
}

TEST_CASE("BatchNormalization: adjustment applies only in training") {
    auto adjust = [](const Shape&) { return std::pair{Tensor{2.0f}, Tensor{0.5f}}; };
    BatchNormalization adjusted({.momentum = 0.0, .adjustment = adjust});
    BatchNormalization plain({.momentum = 0.0});
    const Tensor x = Tensor::random_normal({6, 2}, 0.0f, 1.0f, 12);
    CHECK(allclose(adjusted(x, true), plain(x, true) * 2.0f + 0.5f, 1e-5f, 1e-5f));
    CHECK(allclose(adjusted(x, false), plain(x, false), 0.0f, 0.0f));
    CHECK_THROWS_AS(BatchNormalization({.virtual_batch_size = 2, .adjustment = adjust}), ValueError);
    CHECK_THROWS_AS(adjusted->get_config(), NotImplementedError);
}

TEST_CASE("BatchNormalization: argument validation") {
    using Clip = std::map<std::string, double>;
    CHECK_THROWS_WITH_AS(BatchNormalization({.renorm = true, .renorm_clipping = Clip{{"rmax", 1.0}, {"bogus", 1.0}}}),
                         doctest::Contains("invalid keys for renorm_clipping: bogus"), ValueError);
    CHECK_THROWS_WITH_AS(BatchNormalization({.renorm = true, .renorm_clipping = Clip{{"rmax", 1.0}, {"rmin", 2.0}}}),
                         doctest::Contains("rmax should be greater than or equal to rmin"), ValueError);
    CHECK_THROWS_WITH_AS(BatchNormalization({.renorm = true, .renorm_clipping = Clip{{"dmax", -1.0}}}),
                         doctest::Contains("dmax should be non-negative"), ValueError);
    CHECK_THROWS_WITH_AS(BatchNormalization({.virtual_batch_size = 0}), doctest::Contains("virtual_batch_size must be a positive"),
                         ValueError);
    CHECK_THROWS_WITH_AS(BatchNormalization({.momentum = 1.5}), doctest::Contains("momentum must be in [0, 1], got 1.5"),
                         ValueError);
    CHECK_THROWS_AS(BatchNormalization({.epsilon = -1.0}), ValueError);
    CHECK_THROWS_WITH_AS(BatchNormalization({.axis = int64_t{0}, .virtual_batch_size = 2})(Tensor::ones({4, 2})),
                         doctest::Contains("the batch axis 0 cannot be normalized"), ValueError);
}

TEST_CASE("BatchNormalization: get_config writes Keras 3's keys and defaults") {
    BatchNormalization bn({.name = "batch_normalization_cfg"});
    const nlohmann::json expected = nlohmann::json::parse(R"({
      "name": "batch_normalization_cfg", "trainable": true,
      "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
      "axis": -1, "momentum": 0.99, "epsilon": 0.001, "center": true, "scale": true,
      "beta_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
      "gamma_initializer": {"module": "keras.initializers", "class_name": "Ones", "config": {}, "registered_name": null},
      "moving_mean_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
      "moving_variance_initializer": {"module": "keras.initializers", "class_name": "Ones", "config": {}, "registered_name": null},
      "beta_regularizer": null, "gamma_regularizer": null, "beta_constraint": null, "gamma_constraint": null,
      "synchronized": false, "renorm": false, "renorm_clipping": null, "renorm_momentum": 0.99})");
    CHECK(bn->get_config() == expected);
}

TEST_CASE("BatchNormalization: from_config round trips exactly and rejects unknown keys") {
    BatchNormalization bn({.name = "bn_round", .axis = std::vector<int64_t>{1, 2}, .momentum = 0.8, .epsilon = 1e-5,
                           .center = false, .gamma_regularizer = regularizers::get("l2"),
                           .gamma_constraint = constraints::get("non_neg"), .renorm = true,
                           .renorm_clipping = std::map<std::string, double>{{"rmax", 3.0}}, .renorm_momentum = 0.7,
                           .virtual_batch_size = 4});
    const nlohmann::json config = bn->get_config();
    CHECK(BatchNormalizationLayer::from_config(config)->get_config() == config);
    nlohmann::json bad = config;
    bad["momentun"] = 0.5;
    CHECK_THROWS_WITH_AS(BatchNormalizationLayer::from_config(bad), doctest::Contains("unsupported or unknown keys 'momentun'"),
                         ValueError);
    nlohmann::json wrong_type = config;
    wrong_type["momentum"] = "high";
    CHECK_THROWS_WITH_AS(BatchNormalizationLayer::from_config(wrong_type),
                         doctest::Contains("BatchNormalization config key 'momentum': expected a number"), ValueError);
}

TEST_CASE("BatchNormalization: regularizers add losses, constraints project after updates") {
    BatchNormalization bn({.gamma_regularizer = regularizers::get("l2"), .beta_constraint = constraints::get("non_neg")});
    bn->build({3, 2});
    REQUIRE(bn->losses().size() == 1);
    CHECK(bn->losses()[0].item() == doctest::Approx(0.01 * 2.0));  // l2 = 0.01 * sum(gamma^2), gamma = [1, 1]
    bn->beta().assign(Tensor{-1.0f, 2.0f});
    bn->apply_constraints();
    CHECK(bn->beta().value().to_vector() == std::vector<float>{0.0f, 2.0f});
}

TEST_CASE("BatchNormalization: finite-difference gradients through the layer in each mode") {
    const kiln::testing::GradCheckOptions tol{.eps = 1e-2f, .rtol = 2e-2f, .atol = 2e-3f};
    auto through = [](BatchNormalization bn, bool training, Tensor mask = {}) {
        return [bn, training, mask](const std::vector<Tensor>& v) { return bn(v[0], training, mask); };
    };
    const Tensor nhwc = kiln::testing::random_input({3, 2, 2, 2}, 1, -2.0f, 2.0f);
    kiln::testing::check_gradients("bn training nhwc", through(BatchNormalization({.momentum = 1.0}), true), {nhwc}, tol);
    kiln::testing::check_gradients("bn inference nhwc", through(BatchNormalization(), false), {nhwc}, tol);
    kiln::testing::check_gradients("bn training nchw", through(BatchNormalization({.axis = int64_t{1}, .momentum = 1.0}), true),
                    {kiln::testing::random_input({3, 2, 2, 2}, 2, -2.0f, 2.0f)}, tol);
    kiln::testing::check_gradients("bn training axes 1,3", through(BatchNormalization({.axis = std::vector<int64_t>{1, 3}, .momentum = 1.0}), true),
                    {kiln::testing::random_input({3, 2, 2, 2}, 3, -2.0f, 2.0f)}, tol);
    // Renorm's r and d are constants for the gradient (stop_gradient), so finite differences only agree where the
    // clipping holds them fixed: rmin = rmax fixes r, and a batch mean far from renorm_mean saturates d at dmax.
    using Clip = std::map<std::string, double>;
    BatchNormalization renorm({.momentum = 1.0, .renorm = true, .renorm_clipping = Clip{{"rmin", 1.25}, {"rmax", 1.25}, {"dmax", 0.1}},
                               .renorm_momentum = 1.0});
    kiln::testing::check_gradients("bn renorm", through(renorm, true), {kiln::testing::random_input({6, 3}, 4, 1.0f, 5.0f)}, tol);
    kiln::testing::check_gradients("bn ghost", through(BatchNormalization({.momentum = 1.0, .virtual_batch_size = 3}), true),
                    {kiln::testing::random_input({6, 3}, 5, -2.0f, 2.0f)}, tol);
    kiln::testing::check_gradients("bn masked", through(BatchNormalization({.momentum = 1.0}), true, Tensor({1, 0, 1, 1, 1, 0}, {2, 3})),
                    {kiln::testing::random_input({2, 3, 2}, 6, -2.0f, 2.0f)}, tol);
}
