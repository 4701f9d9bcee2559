// Flatten, Reshape and ZeroPadding2D: values worked out by hand in each data format, output shapes, gradients,
// configs against Keras 3's JSON, and argument errors.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include "support/gradcheck.hpp"

using namespace kiln;
using layers::Flatten;
using layers::FlattenLayer;
using layers::Padding2D;
using layers::Reshape;
using layers::ReshapeLayer;
using layers::ZeroPadding2D;
using layers::ZeroPadding2DLayer;

namespace {

// The layer rebuilt through the registry from its Keras 3 object form has the same config.
void check_round_trip(const Layer& layer) {
    const nlohmann::json config = layer.get_config();
    CHECK(serialization::deserialize_layer(serialization::serialize_layer(layer))->get_config() == config);
}

}  // namespace

TEST_CASE("Flatten: channels_last keeps row-major order, channels_first flattens in channels-last order") {
    const Tensor nhwc = Tensor::arange(12).reshape({1, 2, 3, 2});
    const Tensor flat = Flatten()(nhwc);
    CHECK(flat.shape() == Shape{1, 12});
    CHECK(flat.to_vector() == Tensor::arange(12).to_vector());

    // x[0, c, h, w] = 6c + 3h + w, read in (h, w, c) order.
    const Tensor nchw = Tensor::arange(12).reshape({1, 2, 2, 3});
    const Tensor y = Flatten({.data_format = DataFormat::channels_first})(nchw);
    CHECK(y.shape() == Shape{1, 12});
    CHECK(y.to_vector() == std::vector<float>{0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11});

    // Rank 1 gains a feature axis; rank 2 is unchanged in both formats.
    CHECK(Flatten()(Tensor{1, 2, 3}).shape() == Shape{3, 1});
    const Tensor m({1, 2, 3, 4, 5, 6}, {2, 3});
    CHECK(array_equal(Flatten({.data_format = DataFormat::channels_first})(m), m));
    CHECK(Flatten()->compute_output_shape({5, 2, 3, 4}) == Shape{5, 24});
}

TEST_CASE("Reshape: target shapes, the inferred -1, and mismatches") {
    const Tensor x = Tensor::arange(12).reshape({2, 6});
    const Tensor y = Reshape({.target_shape = {3, 2}})(x);
    CHECK(y.shape() == Shape{2, 3, 2});
    CHECK(y.at({1, 2, 1}) == 11.0f);
    CHECK(y.at({0, 1, 0}) == 2.0f);
    CHECK(Reshape({.target_shape = {-1, 2}})(x).shape() == Shape{2, 3, 2});
    CHECK(Reshape({.target_shape = {2, -1, 1}})->compute_output_shape({7, 4, 3}) == Shape{7, 2, 6, 1});

    Reshape four({.name = "reshape_four", .target_shape = {3, 4}});
    CHECK_THROWS_WITH_AS(four(Tensor::zeros({2, 5})),
                         "Reshape 'reshape_four': cannot reshape an input of shape [2,5] (5 values per sample) to "
                         "target_shape [3,4]",
                         ShapeError);
    CHECK_THROWS_AS(Reshape({.target_shape = {-1, 4}})->compute_output_shape({2, 6}), ShapeError);
}

TEST_CASE("ZeroPadding2D: values for asymmetric padding in both formats, and the three padding forms") {
    const Padding2D pad{{{1, 0}, {0, 2}}};
    // 2x2 image [[1, 2], [3, 4]] -> a zero row on top and two zero columns on the right.
    const std::vector<float> expected{0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0};
    const Tensor nhwc = ZeroPadding2D({.padding = pad})(Tensor({1, 2, 3, 4}, {1, 2, 2, 1}));
    CHECK(nhwc.shape() == Shape{1, 3, 4, 1});
    CHECK(nhwc.to_vector() == expected);
    const Tensor nchw =
        ZeroPadding2D({.padding = pad, .data_format = DataFormat::channels_first})(Tensor({1, 2, 3, 4}, {1, 1, 2, 2}));
    CHECK(nchw.shape() == Shape{1, 1, 3, 4});
    CHECK(nchw.to_vector() == expected);

    // Two channels in NHWC: each channel padded on its own.
    const Tensor two = ZeroPadding2D({.padding = int64_t{1}})(Tensor({1, -1}, {1, 1, 1, 2}));
    CHECK(two.shape() == Shape{1, 3, 3, 2});
    CHECK(two.at({0, 1, 1, 0}) == 1.0f);
    CHECK(two.at({0, 1, 1, 1}) == -1.0f);
    CHECK(sum(abs(two)).item() == 2.0f);

    CHECK(ZeroPadding2D()->padding() == Padding2D{{{1, 1}, {1, 1}}});
    CHECK(ZeroPadding2D({.padding = int64_t{3}})->padding() == Padding2D{{{3, 3}, {3, 3}}});
    ZeroPadding2D pair({.padding = std::array<int64_t, 2>{1, 2}});
    CHECK(pair->padding() == Padding2D{{{1, 1}, {2, 2}}});
    CHECK(pair->compute_output_shape({2, 5, 5, 3}) == Shape{2, 7, 9, 3});
    ZeroPadding2D first({.padding = pad, .data_format = DataFormat::channels_first});
    CHECK(first->compute_output_shape({2, 3, 5, 5}) == Shape{2, 3, 6, 7});
}

