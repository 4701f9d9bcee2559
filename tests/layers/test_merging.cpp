// Add and Concatenate: values worked out by hand, Keras 3's broadcasting rules for Add, output shapes,
// gradients with respect to every input, configs against Keras 3's JSON, and shape errors.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include "support/gradcheck.hpp"

using namespace kiln;
using layers::Add;
using layers::AddLayer;
using layers::Concatenate;
using layers::ConcatenateLayer;

namespace {

const char* const kDtype =
    R"("dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
                 "registered_name": null})";

}  // namespace

TEST_CASE("Add: sums two or more inputs of one shape") {
    const Tensor a({1, 2, 3, 4}, {2, 2});
    const Tensor b({10, 20, 30, 40}, {2, 2});
    const Tensor c({100, 200, 300, 400}, {2, 2});
    CHECK(Add()({a, b}).to_vector() == std::vector<float>{11, 22, 33, 44});
    const Tensor y = Add()({a, b, c});
    CHECK(y.shape() == Shape{2, 2});
    CHECK(y.to_vector() == std::vector<float>{111, 222, 333, 444});
    CHECK(Add()->compute_output_shape_multi({{4, 3}, {4, 3}, {4, 3}}) == Shape{4, 3});
}

TEST_CASE("Add: size-1 axes broadcast, and lower-rank inputs gain axes after the batch axis") {
    const Tensor a({1, 2, 3, 4, 5, 6}, {2, 3});
    const Tensor column({10, 20}, {2, 1});
    CHECK(Add()({a, column}).to_vector() == std::vector<float>{11, 12, 13, 24, 25, 26});

    // [2, 2, 3] + [2, 3]: the second input acts as [2, 1, 3], shared by both rows of each sample.
    const Tensor x = Tensor::arange(12).reshape({2, 2, 3});
    const Tensor z = Add()({x, a});
    CHECK(z.shape() == Shape{2, 2, 3});
    CHECK(z.to_vector() == std::vector<float>{1, 3, 5, 4, 6, 8, 10, 12, 14, 13, 15, 17});
    CHECK(Add()->compute_output_shape_multi({{5, 1, 3}, {5, 4, 1}}) == Shape{5, 4, 3});
    CHECK(Add()->compute_output_shape_multi({{5, 4, 3}, {5, 3}, {5, 1}}) == Shape{5, 4, 3});
}

TEST_CASE("Add: shape errors name the layer and the shapes") {
    Add add({.name = "add_err"});
    // A one-element braced list would pick the single-tensor overload, so the list is spelled out.
    CHECK_THROWS_WITH_AS(add(std::vector<Tensor>{Tensor::ones({2, 3})}),
                         "Add 'add_err': expects a list of at least 2 inputs, got 1", ValueError);
    CHECK_THROWS_WITH_AS(add({Tensor::ones({2, 3}), Tensor::ones({3, 3})}),
                         "Add 'add_err': cannot add inputs with different batch sizes, got shapes [2,3], [3,3]",
                         ShapeError);
    CHECK_THROWS_WITH_AS(add({Tensor::ones({2, 3}), Tensor::ones({2, 4})}),
                         "Add 'add_err': inputs have incompatible shapes [2,3], [2,4] (axis sizes must be equal or 1)",
                         ShapeError);
    CHECK_THROWS_AS(add(Tensor::ones({2, 3})), NotImplementedError);  // a single tensor, not a list
}

TEST_CASE("Concatenate: joins along the last axis by default, or any given axis") {
    const Tensor a({1, 2, 3, 4}, {2, 2});
    const Tensor b({5, 6}, {2, 1});
    const Tensor y = Concatenate()({a, b});
    CHECK(y.shape() == Shape{2, 3});
    CHECK(y.to_vector() == std::vector<float>{1, 2, 5, 3, 4, 6});

    const Tensor x = Tensor::arange(8).reshape({2, 2, 2});
    const Tensor w = Tensor::full({2, 1, 2}, -1.0f);
    const Tensor joined = Concatenate({.axis = 1})({x, w});
    CHECK(joined.shape() == Shape{2, 3, 2});
    CHECK(joined.to_vector() == std::vector<float>{0, 1, 2, 3, -1, -1, 4, 5, 6, 7, -1, -1});
    CHECK(Concatenate({.axis = 0})({a, a}).shape() == Shape{4, 2});
    CHECK(Concatenate({.axis = -2})->compute_output_shape_multi({{4, 2, 5}, {4, 3, 5}, {4, 1, 5}}) ==
          Shape{4, 6, 5});
    CHECK(array_equal(Concatenate()(std::vector<Tensor>{a}), a));
}

