// Activations: every named function against its formula written here (and a few values by hand) with a
// gradient check, then the Activation, ReLU, LeakyReLU and Softmax layers: semantics, errors and Keras 3 configs.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <numbers>

#include <kiln/kiln.hpp>

#include "support/gradcheck.hpp"

using namespace kiln;

namespace {

const nlohmann::json kDtype = nlohmann::json::parse(
    R"({"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null})");

// Points away from every kink (0, +-3, 6), so finite differences are valid for all activations.
Tensor smooth_points() { return Tensor({-2.7f, -1.3f, -0.4f, 0.3f, 0.9f, 1.6f, 2.2f, 2.8f}, {2, 4}); }

struct Reference {
    const char* name;
    std::function<double(double)> f;
};

// Each activation's formula in double precision (softmax is checked separately).
const std::vector<Reference>& references() {
    static const std::vector<Reference> table = {
        {"linear", [](double x) { return x; }},
        {"relu", [](double x) { return x > 0 ? x : 0.0; }},
        {"sigmoid", [](double x) { return 1.0 / (1.0 + std::exp(-x)); }},
        {"tanh", [](double x) { return std::tanh(x); }},
        {"elu", [](double x) { return x > 0 ? x : std::exp(x) - 1.0; }},
        {"selu", [](double x) { return 1.05070098 * (x > 0 ? x : 1.67326324 * (std::exp(x) - 1.0)); }},
        {"gelu", [](double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }},
        {"silu", [](double x) { return x / (1.0 + std::exp(-x)); }},
        {"swish", [](double x) { return x / (1.0 + std::exp(-x)); }},
        {"leaky_relu", [](double x) { return x > 0 ? x : 0.2 * x; }},
        {"softplus", [](double x) { return std::log1p(std::exp(x)); }},
        {"relu6", [](double x) { return std::min(std::max(x, 0.0), 6.0); }},
        {"hard_sigmoid", [](double x) { return std::min(std::max(x / 6.0 + 0.5, 0.0), 1.0); }},
        {"exponential", [](double x) { return std::exp(x); }},
    };
    return table;
}

}  // namespace

TEST_CASE("activations: every function matches its formula, inside and outside its kinks") {
    const Tensor x({-7.0f, -3.5f, -1.0f, -0.25f, 0.0f, 0.5f, 2.0f, 7.0f}, {8});
    for (const Reference& ref : references()) {
        CAPTURE(ref.name);
        const Tensor y = activations::apply(ref.name, x);
        REQUIRE(y.shape() == x.shape());
        for (int64_t i = 0; i < x.size(); ++i) CHECK(y.at({i}) == doctest::Approx(ref.f(x.at({i}))).epsilon(1e-5));
    }
}

TEST_CASE("activations: values by hand") {
    auto at = [](const char* name, float x) { return activations::apply(name, Tensor{x}).at({0}); };
    CHECK(at("relu6", 7.0f) == 6.0f);
    CHECK(at("hard_sigmoid", -1.0f) == doctest::Approx(1.0 / 3.0));  // (-1 + 3) / 6
    CHECK(at("hard_sigmoid", -4.0f) == 0.0f);
    CHECK(at("hard_sigmoid", 3.5f) == 1.0f);
    CHECK(at("leaky_relu", -1.0f) == doctest::Approx(-0.2));
    CHECK(at("selu", 1.0f) == doctest::Approx(1.05070098));
    CHECK(at("exponential", 0.0f) == 1.0f);
    CHECK(at("gelu", 0.0f) == 0.0f);
    CHECK(at("softplus", 0.0f) == doctest::Approx(std::log(2.0)));
    // No overflow or underflow to NaN for large inputs.
    CHECK(at("softplus", 100.0f) == 100.0f);
    CHECK(at("softplus", -100.0f) >= 0.0f);
    CHECK(at("softplus", -100.0f) < 1e-40f);
    // Keras's documented example: softmax([1, 2, 1]).
    const Tensor s = activations::apply("softmax", Tensor({1, 2, 1}, {1, 3}));
    CHECK(s.at({0, 0}) == doctest::Approx(0.21194157));
    CHECK(s.at({0, 1}) == doctest::Approx(0.5761169));
}

TEST_CASE("activations: gradients by finite differences") {
    for (const Reference& ref : references()) {
        const std::string name = ref.name;
        testing::check_gradients(ref.name,
                                 [&name](const std::vector<Tensor>& in) { return activations::apply(name, in[0]); },
                                 {smooth_points()});
    }
    testing::check_gradients("softmax",
                             [](const std::vector<Tensor>& in) { return activations::apply("softmax", in[0]); },
                             {smooth_points()});
    // softplus's gradient is sigmoid(x), also at 0 where the stable form switches.
    const Tensor zero{0.0f};
    GradientTape tape;
    tape.watch(zero);
    CHECK(tape.gradient(activations::apply("softplus", zero), zero).item() == doctest::Approx(0.5));
}

