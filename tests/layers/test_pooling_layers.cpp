// MaxPooling2D, AveragePooling2D, GlobalMaxPooling2D and GlobalAveragePooling2D: values worked out by hand in
// each data format, output shapes, gradients, configs against Keras 3's JSON, and argument errors.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include "support/gradcheck.hpp"

using namespace kiln;
using layers::AveragePooling2D;
using layers::AveragePooling2DLayer;
using layers::GlobalAveragePooling2D;
using layers::GlobalMaxPooling2D;
using layers::MaxPooling2D;
using layers::MaxPooling2DLayer;

namespace {

using Pair = std::array<int64_t, 2>;
constexpr DataFormat kFirst = DataFormat::channels_first;

// The 3x4 image [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]], one channel, in NHWC.
Tensor image_3x4() { return Tensor::arange(1.0f, 13.0f).reshape({1, 3, 4, 1}); }

// Two 2x2 channels, [[1, 2], [3, 4]] and [[-1, -5], [-3, -2]], in each layout.
Tensor two_channels_nhwc() { return Tensor({1, -1, 2, -5, 3, -3, 4, -2}, {1, 2, 2, 2}); }
Tensor two_channels_nchw() { return Tensor({1, 2, 3, 4, -1, -5, -3, -2}, {1, 2, 2, 2}); }

void check_round_trip(const Layer& layer) {
    const nlohmann::json config = layer.get_config();
    CHECK(serialization::deserialize_layer(serialization::serialize_layer(layer))->get_config() == config);
}

std::string keras_config(const std::string& name, const std::string& own_keys) {
    return R"({"name": ")" + name + R"(", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy",
        "config": {"name": "float32"}, "registered_name": null}, )" + own_keys + "}";
}

}  // namespace

TEST_CASE("MaxPooling2D and AveragePooling2D: valid and same padding, default and explicit strides") {
    const Tensor x = image_3x4();
    // Default strides = pool_size = 2, valid: one row of windows, columns 0-1 and 2-3.
    CHECK(MaxPooling2D()(x).to_vector() == std::vector<float>{6, 8});
    CHECK(AveragePooling2D()(x).to_vector() == std::vector<float>{3.5f, 5.5f});
    // Same: a padding row after the last row; the last windows hold row 2 only (padding excluded in the mean).
    const Tensor max_same = MaxPooling2D({.padding = Padding::same})(x);
    CHECK(max_same.shape() == Shape{1, 2, 2, 1});
    CHECK(max_same.to_vector() == std::vector<float>{6, 8, 10, 12});
    CHECK(AveragePooling2D({.padding = Padding::same})(x).to_vector() == std::vector<float>{3.5f, 5.5f, 9.5f, 11.5f});
    // Stride 1: overlapping 2x2 windows.
    const Tensor max_s1 = MaxPooling2D({.strides = Pair{1, 1}})(x);
    CHECK(max_s1.shape() == Shape{1, 2, 3, 1});
    CHECK(max_s1.to_vector() == std::vector<float>{6, 7, 8, 10, 11, 12});
    CHECK(AveragePooling2D({.strides = Pair{1, 1}})(x).to_vector() ==
          std::vector<float>{3.5f, 4.5f, 5.5f, 7.5f, 8.5f, 9.5f});
    // A 3x1 window with strides (1, 2): column maxima of columns 0 and 2.
    CHECK(MaxPooling2D({.pool_size = {3, 1}, .strides = Pair{1, 2}})(x).to_vector() == std::vector<float>{9, 11});
}

TEST_CASE("MaxPooling2D and AveragePooling2D: each channel pools on its own in both formats") {
    CHECK(MaxPooling2D()(two_channels_nhwc()).to_vector() == std::vector<float>{4, -1});
    CHECK(AveragePooling2D()(two_channels_nhwc()).to_vector() == std::vector<float>{2.5f, -2.75f});
    const Tensor max_first = MaxPooling2D({.data_format = kFirst})(two_channels_nchw());
    CHECK(max_first.shape() == Shape{1, 2, 1, 1});
    CHECK(max_first.to_vector() == std::vector<float>{4, -1});
    CHECK(AveragePooling2D({.data_format = kFirst})(two_channels_nchw()).to_vector() ==
          std::vector<float>{2.5f, -2.75f});
}

