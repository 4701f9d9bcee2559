// Dropout: identity at inference, inverted dropout in training (rate of zeros, scaling of the kept values),
// reproducible seeded masks, noise_shape broadcasting, gradients, configs and argument errors.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include "support/gradcheck.hpp"

using namespace kiln;
using layers::Dropout;
using layers::DropoutLayer;

namespace {

using NoiseShape = std::vector<std::optional<int64_t>>;

// The fraction of zeros in `t`.
double zero_fraction(const Tensor& t) {
    int64_t zeros = 0;
    for (float v : t.to_vector()) zeros += v == 0.0f;
    return static_cast<double>(zeros) / static_cast<double>(t.size());
}

}  // namespace

TEST_CASE("Dropout: inference is the identity, with or without an explicit training argument") {
    Dropout dropout({.rate = 0.5, .seed = 1});
    const Tensor x = Tensor::random_normal({4, 5}, 0.0f, 1.0f, 2);
    CHECK(array_equal(dropout(x), x));
    CHECK(array_equal(dropout(x, false), x));
}

TEST_CASE("Dropout: training zeroes a fraction rate and scales the kept values by 1 / (1 - rate)") {
    Dropout dropout({.rate = 0.3, .seed = 5});
    const Tensor x = Tensor::full({200, 500}, 2.0f);
    const Tensor y = dropout(x, true);
    // 100000 Bernoulli(0.3) draws: the standard deviation of the fraction is 0.00145.
    CHECK(std::abs(zero_fraction(y) - 0.3) < 0.01);
    const float kept = static_cast<float>(2.0 / 0.7);
    int64_t other = 0;
    for (float v : y.to_vector()) other += v != 0.0f && v != kept;
    CHECK(other == 0);
    // The sum is preserved in expectation.
    CHECK(sum(y).item() == doctest::Approx(sum(x).item()).epsilon(0.02));
}

TEST_CASE("Dropout: rate 0 is the identity in training, trainable=false still drops, as Keras") {
    const Tensor x = Tensor::random_normal({3, 7}, 0.0f, 1.0f, 3);
    CHECK(array_equal(Dropout({.rate = 0.0})(x, true), x));
    CHECK(zero_fraction(Dropout({.trainable = false, .rate = 0.5, .seed = 4})(x, true)) > 0.0);
}

TEST_CASE("Dropout: a seed fixes the sequence of masks, unseeded layers follow set_random_seed") {
    const Tensor x = Tensor::ones({64, 32});
    Dropout a({.rate = 0.5, .seed = 42});
    Dropout b({.rate = 0.5, .seed = 42});
    const Tensor a1 = a(x, true), a2 = a(x, true);
    CHECK(array_equal(a1, b(x, true)));
    CHECK(array_equal(a2, b(x, true)));
    CHECK_FALSE(array_equal(a1, a2));  // each call draws a new mask
    CHECK_FALSE(array_equal(a1, Dropout({.rate = 0.5, .seed = 43})(x, true)));

    set_random_seed(9);
    const Tensor u1 = Dropout({.rate = 0.5})(x, true);
    set_random_seed(9);
    CHECK(array_equal(Dropout({.rate = 0.5})(x, true), u1));
}

TEST_CASE("Dropout: noise_shape shares the mask along its size-1 axes") {
    const Tensor x = Tensor::ones({3, 6, 4});
    Dropout dropout({.rate = 0.5, .noise_shape = NoiseShape{std::nullopt, 1, 4}, .seed = 7});
    const Tensor y = dropout(x, true);
    CHECK(y.shape() == x.shape());
    for (int64_t n = 0; n < 3; ++n)
        for (int64_t t = 1; t < 6; ++t)
            for (int64_t f = 0; f < 4; ++f) CHECK(y.at({n, t, f}) == y.at({n, 0, f}));
    CHECK(zero_fraction(y) > 0.0);
    CHECK(zero_fraction(y) < 1.0);

    Dropout bad({.name = "dropout_ns", .rate = 0.5, .noise_shape = NoiseShape{3, 2, 4}});
    CHECK_THROWS_WITH_AS(bad(x, true),
                         "Dropout 'dropout_ns': noise_shape (3, 2, 4) does not broadcast to the input shape [3,6,4]",
                         ShapeError);
    Dropout short_rank({.name = "dropout_rank", .rate = 0.5, .noise_shape = NoiseShape{3, 1}});
    CHECK_THROWS_WITH_AS(short_rank(x, true), doctest::Contains("must have the rank of the input"), ShapeError);
    CHECK(array_equal(short_rank(x, false), x));  // inference never looks at the noise shape
}