TEST_CASE("activations: names as Keras 3 writes them, and unknown names") {
    CHECK(activations::canonical_name("swish") == "silu");
    CHECK(activations::canonical_name("relu") == "relu");
    CHECK_THROWS_WITH_AS(activations::apply("mish_", Tensor{1.0f}), doctest::Contains("unknown activation 'mish_'"),
                         ValueError);
    CHECK_THROWS_WITH_AS(activations::canonical_name("Relu", "Dense 'd'"),
                         doctest::Contains("Dense 'd': unknown activation 'Relu'"), ValueError);
}

TEST_CASE("Activation: applies its function, config and round trip") {
    layers::Activation act({.name = "act", .activation = "swish"});
    const Tensor y = act(Tensor{-1.0f, 2.0f});
    CHECK(y.at({1}) == doctest::Approx(2.0 / (1.0 + std::exp(-2.0))));
    const nlohmann::json expected = {{"name", "act"}, {"trainable", true}, {"dtype", kDtype}, {"activation", "silu"}};
    CHECK(act->get_config() == expected);
    CHECK(layers::ActivationLayer::from_config(expected)->get_config() == expected);
    CHECK(serialization::deserialize_layer(serialization::serialize_layer(*act))->get_config() == expected);
    nlohmann::json bad = expected;
    bad["alpha"] = 1;
    CHECK_THROWS_WITH_AS(layers::ActivationLayer::from_config(bad), doctest::Contains("unknown keys 'alpha'"),
                         ValueError);
    CHECK_THROWS_WITH_AS(layers::Activation({.activation = "nope"}), doctest::Contains("unknown activation 'nope'"),
                         ValueError);
    CHECK(layers::Activation()->name().rfind("activation", 0) == 0);
}

TEST_CASE("ReLU: max_value, negative_slope and threshold as Keras's layer") {
    layers::ReLU relu({.max_value = 6.0, .negative_slope = 0.1, .threshold = 1.0});
    const Tensor y = relu(Tensor{-1.0f, 0.5f, 2.0f, 8.0f});
    CHECK(y.at({0}) == doctest::Approx(0.1 * (-1.0 - 1.0)));
    CHECK(y.at({1}) == doctest::Approx(0.1 * (0.5 - 1.0)));
    CHECK(y.at({2}) == 2.0f);
    CHECK(y.at({3}) == 6.0f);
    CHECK(layers::ReLU()(Tensor{-3.0f, 0.0f, 4.0f}).to_vector() == std::vector<float>{0.0f, 0.0f, 4.0f});
    CHECK(layers::ReLU()->name().rfind("re_lu", 0) == 0);
    testing::check_gradients("ReLU", [&relu](const std::vector<Tensor>& in) { return relu(in[0] * 3.0f); },
                             {smooth_points()});
    layers::ReLU plain;  // the default takes the fused relu op
    testing::check_gradients("ReLU default", [&plain](const std::vector<Tensor>& in) { return plain(in[0] * 3.0f); },
                             {smooth_points()});
    CHECK_THROWS_WITH_AS(layers::ReLU({.max_value = -1.0}), doctest::Contains("max_value cannot be negative"),
                         ValueError);
    CHECK_THROWS_WITH_AS(layers::ReLU({.negative_slope = -0.1}), doctest::Contains("negative_slope cannot be negative"),
                         ValueError);
    CHECK_THROWS_WITH_AS(layers::ReLU({.threshold = -2.0}), doctest::Contains("threshold cannot be negative"),
                         ValueError);
}

TEST_CASE("ReLU: Keras 3 config and round trip") {
    const nlohmann::json expected = {{"name", "relu_cfg"},   {"trainable", true},     {"dtype", kDtype},
                                     {"max_value", nullptr}, {"negative_slope", 0.0}, {"threshold", 0.0}};
    CHECK(layers::ReLU({.name = "relu_cfg"})->get_config() == expected);
    const nlohmann::json set = layers::ReLU({.name = "r", .max_value = 6.0, .negative_slope = 0.5})->get_config();
    CHECK(set["max_value"] == 6.0);
    CHECK(layers::ReLULayer::from_config(set)->get_config() == set);
    CHECK(serialization::layer_from_config("ReLU", expected)->get_config() == expected);
    nlohmann::json bad = expected;
    bad["alpha"] = 0.1;
    CHECK_THROWS_AS(layers::ReLULayer::from_config(bad), ValueError);
}