TEST_CASE("MaxPooling2D and AveragePooling2D: compute_output_shape") {
    MaxPooling2D same({.pool_size = {3, 3}, .strides = Pair{2, 2}, .padding = Padding::same});
    CHECK(same->compute_output_shape({4, 7, 9, 3}) == Shape{4, 4, 5, 3});
    AveragePooling2D valid({.pool_size = {3, 3}, .strides = Pair{2, 2}});
    CHECK(valid->compute_output_shape({4, 7, 9, 3}) == Shape{4, 3, 4, 3});
    AveragePooling2D first({.pool_size = {3, 3}, .strides = Pair{2, 2}, .data_format = kFirst});
    CHECK(first->compute_output_shape({4, 3, 7, 9}) == Shape{4, 3, 3, 4});
    CHECK(MaxPooling2D()->strides() == Pair{2, 2});
    CHECK_THROWS_WITH_AS(MaxPooling2D({.name = "mp_big", .pool_size = {3, 3}})(Tensor::zeros({1, 2, 2, 1})),
                         doctest::Contains("MaxPooling2D 'mp_big': window of size 3"), ShapeError);
}

TEST_CASE("GlobalMaxPooling2D and GlobalAveragePooling2D: values, keepdims and shapes in both formats") {
    CHECK(GlobalMaxPooling2D()(two_channels_nhwc()).to_vector() == std::vector<float>{4, -1});
    CHECK(GlobalAveragePooling2D()(two_channels_nhwc()).to_vector() == std::vector<float>{2.5f, -2.75f});
    const Tensor kept = GlobalAveragePooling2D({.keepdims = true})(two_channels_nhwc());
    CHECK(kept.shape() == Shape{1, 1, 1, 2});
    CHECK(kept.to_vector() == std::vector<float>{2.5f, -2.75f});
    CHECK(GlobalMaxPooling2D({.data_format = kFirst})(two_channels_nchw()).to_vector() == std::vector<float>{4, -1});
    const Tensor kept_first = GlobalAveragePooling2D({.data_format = kFirst, .keepdims = true})(two_channels_nchw());
    CHECK(kept_first.shape() == Shape{1, 2, 1, 1});
    CHECK(kept_first.to_vector() == std::vector<float>{2.5f, -2.75f});

    CHECK(GlobalMaxPooling2D()->compute_output_shape({5, 7, 6, 3}) == Shape{5, 3});
    CHECK(GlobalMaxPooling2D({.keepdims = true})->compute_output_shape({5, 7, 6, 3}) == Shape{5, 1, 1, 3});
    CHECK(GlobalAveragePooling2D({.data_format = kFirst})->compute_output_shape({5, 3, 7, 6}) == Shape{5, 3});
    CHECK(GlobalAveragePooling2D({.data_format = kFirst, .keepdims = true})->compute_output_shape({5, 3, 7, 6}) ==
          Shape{5, 3, 1, 1});
    CHECK_THROWS_WITH_AS(GlobalMaxPooling2D({.name = "gmp3"})(Tensor::zeros({2, 3, 4})),
                         doctest::Contains("GlobalMaxPooling2D 'gmp3': expected an input of rank 4"), ShapeError);
}

TEST_CASE("Pooling layers: finite-difference gradients in both formats") {
    auto through = [](auto layer) { return [layer](const std::vector<Tensor>& v) { return layer(v[0]); }; };
    const Tensor x = kiln::testing::random_input({2, 5, 4, 3}, 11);
    kiln::testing::check_gradients("max_pooling2d last", through(MaxPooling2D({.padding = Padding::same})), {x});
    kiln::testing::check_gradients("average_pooling2d last", through(AveragePooling2D({.strides = Pair{1, 2}})), {x});
    kiln::testing::check_gradients(
        "max_pooling2d first", through(MaxPooling2D({.strides = Pair{1, 1}, .data_format = kFirst})), {x});
    kiln::testing::check_gradients(
        "average_pooling2d first", through(AveragePooling2D({.padding = Padding::same, .data_format = kFirst})), {x});
    kiln::testing::check_gradients("global_max last", through(GlobalMaxPooling2D()), {x});
    kiln::testing::check_gradients("global_average last", through(GlobalAveragePooling2D({.keepdims = true})), {x});
    kiln::testing::check_gradients("global_max first", through(GlobalMaxPooling2D({.data_format = kFirst})), {x});
    kiln::testing::check_gradients("global_average first",
                                   through(GlobalAveragePooling2D({.data_format = kFirst})), {x});
}

