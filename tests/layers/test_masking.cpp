// Masking: zeroed timesteps and the mask worked out by hand, gradients, the mask consumed by BatchNormalization
// (statistics over the unmasked timesteps only, computed here with plain loops), configs and errors.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include <cmath>

#include "support/gradcheck.hpp"

using namespace kiln;
using layers::Masking;
using layers::MaskingLayer;

TEST_CASE("Masking: zeroes the timesteps whose features all equal mask_value and masks them") {
    Masking masking({.mask_value = -1.0});
    // Sample 0: [1, 2], [-1, -1] (masked), [-1, 3]; sample 1: [-1, -1] (masked), [0, 0], [5, -1].
    const Tensor x({1, 2, -1, -1, -1, 3, -1, -1, 0, 0, 5, -1}, {2, 3, 2});
    const Tensor y = masking(x);
    CHECK(y.shape() == x.shape());
    CHECK(y.to_vector() == std::vector<float>{1, 2, 0, 0, -1, 3, 0, 0, 0, 0, 5, -1});
    const Tensor mask = masking->compute_mask(x, Tensor());
    CHECK(mask.shape() == Shape{2, 3});
    CHECK(mask.to_vector() == std::vector<float>{1, 0, 1, 0, 1, 1});

    // Rank 2: each row is one timestep; the default mask_value is 0.
    const Tensor rows({0, 0, 1, 0}, {2, 2});
    CHECK(Masking()->compute_mask(rows, Tensor()).to_vector() == std::vector<float>{0, 1});
    CHECK(array_equal(Masking()(rows), rows));
    CHECK(Masking()->compute_output_shape({4, 5, 6}) == Shape{4, 5, 6});
}

TEST_CASE("Masking: gradients are 1 on kept timesteps and 0 on masked ones") {
    Masking masking({.mask_value = 0.5});
    const Tensor x({0.5f, 0.5f, 0.5f, 2.0f, -1.0f, 0.5f}, {1, 3, 2});  // timestep 0 masked; 1 and 2 kept
    GradientTape tape;
    tape.watch(x);
    const Tensor g = tape.gradient(sum(masking(x)), x);
    CHECK(g.to_vector() == std::vector<float>{0, 0, 1, 1, 1, 1});

    // Finite differences where no perturbation can flip the mask: every timestep has a feature far from 0.5,
    // and some features equal it exactly.
    const Tensor kept({0.5f, 1.5f, -1.0f, 0.5f, 0.25f, 0.75f, 2.0f, -0.5f}, {2, 2, 2});
    kiln::testing::check_gradients(
        "masking", [masking](const std::vector<Tensor>& v) { return masking(v[0]); }, {kept});
}

TEST_CASE("Masking: its mask makes BatchNormalization's training statistics skip the masked timesteps") {
    Tensor x = Tensor::random_normal({2, 4, 3}, 1.0f, 2.0f, 21);
    // Timesteps (0, 1), (0, 3) and (1, 0) are all zeros: masked. Timestep (1, 2) has one zero feature: kept.
    for (auto [n, t] : {std::pair{0, 1}, std::pair{0, 3}, std::pair{1, 0}})
        for (int64_t f = 0; f < 3; ++f) x.at({n, t, f}) = 0.0f;
    x.at({1, 2, 1}) = 0.0f;

    Masking masking;
    layers::BatchNormalization bn({.momentum = 0.0});
    const Tensor mask = masking->compute_mask(x, Tensor());
    CHECK(mask.to_vector() == std::vector<float>{1, 0, 1, 0, 0, 1, 1, 1});
    const Tensor y = bn(masking(x), true, mask);

    // Expected biased moments over the five kept timesteps, per feature.
    const std::vector<std::pair<int64_t, int64_t>> kept{{0, 0}, {0, 2}, {1, 1}, {1, 2}, {1, 3}};
    for (int64_t f = 0; f < 3; ++f) {
        double mean = 0.0, var = 0.0;
        for (auto [n, t] : kept) mean += x.at({n, t, f}) / 5.0;
        for (auto [n, t] : kept) var += (x.at({n, t, f}) - mean) * (x.at({n, t, f}) - mean) / 5.0;
        CHECK(bn->moving_mean().value().at({f}) == doctest::Approx(mean).epsilon(1e-5));
        CHECK(bn->moving_variance().value().at({f}) == doctest::Approx(var).epsilon(1e-5));
        CHECK(y.at({1, 2, f}) == doctest::Approx((x.at({1, 2, f}) - mean) / std::sqrt(var + 1e-3)).epsilon(1e-4));
    }
}

TEST_CASE("Masking: config is Keras 3's, round trips and rejects unknown keys") {
    CHECK(Masking({.name = "masking_cfg"})->get_config() == nlohmann::json::parse(R"({"name": "masking_cfg",
        "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
        "registered_name": null}, "mask_value": 0.0})"));
    Masking masking({.mask_value = -2.5});
    const nlohmann::json config = masking->get_config();
    CHECK(serialization::deserialize_layer(serialization::serialize_layer(*masking.ptr()))->get_config() == config);
    CHECK_THROWS_WITH_AS(MaskingLayer::from_config({{"mask", 1.0}}),
                         doctest::Contains("Masking config: unsupported or unknown keys 'mask'"), ValueError);
    CHECK_THROWS_WITH_AS(MaskingLayer::from_config({{"mask_value", "zero"}}),
                         doctest::Contains("Masking config key 'mask_value': expected a number"), ValueError);
    CHECK_THROWS_WITH_AS(Masking({.name = "masking_scalar"})(Tensor::scalar(1.0f)),
                         doctest::Contains("Masking 'masking_scalar': expected an input of rank >= 1"), ShapeError);
}