TEST_CASE("LeakyReLU: Keras 3 default 0.3, the legacy alpha key and configs") {
    layers::LeakyReLU leaky({.name = "leaky"});
    CHECK(leaky(Tensor{-2.0f, 3.0f}).at({0}) == doctest::Approx(-0.6));
    CHECK(leaky->name() == "leaky");
    CHECK(layers::LeakyReLU()->name().rfind("leaky_re_lu", 0) == 0);
    testing::check_gradients("LeakyReLU", [&leaky](const std::vector<Tensor>& in) { return leaky(in[0]); },
                             {smooth_points()});
    const nlohmann::json expected = {
        {"name", "leaky"}, {"trainable", true}, {"dtype", kDtype}, {"negative_slope", 0.3}};
    CHECK(leaky->get_config() == expected);
    CHECK(layers::LeakyReLULayer::from_config(expected)->get_config() == expected);
    const auto legacy = layers::LeakyReLULayer::from_config(
        {{"name", "old"}, {"trainable", true}, {"dtype", "float32"}, {"alpha", 0.1}});
    CHECK(legacy->options().negative_slope == 0.1);
    CHECK(legacy->get_config()["negative_slope"] == 0.1);
    CHECK_FALSE(legacy->get_config().contains("alpha"));
    CHECK_THROWS_WITH_AS(layers::LeakyReLU({.negative_slope = -1.0}),
                         doctest::Contains("negative_slope cannot be negative"), ValueError);
    nlohmann::json bad = expected;
    bad["slope"] = 0.1;
    CHECK_THROWS_AS(layers::LeakyReLULayer::from_config(bad), ValueError);
}

TEST_CASE("Softmax: along an axis, along several axes, and with a mask") {
    const Tensor x({1, 2, 3, 5}, {2, 2});
    const Tensor columns = layers::Softmax({.axis = int64_t{0}})(x);
    // Column 0: e^1 / (e^1 + e^3), column 1: e^2 / (e^2 + e^5).
    CHECK(columns.at({0, 0}) == doctest::Approx(1.0 / (1.0 + std::exp(2.0))));
    CHECK(columns.at({1, 1}) == doctest::Approx(1.0 / (1.0 + std::exp(-3.0))));

    const Tensor cube = Tensor::random_uniform({2, 2, 3}, -2.0f, 2.0f, 4);
    const Tensor joint = layers::Softmax({.axis = std::vector<int64_t>{1, 2}})(cube);
    for (int64_t b = 0; b < 2; ++b) {
        double total = 0.0;
        for (int64_t i = 0; i < 2; ++i)
            for (int64_t j = 0; j < 3; ++j) total += std::exp(cube.at({b, i, j}));
        for (int64_t i = 0; i < 2; ++i)
            for (int64_t j = 0; j < 3; ++j)
                CHECK(joint.at({b, i, j}) == doctest::Approx(std::exp(cube.at({b, i, j})) / total).epsilon(1e-5));
    }

    // Keras's documented example: masked logits become -1e9 and so get zero probability.
    layers::Softmax softmax;
    const Tensor masked = softmax(Tensor({1, 2, 1}, {1, 3}), std::nullopt, Tensor({1, 0, 1}, {1, 3}));
    CHECK(masked.at({0, 0}) == doctest::Approx(0.5));
    CHECK(masked.at({0, 1}) == 0.0f);
    CHECK(masked.at({0, 2}) == doctest::Approx(0.5));
    // Entries > 0.5 keep; a fully masked row is uniform (every logit -1e9); masked logits get no gradient.
    const Tensor rows({5, 1, 2, 7}, {2, 2});
    const Tensor partly = softmax(rows, std::nullopt, Tensor({0.7f, 0.2f, 0.0f, 0.0f}, {2, 2}));
    CHECK(partly.to_vector() == std::vector<float>{1.0f, 0.0f, 0.5f, 0.5f});
    GradientTape tape;
    tape.watch(rows);
    const Tensor masked_grad =
        tape.gradient(softmax(rows, std::nullopt, Tensor({1, 0}, {1, 2})) * Tensor({1, 2, 3, 4}, {2, 2}), rows);
    CHECK(masked_grad.at({0, 1}) == 0.0f);
    CHECK(masked_grad.at({1, 1}) == 0.0f);
    const Tensor mask({1, 1, 0, 1, 0, 1, 1, 1}, {2, 4});
    testing::check_gradients("Softmax",
                             [&softmax, &mask](const std::vector<Tensor>& in) { return softmax(in[0], {}, mask); },
                             {smooth_points()});
    CHECK_THROWS_AS(layers::Softmax({.axis = std::vector<int64_t>{}}), ValueError);
    CHECK_THROWS_AS(layers::Softmax({.axis = int64_t{2}})(x), ValueError);
}

TEST_CASE("Softmax: Keras 3 config and round trip") {
    const nlohmann::json expected = {{"name", "sm"}, {"trainable", true}, {"dtype", kDtype}, {"axis", -1}};
    CHECK(layers::Softmax({.name = "sm"})->get_config() == expected);
    CHECK(layers::SoftmaxLayer::from_config(expected)->get_config() == expected);
    const nlohmann::json listed = layers::Softmax({.name = "sm2", .axis = std::vector<int64_t>{1, 2}})->get_config();
    CHECK(listed["axis"] == nlohmann::json::array({1, 2}));
    CHECK(serialization::layer_from_config("Softmax", listed)->get_config() == listed);
    nlohmann::json bad = expected;
    bad["axes"] = 1;
    CHECK_THROWS_AS(layers::SoftmaxLayer::from_config(bad), ValueError);
}
