// InputLayer: identity with shape checks, names, and Keras 3 configs (plus the legacy batch_input_shape).
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

using namespace kiln;
using layers::InputLayer;
using layers::InputLayerLayer;

TEST_CASE("InputLayer: the identity on inputs of the declared non-batch shape, any batch size") {
    InputLayer input({.shape = {28, 28, 1}, .name = "pixels"});
    const Tensor x = Tensor::random_uniform({3, 28, 28, 1}, 0.0f, 1.0f, 1);
    const Tensor y = input(x);
    CHECK(y.id() == x.id());
    CHECK(input(Tensor::zeros({1, 28, 28, 1})).shape() == Shape{1, 28, 28, 1});
    CHECK(input->weights().empty());
    CHECK(input->compute_output_shape({5, 28, 28, 1}) == Shape{5, 28, 28, 1});
    CHECK(InputLayer({.shape = {4}})->name().rfind("input_layer", 0) == 0);
}

TEST_CASE("InputLayer: unknown dimensions accept any size, known ones and the rank are checked") {
    InputLayer input({.shape = {std::nullopt, 3}, .name = "seq"});
    CHECK(input(Tensor::ones({2, 7, 3})).shape() == Shape{2, 7, 3});
    CHECK(input(Tensor::ones({2, 1, 3})).shape() == Shape{2, 1, 3});
    CHECK_THROWS_WITH_AS(
        input(Tensor::ones({2, 7, 4})),
        doctest::Contains("InputLayer 'seq': expected axis 2 of the input to have size 3, got shape [2,7,4]"),
        ShapeError);
    CHECK_THROWS_WITH_AS(input(Tensor::ones({2, 3})), doctest::Contains("expected an input of rank 3"), ShapeError);
    CHECK_THROWS_WITH_AS(InputLayer({.shape = {2, -1}, .name = "neg"}), doctest::Contains("InputLayer 'neg': shape"),
                         ValueError);
    CHECK_THROWS_AS(InputLayer({.shape = {2}, .batch_size = -4}), ValueError);
}

TEST_CASE("InputLayer: Keras 3 config, round trip and the legacy key") {
    InputLayer input({.shape = {28, 28, 1}, .name = "input_cfg"});
    const nlohmann::json expected = nlohmann::json::parse(
        R"({"batch_shape": [null, 28, 28, 1], "dtype": "float32", "sparse": false, "name": "input_cfg"})");
    CHECK(input->get_config() == expected);
    CHECK(InputLayerLayer::from_config(expected)->get_config() == expected);
    CHECK(serialization::deserialize_layer(serialization::serialize_layer(*input))->get_config() == expected);

    const nlohmann::json fixed = InputLayer({.shape = {std::nullopt, 5}, .batch_size = 8, .name = "b"})->get_config();
    CHECK(fixed["batch_shape"] == nlohmann::json::parse("[8, null, 5]"));
    CHECK(InputLayerLayer::from_config(fixed)->options().batch_size == 8);

    // tf.keras: batch_input_shape, ragged; Keras >= 3.9 ragged, >= 3.13 optional; a DTypePolicy dtype.
    const auto legacy = InputLayerLayer::from_config(nlohmann::json::parse(
        R"({"batch_input_shape": [null, 28, 28, 1], "dtype": "float32", "sparse": false, "ragged": false,
            "optional": false, "name": "input_cfg"})"));
    CHECK(legacy->get_config() == expected);

    nlohmann::json sparse = expected;
    sparse["sparse"] = true;
    CHECK_THROWS_WITH_AS(InputLayerLayer::from_config(sparse), doctest::Contains("InputLayer config key 'sparse'"),
                         NotImplementedError);
    nlohmann::json both = expected;
    both["batch_input_shape"] = expected["batch_shape"];
    CHECK_THROWS_AS(InputLayerLayer::from_config(both), ValueError);
    nlohmann::json neither = expected;
    neither.erase("batch_shape");
    CHECK_THROWS_AS(InputLayerLayer::from_config(neither), ValueError);
    nlohmann::json bad_dims = expected;
    bad_dims["batch_shape"] = nlohmann::json::parse(R"([null, "28"])");
    CHECK_THROWS_AS(InputLayerLayer::from_config(bad_dims), ValueError);
    nlohmann::json unknown = expected;
    unknown["input_shape"] = {28};
    CHECK_THROWS_WITH_AS(InputLayerLayer::from_config(unknown), doctest::Contains("unknown keys 'input_shape'"),
                         ValueError);
    nlohmann::json wide = expected;
    wide["dtype"] = "float64";
    CHECK_THROWS_AS(InputLayerLayer::from_config(wide), NotImplementedError);
}