TEST_CASE("Pooling layers: default configs are Keras 3's") {
    const std::string windowed =
        R"("pool_size": [2, 2], "padding": "valid", "strides": [2, 2], "data_format": "channels_last")";
    CHECK(MaxPooling2D({.name = "mp_cfg"})->get_config() == nlohmann::json::parse(keras_config("mp_cfg", windowed)));
    CHECK(AveragePooling2D({.name = "ap_cfg"})->get_config() ==
          nlohmann::json::parse(keras_config("ap_cfg", windowed)));
    const std::string global = R"("data_format": "channels_last", "keepdims": false)";
    CHECK(GlobalMaxPooling2D({.name = "gmp_cfg"})->get_config() ==
          nlohmann::json::parse(keras_config("gmp_cfg", global)));
    CHECK(GlobalAveragePooling2D({.name = "gap_cfg"})->get_config() ==
          nlohmann::json::parse(keras_config("gap_cfg", global)));
}

TEST_CASE("Pooling layers: from_config round trips, reads Keras's forms and rejects unknown keys") {
    check_round_trip(*MaxPooling2D({.pool_size = {3, 2}, .strides = Pair{1, 2}, .padding = Padding::same,
                                    .data_format = kFirst}).ptr());
    check_round_trip(*AveragePooling2D({.pool_size = {2, 3}}).ptr());
    check_round_trip(*GlobalMaxPooling2D({.data_format = kFirst, .keepdims = true}).ptr());
    check_round_trip(*GlobalAveragePooling2D({.keepdims = true}).ptr());

    // An int pool_size, strides null (= pool_size), and Keras's case-insensitive padding.
    const auto pool = MaxPooling2DLayer::from_config(
        nlohmann::json::parse(R"({"pool_size": 3, "strides": null, "padding": "SAME"})"));
    CHECK(pool->options().pool_size == Pair{3, 3});
    CHECK(pool->strides() == Pair{3, 3});
    CHECK(pool->options().padding == Padding::same);
    CHECK_THROWS_WITH_AS(AveragePooling2DLayer::from_config({{"pool_size", {1, 2, 3}}}),
                         doctest::Contains("AveragePooling2D config key 'pool_size': expected an integer or a list of 2 integers"),
                         ValueError);
    for (const char* cls : {"MaxPooling2D", "AveragePooling2D", "GlobalMaxPooling2D", "GlobalAveragePooling2D"})
        CHECK_THROWS_WITH_AS(serialization::layer_from_config(cls, {{"pool_sise", 2}}),
                             doctest::Contains("unsupported or unknown keys 'pool_sise'"), ValueError);
}

TEST_CASE("Pooling layers: invalid arguments name the layer and the values") {
    CHECK_THROWS_WITH_AS(MaxPooling2D({.name = "mp0", .pool_size = {0, 2}}),
                         "MaxPooling2D 'mp0': pool_size must be >= 1, got (0, 2)", ValueError);
    CHECK_THROWS_WITH_AS(AveragePooling2D({.name = "ap0", .strides = Pair{2, -1}}),
                         "AveragePooling2D 'ap0': strides must be >= 1, got (2, -1)", ValueError);
    CHECK_THROWS_WITH_AS(AveragePooling2D({.name = "ap3"})(Tensor::zeros({2, 4, 4})),
                         doctest::Contains("AveragePooling2D 'ap3': expected an input of rank 4"), ShapeError);
}