TEST_CASE("Concatenate: shape errors name the layer, the axis and the shapes") {
    Concatenate concat({.name = "cat_err"});
    CHECK_THROWS_WITH_AS(concat({Tensor::ones({2, 3}), Tensor::ones({3, 3})}),
                         "Concatenate 'cat_err': inputs must have equal sizes on every axis except the concatenation "
                         "axis -1, got shapes [2,3], [3,3]",
                         ShapeError);
    CHECK_THROWS_WITH_AS(concat({Tensor::ones({2, 3}), Tensor::ones({2, 3, 1})}),
                         "Concatenate 'cat_err': inputs must have equal ranks, got shapes [2,3], [2,3,1]", ShapeError);
    CHECK_THROWS_WITH_AS(Concatenate({.name = "cat_axis", .axis = 2})({Tensor::ones({2, 3}), Tensor::ones({2, 3})}),
                         "Concatenate 'cat_axis': axis 2 is out of range for inputs of rank 2", ValueError);
    CHECK_THROWS_WITH_AS(concat(std::vector<Tensor>{}),
                         "Concatenate 'cat_err': expects a list of at least 1 input, got none", ValueError);
}

TEST_CASE("Add and Concatenate: finite-difference gradients with respect to every input") {
    const Tensor a = kiln::testing::random_input({2, 3, 4}, 1);
    const Tensor b = kiln::testing::random_input({2, 1, 4}, 2);
    const Tensor c = kiln::testing::random_input({2, 4}, 3);
    kiln::testing::check_gradients("add", [](const std::vector<Tensor>& v) { return Add()(v); }, {a, b, c});
    const Tensor d = kiln::testing::random_input({2, 3, 2}, 4);
    kiln::testing::check_gradients(
        "concatenate", [](const std::vector<Tensor>& v) { return Concatenate()(v); }, {a, d});
    kiln::testing::check_gradients(
        "concatenate axis 1", [](const std::vector<Tensor>& v) { return Concatenate({.axis = 1})(v); }, {a, b});
}

TEST_CASE("Add and Concatenate: configs are Keras 3's, round trip and reject unknown keys") {
    CHECK(Add({.name = "add_cfg"})->get_config() ==
          nlohmann::json::parse(std::string(R"({"name": "add_cfg", "trainable": true, )") + kDtype + "}"));
    CHECK(Concatenate({.name = "cat_cfg"})->get_config() ==
          nlohmann::json::parse(std::string(R"({"name": "cat_cfg", "trainable": true, )") + kDtype +
                                R"(, "axis": -1})"));
    const std::vector<LayerPtr> merges{Add({.trainable = false}), Concatenate({.axis = 2})};
    for (const LayerPtr& layer : merges) {
        const nlohmann::json config = layer->get_config();
        CHECK(serialization::deserialize_layer(serialization::serialize_layer(*layer))->get_config() == config);
    }
    CHECK_THROWS_WITH_AS(AddLayer::from_config({{"axis", 1}}), doctest::Contains("unsupported or unknown keys 'axis'"),
                         ValueError);
    CHECK_THROWS_WITH_AS(ConcatenateLayer::from_config({{"axes", 1}}),
                         doctest::Contains("unsupported or unknown keys 'axes'"), ValueError);
    CHECK_THROWS_WITH_AS(ConcatenateLayer::from_config({{"axis", "last"}}),
                         doctest::Contains("Concatenate config key 'axis': expected an integer"), ValueError);
}