TEST_CASE("Reshaping layers: finite-difference gradients") {
    auto through = [](auto layer) { return [layer](const std::vector<Tensor>& v) { return layer(v[0]); }; };
    const Tensor x = kiln::testing::random_input({2, 3, 2, 2}, 1);
    kiln::testing::check_gradients("flatten last", through(Flatten()), {x});
    kiln::testing::check_gradients("flatten first", through(Flatten({.data_format = DataFormat::channels_first})), {x});
    kiln::testing::check_gradients("reshape", through(Reshape({.target_shape = {-1, 3}})), {x});
    const Padding2D pad{{{2, 1}, {0, 1}}};
    kiln::testing::check_gradients("zero_padding2d last", through(ZeroPadding2D({.padding = pad})), {x});
    kiln::testing::check_gradients(
        "zero_padding2d first",
        through(ZeroPadding2D({.padding = pad, .data_format = DataFormat::channels_first})), {x});
}

TEST_CASE("Reshaping layers: default configs are Keras 3's") {
    const std::string dtype =
        R"("dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
            "registered_name": null})";
    CHECK(Flatten({.name = "flatten_cfg"})->get_config() ==
          nlohmann::json::parse(R"({"name": "flatten_cfg", "trainable": true, )" + dtype +
                                R"(, "data_format": "channels_last"})"));
    CHECK(Reshape({.name = "reshape_cfg", .target_shape = {3, 4}})->get_config() ==
          nlohmann::json::parse(R"({"name": "reshape_cfg", "trainable": true, )" + dtype +
                                R"(, "target_shape": [3, 4]})"));
    CHECK(ZeroPadding2D({.name = "zero_padding2d_cfg"})->get_config() ==
          nlohmann::json::parse(R"({"name": "zero_padding2d_cfg", "trainable": true, )" + dtype +
                                R"(, "padding": [[1, 1], [1, 1]], "data_format": "channels_last"})"));
}

TEST_CASE("Reshaping layers: from_config round trips and reads Keras's padding forms") {
    check_round_trip(*Flatten({.data_format = DataFormat::channels_first}).ptr());
    check_round_trip(*Reshape({.target_shape = {2, -1, 3}}).ptr());
    check_round_trip(*ZeroPadding2D({.padding = Padding2D{{{0, 1}, {2, 3}}},
                                     .data_format = DataFormat::channels_first}).ptr());

    CHECK(ZeroPadding2DLayer::from_config({{"padding", 2}})->padding() == Padding2D{{{2, 2}, {2, 2}}});
    CHECK(ZeroPadding2DLayer::from_config(nlohmann::json::parse(R"({"padding": [1, [2, 3]]})"))->padding() ==
          Padding2D{{{1, 1}, {2, 3}}});
    CHECK_THROWS_WITH_AS(ZeroPadding2DLayer::from_config(nlohmann::json::parse(R"({"padding": [1, 2, 3]})")),
                         doctest::Contains("ZeroPadding2D config key 'padding': expected an int, a pair"), ValueError);
    CHECK_THROWS_WITH_AS(FlattenLayer::from_config({{"data_format", "channels_middle"}}),
                         doctest::Contains("data_format must be 'channels_last' or 'channels_first'"), ValueError);
    CHECK_THROWS_AS(ReshapeLayer::from_config(nlohmann::json::object()), ValueError);

    for (const char* cls : {"Flatten", "Reshape", "ZeroPadding2D"}) {
        nlohmann::json config = {{"target_shape", {2, 2}}, {"colour", "red"}};
        CHECK_THROWS_WITH_AS(serialization::layer_from_config(cls, config),
                             doctest::Contains("unsupported or unknown keys 'colour'"), ValueError);
    }
}

TEST_CASE("Reshaping layers: invalid arguments name the layer and the values") {
    CHECK_THROWS_WITH_AS(ZeroPadding2D({.name = "zp", .padding = Padding2D{{{1, 1}, {-1, 2}}}}),
                         "ZeroPadding2D 'zp': padding must be >= 0, got ((1, 1), (-1, 2))", ValueError);
    CHECK_THROWS_WITH_AS(ZeroPadding2D({.name = "zp2", .padding = int64_t{-3}}),
                         "ZeroPadding2D 'zp2': padding must be >= 0, got ((-3, -3), (-3, -3))", ValueError);
    CHECK_THROWS_WITH_AS(Reshape({.name = "r2", .target_shape = {-1, 2, -1}}),
                         "Reshape 'r2': target_shape must hold sizes >= 1 and at most one -1, got [-1,2,-1]",
                         ValueError);
    CHECK_THROWS_WITH_AS(Reshape({.name = "r0", .target_shape = {0, 3}}),
                         "Reshape 'r0': target_shape must hold sizes >= 1 and at most one -1, got [0,3]", ValueError);
    CHECK_THROWS_WITH_AS(ZeroPadding2D({.name = "zp3"})(Tensor::zeros({2, 3, 3})),
                         doctest::Contains("ZeroPadding2D 'zp3': expected an input of rank 4"), ShapeError);
}