TEST_CASE("Dropout: finite-difference gradients in training with a fixed seed") {
    // A new layer with the same seed per evaluation: every evaluation uses the same mask.
    auto through = [](const std::vector<Tensor>& v) { return Dropout({.rate = 0.4, .seed = 11})(v[0], true); };
    kiln::testing::check_gradients("dropout training", through, {kiln::testing::random_input({4, 6}, 3)});
    auto shared = [](const std::vector<Tensor>& v) {
        return Dropout({.rate = 0.5, .noise_shape = NoiseShape{std::nullopt, 1}, .seed = 12})(v[0], true);
    };
    kiln::testing::check_gradients("dropout noise_shape", shared, {kiln::testing::random_input({4, 6}, 4)});
}

TEST_CASE("Dropout: configs are Keras 3's and round trip") {
    const nlohmann::json expected = nlohmann::json::parse(R"({"name": "dropout_cfg", "trainable": true,
        "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
                  "registered_name": null},
        "rate": 0.5, "seed": null, "noise_shape": null})");
    CHECK(Dropout({.name = "dropout_cfg", .rate = 0.5})->get_config() == expected);

    Dropout full({.rate = 0.25, .noise_shape = NoiseShape{std::nullopt, 1, 4}, .seed = 7});
    const nlohmann::json config = full->get_config();
    CHECK(config.at("noise_shape") == nlohmann::json::parse("[null, 1, 4]"));
    CHECK(config.at("seed") == 7);
    CHECK(serialization::deserialize_layer(serialization::serialize_layer(*full.ptr()))->get_config() == config);

    nlohmann::json unknown = config;
    unknown["noise"] = 1;
    CHECK_THROWS_WITH_AS(DropoutLayer::from_config(unknown), doctest::Contains("unsupported or unknown keys 'noise'"),
                         ValueError);
    CHECK_THROWS_WITH_AS(DropoutLayer::from_config({{"seed", 1}}), "Dropout config key 'rate': required", ValueError);
    CHECK_THROWS_WITH_AS(DropoutLayer::from_config({{"rate", 0.1}, {"seed", -2}}),
                         doctest::Contains("Dropout config key 'seed': expected null or an integer >= 0, got -2"),
                         ValueError);
}

TEST_CASE("Dropout: a rate-0 Dropout with a noise_shape Keras never reads (a real file's Dropout(0, 2)) loads") {
    // Keras 3.5 wrote {"rate": 0, "noise_shape": 2}; the layer is the identity, so the value is dropped.
    const auto zero = DropoutLayer::from_config({{"name", "d0"}, {"rate", 0}, {"seed", nullptr}, {"noise_shape", 2}});
    CHECK(zero->get_config().at("noise_shape").is_null());
    const Tensor x = Tensor::random_normal({3, 4}, 0.0f, 1.0f, 5);
    CHECK(array_equal((*zero)(x, true), x));
    // With a rate that uses it, the same value is an error.
    CHECK_THROWS_WITH_AS(DropoutLayer::from_config({{"rate", 0.5}, {"noise_shape", 2}}),
                         doctest::Contains("Dropout config key 'noise_shape': expected null or a list, got 2"),
                         ValueError);
}

TEST_CASE("Dropout: invalid arguments name the layer and the values") {
    CHECK_THROWS_WITH_AS(Dropout({.name = "d1", .rate = 1.0}), "Dropout 'd1': rate must be in [0, 1), got 1",
                         ValueError);
    CHECK_THROWS_WITH_AS(Dropout({.name = "d2", .rate = -0.25}), "Dropout 'd2': rate must be in [0, 1), got -0.25",
                         ValueError);
    CHECK_THROWS_WITH_AS(Dropout({.name = "d3", .rate = 0.5, .noise_shape = NoiseShape{2, 0}}),
                         "Dropout 'd3': noise_shape entries must be positive or None, got (2, 0)", ValueError);
}
