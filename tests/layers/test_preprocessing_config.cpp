// Configs of the preprocessing layers: Keras 3 keys and values, round trips through the registry, the forms
// tf.keras 2.x and older Keras 3 versions wrote, and bad arguments naming the layer and value.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

using namespace kiln;
using namespace kiln::layers;
using nlohmann::json;

namespace {

// The base keys Keras 3 writes for a float32 layer named `name`.
json base_config(const std::string& name) {
    return {{"name", name},
            {"trainable", true},
            {"dtype", json::parse(R"({"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
                                      "registered_name": null})")}};
}

json with_base(const std::string& name, const std::string& keys) {
    json config = base_config(name);
    config.update(json::parse(keys));
    return config;
}

// get_config -> serialize -> deserialize -> get_config gives the same config.
void check_round_trip(const Layer& layer) {
    const json config = layer.get_config();
    CHECK(serialization::deserialize_layer(serialization::serialize_layer(layer))->get_config() == config);
}

}  // namespace

TEST_CASE("Preprocessing configs: Keras 3 keys with their defaults") {
    CHECK(Rescaling({.name = "resc", .scale = 0.5})->get_config() ==
          with_base("resc", R"({"scale": 0.5, "offset": 0.0})"));
    CHECK(RandomFlip({.name = "flip"})->get_config() ==
          with_base("flip", R"({"mode": "horizontal_and_vertical", "seed": null, "data_format": "channels_last"})"));
    CHECK(RandomRotation({.name = "rot", .factor = 0.2})->get_config() ==
          with_base("rot", R"({"factor": [-0.2, 0.2], "fill_mode": "reflect", "interpolation": "bilinear",
                               "seed": null, "fill_value": 0.0, "data_format": "channels_last"})"));
    CHECK(RandomTranslation({.name = "tr", .height_factor = 0.1, .width_factor = {-0.2, 0.3}})->get_config() ==
          with_base("tr", R"({"height_factor": 0.1, "width_factor": [-0.2, 0.3], "fill_mode": "reflect",
                              "interpolation": "bilinear", "seed": null, "fill_value": 0.0,
                              "data_format": "channels_last"})"));
    CHECK(RandomZoom({.name = "zoom", .height_factor = {-0.3, -0.2}})->get_config() ==
          with_base("zoom", R"({"height_factor": [-0.3, -0.2], "width_factor": null, "fill_mode": "reflect",
                                "interpolation": "bilinear", "seed": null, "fill_value": 0.0,
                                "data_format": "channels_last"})"));
}

TEST_CASE("Preprocessing configs: every option round trips through the registry") {
    check_round_trip(*Rescaling({.scale = {0.5, 0.25, 2.0}, .offset = -1.0}).ptr());
    check_round_trip(*RandomFlip({.mode = "vertical", .seed = 4, .data_format = "channels_first"}).ptr());
    check_round_trip(*RandomRotation({.factor = {-0.1, 0.3},
                                      .fill_mode = "constant",
                                      .interpolation = "nearest",
                                      .seed = 5,
                                      .fill_value = 2.5,
                                      .data_format = "channels_first"})
                          .ptr());
    check_round_trip(
        *RandomTranslation(
             {.trainable = false, .height_factor = {0.1, 0.2}, .width_factor = 0.4, .fill_mode = "wrap", .seed = 6})
             .ptr());
    check_round_trip(
        *RandomZoom({.height_factor = 0.5, .width_factor = Factor(-0.2, 1.0), .fill_mode = "nearest"}).ptr());
    const LayerPtr zoom = serialization::layer_from_config(
        "RandomZoom", RandomZoom({.height_factor = 0.5, .width_factor = 0.1, .seed = 9})->get_config());
    const auto& o = std::dynamic_pointer_cast<RandomZoomLayer>(zoom)->options();
    CHECK(o.width_factor->values() == std::array<double, 2>{0.1, 0.1});
    CHECK(o.seed == 9u);
}

TEST_CASE("Preprocessing configs: tf.keras 2.x forms load (no data_format, factors as written)") {
    // As tf.keras 2.15 get_config writes them: legacy dtype string, no data_format.
    const auto flip = RandomFlipLayer::from_config(
        json::parse(R"({"name": "random_flip", "trainable": true, "dtype": "float32", "mode": "horizontal",
                        "seed": null})"));
    CHECK(flip->options().mode == "horizontal");
    CHECK(flip->options().data_format == "channels_last");
    const auto rot = RandomRotationLayer::from_config(
        json::parse(R"({"name": "random_rotation", "trainable": true, "dtype": "float32", "factor": 0.1,
                        "fill_mode": "reflect", "fill_value": 0.0, "interpolation": "bilinear", "seed": 42})"));
    CHECK(rot->options().factor.range() == std::array<double, 2>{-0.1, 0.1});
    CHECK(rot->options().seed == 42u);
    const auto tr = RandomTranslationLayer::from_config(
        json::parse(R"({"name": "t", "trainable": true, "dtype": "float32", "height_factor": [-0.2, 0.3],
                        "width_factor": 0.2, "fill_mode": "constant", "fill_value": 1.0,
                        "interpolation": "nearest", "seed": null})"));
    CHECK(tr->options().height_factor.is_pair());
    CHECK(tr->options().fill_value == 1.0);
    const auto zoom = RandomZoomLayer::from_config(
        json::parse(R"({"name": "z", "trainable": true, "dtype": "float32", "height_factor": 0.2,
                        "width_factor": null, "fill_mode": "reflect", "fill_value": 0.0,
                        "interpolation": "bilinear", "seed": null})"));
    CHECK_FALSE(zoom->options().width_factor.has_value());
    const auto resc = RescalingLayer::from_config(
        json::parse(R"({"name": "rescaling", "trainable": true, "dtype": "float32", "scale": 0.00392156862745098,
                        "offset": 0.0})"));
    CHECK(resc->options().scale.values() == std::vector<double>{0.00392156862745098});
}

TEST_CASE("Preprocessing configs: Keras 3 forms load (value_range of 3.0-3.5, NumPy scales)") {
    const auto rot = RandomRotationLayer::from_config(
        with_base("random_rotation", R"({"factor": [-0.2, 0.2], "value_range": [0, 255], "data_format": "channels_last",
                               "fill_mode": "reflect", "fill_value": 0.0, "interpolation": "bilinear",
                               "seed": null})"));
    CHECK(rot->get_config().contains("value_range") == false);
    const auto resc = RescalingLayer::from_config(with_base(
        "rescaling", R"({"scale": {"class_name": "__numpy__", "config": {"value": [0.5, 0.25], "dtype": "float32"}},
                         "offset": {"class_name": "__numpy__", "config": {"value": 1.0, "dtype": "float32"}}})"));
    CHECK(resc->options().scale.values() == std::vector<double>{0.5, 0.25});
    CHECK(resc->options().scale.is_list());
    CHECK_FALSE(resc->options().offset.is_list());
}

TEST_CASE("Preprocessing configs: bad keys and values name the layer, key and value") {
    CHECK_THROWS_WITH_AS(RandomRotationLayer::from_config(with_base("r", "{}")),
                         "RandomRotation config key 'factor': required", ValueError);
    CHECK_THROWS_WITH_AS(RescalingLayer::from_config(with_base("r", R"({"offset": 1.0})")),
                         "Rescaling config key 'scale': required", ValueError);
    CHECK_THROWS_WITH_AS(RandomZoomLayer::from_config(with_base("z", R"({"height_factor": [0.1, 0.2, 0.3]})")),
                         "RandomZoom config key 'height_factor': expected a number or a list of two numbers, got "
                         "[0.1,0.2,0.3]",
                         ValueError);
    CHECK_THROWS_WITH_AS(RandomFlipLayer::from_config(with_base("f", R"({"seed": -1})")),
                         "RandomFlip config key 'seed': expected null or an integer >= 0, got -1", ValueError);
    CHECK_THROWS_WITH_AS(RandomFlipLayer::from_config(with_base("f", R"({"bounding_box_format": "xyxy"})")),
                         doctest::Contains("RandomFlip config key 'bounding_box_format': kiln supports only null"),
                         NotImplementedError);
    CHECK_THROWS_WITH_AS(RandomTranslationLayer::from_config(
                             with_base("t", R"({"height_factor": 0.1, "width_factor": 0.1, "fill": 1})")),
                         doctest::Contains("unsupported or unknown keys 'fill'"), ValueError);
    CHECK_THROWS_WITH_AS(RescalingLayer::from_config(with_base("r", R"({"scale": [[1.0, 2.0]]})")),
                         doctest::Contains("Rescaling config key 'scale': only a number or a 1-D list is supported"),
                         NotImplementedError);
    CHECK_THROWS_WITH_AS(RescalingLayer::from_config(with_base("r", R"({"scale": "half"})")),
                         "Rescaling config key 'scale': expected a number or a list of numbers, got \"half\"",
                         ValueError);
}

TEST_CASE("Preprocessing layers: bad arguments name the layer and the value") {
    CHECK_THROWS_WITH_AS(RandomFlip({.name = "f1", .mode = "diagonal"}),
                         "RandomFlip 'f1': mode must be 'horizontal', 'vertical' or 'horizontal_and_vertical', got "
                         "'diagonal'",
                         ValueError);
    CHECK_THROWS_WITH_AS(RandomRotation({.name = "r1", .factor = 1.5}),
                         "RandomRotation 'r1': factor must be a number or a pair of numbers in [-1, 1], got 1.5",
                         ValueError);
    CHECK_THROWS_WITH_AS(RandomTranslation({.name = "t1", .height_factor = 0.1, .width_factor = {-1.2, 0.0}}),
                         "RandomTranslation 't1': width_factor must be a number or a pair of numbers in [-1, 1], got "
                         "(-1.2, 0)",
                         ValueError);
    CHECK_THROWS_WITH_AS(
        RandomZoom({.name = "z1", .height_factor = {-1.0, 0.5}}),
        "RandomZoom 'z1': height_factor must be a number or a pair of numbers in (-1, 1], got (-1, 0.5)", ValueError);
    CHECK_THROWS_WITH_AS(RandomZoom({.name = "z2", .height_factor = 0.1, .fill_mode = "mirror"}),
                         "RandomZoom 'z2': fill_mode must be 'reflect', 'wrap', 'constant' or 'nearest', got 'mirror'",
                         ValueError);
    CHECK_THROWS_WITH_AS(RandomRotation({.name = "r2", .factor = 0.1, .interpolation = "bicubic"}),
                         "RandomRotation 'r2': interpolation must be 'nearest' or 'bilinear', got 'bicubic'",
                         ValueError);
    CHECK_THROWS_WITH_AS(RandomFlip({.name = "f2", .data_format = "NHWC"}),
                         "RandomFlip 'f2': data_format must be 'channels_last' or 'channels_first', got 'NHWC'",
                         ValueError);
    CHECK_THROWS_WITH_AS(Rescaling({.name = "s1", .scale = ChannelValues(std::vector<double>{})}),
                         "Rescaling 's1': scale needs at least one value", ValueError);
}
