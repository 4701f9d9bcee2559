// The legacy and writer-specific details of model configs: legacy initializer names and dtype keys, object
// markers, regularizer spellings, mixed-precision policies, input shapes on layers, node kwargs, and how nested
// model node indices are counted in each format.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>
#include <kiln/models/sequential.hpp>
#include <string>

#include "serialization/config_helpers.hpp"

using namespace kiln;
using kiln::testing::param_counts;
using kiln::testing::ParamCounts;

namespace {

// A Sequential config (legacy form) of one Dense of 3 units on 4 inputs, with `dense_keys` added to its config.
Model one_dense(const std::string& dense_keys) {
    std::string text = R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "Dense", "config": {"name": "d", "units": 3, "batch_input_shape": [null, 4])";
    if (!dense_keys.empty()) text += ", " + dense_keys;
    text += "}}]}}";
    return model_from_json(text);
}

Tensor kernel_of(const Model& model) { return model.layers().at(0)->weights().at(0).value(); }

}  // namespace

TEST_CASE("model config legacy: Keras 2.0-2.2 VarianceScaling for glorot_uniform draws the same kernel") {
    const Model legacy = one_dense(R"("kernel_initializer": {"class_name": "VarianceScaling",
        "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": 7}})");
    const Model current = one_dense(R"("kernel_initializer": {"module": "keras.initializers",
        "class_name": "GlorotUniform", "config": {"seed": 7}, "registered_name": null})");
    CHECK(array_equal(kernel_of(legacy), kernel_of(current)));
    // glorot_uniform's limit sqrt(6 / (4 + 3)).
    CHECK(max(abs(kernel_of(legacy))).item() <= std::sqrt(6.0f / 7.0f));
}

TEST_CASE("model config legacy: TF1 initializer dtype, passive-serialization and shared-object markers") {
    const Model model = one_dense(R"("kernel_initializer": {"class_name": "RandomNormal",
        "config": {"mean": 0.0, "stddev": 0.05, "seed": 1, "dtype": "float32"}, "__passive_serialization__": true},
        "bias_initializer": {"class_name": "Constant", "config": {"value": 0.5}, "shared_object_id": 140})");
    CHECK(array_equal(model.layers().at(0)->weights().at(1).value(), Tensor::full({3}, 0.5f)));
    CHECK_THROWS_WITH_AS(one_dense(R"("kernel_initializer": {"class_name": "Zeros", "config": {"dtype": "float64"}})"),
                         doctest::Contains("config.layers[0].config.kernel_initializer"), NotImplementedError);
}

TEST_CASE("model config legacy: regularizers in every spelling give the same penalty") {
    const Tensor w = Tensor::full({4, 3}, 0.5f);  // sum |w| = 6, sum w^2 = 3
    auto penalty = [&w](const std::string& regularizer) {
        const Model model = one_dense("\"kernel_regularizer\": " + regularizer);
        model.layers().at(0)->weights().at(0).assign(w);
        const auto losses = model.layer()->losses();
        REQUIRE(losses.size() == 1);
        return losses.at(0).item();
    };
    CHECK(penalty(R"({"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.009999999776482582}})") ==
          doctest::Approx(0.03));
    CHECK(penalty(R"({"class_name": "L2", "config": {"l2": 0.01}})") == doctest::Approx(0.03));
    CHECK(penalty(R"({"module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.01},
        "registered_name": null})") == doctest::Approx(0.03));
    CHECK(penalty(R"({"class_name": "l1_l2", "config": {"l1": 0.1, "l2": 0.01}})") == doctest::Approx(0.63));
    CHECK(penalty(R"({"class_name": "L1", "config": {"l1": 0.1}})") == doctest::Approx(0.6));
    CHECK(penalty(R"("l2")") == doctest::Approx(0.03));  // Keras's default factor 0.01
}

TEST_CASE("model config legacy: mixed-precision policies load and compute in float32") {
    for (const char* policy : {R"({"class_name": "Policy", "config": {"name": "mixed_float16"}})",
                               R"({"module": "keras", "class_name": "DTypePolicy", "config": {"name": "mixed_bfloat16"},
                                   "registered_name": null})",
                               R"("mixed_float16")"}) {
        CAPTURE(policy);
        const Model model = one_dense(std::string("\"dtype\": ") + policy);
        CHECK(model.get_config().at("layers")[1].at("config").at("dtype").at("config").at("name") == "float32");
    }
}

TEST_CASE("model config legacy: input_shape on a first layer and on an InputLayer") {
    const Model from_layer = model_from_json(R"({"class_name": "Sequential", "config": {"layers": [
        {"class_name": "Dense", "config": {"name": "first", "units": 2, "input_shape": [5]}}]}})");
    CHECK(*from_layer->known_input_shape() == Shape{-1, 5});
    const auto& seq = dynamic_cast<const SequentialLayer&>(*from_layer.layer());
    CHECK(seq.input_layer()->name() == "first_input");

    const Model from_input = model_from_json(R"({"class_name": "Sequential", "config": {"layers": [
        {"class_name": "InputLayer", "config": {"name": "x", "input_shape": [6]}},
        {"class_name": "Dense", "config": {"name": "second", "units": 2, "batch_input_shape": [null, 99]}}]}})");
    // The repeated batch_input_shape of the first real layer is dropped: the InputLayer gives the input.
    CHECK(*from_input->known_input_shape() == Shape{-1, 6});
    CHECK(param_counts(from_input) == ParamCounts{14, 14, 0});  // 6*2+2
}

TEST_CASE("model config legacy: a Sequential built from build_input_shape when no layer gives an input") {
    const Model model = model_from_json(R"({"class_name": "Sequential", "config": {"name": "deferred",
        "layers": [{"class_name": "Dense", "config": {"name": "late", "units": 2}}], "build_input_shape": [null, 3]}})");
    CHECK(param_counts(model) == ParamCounts{8, 8, 0});  // 3*2+2
}

TEST_CASE("model config legacy: a node's training kwarg is honoured") {
    const std::string text = R"({"class_name": "Model", "config": {"name": "m", "layers": [
        {"name": "in", "class_name": "InputLayer", "config": {"batch_input_shape": [null, 2], "name": "in"},
         "inbound_nodes": []},
        {"name": "bn", "class_name": "BatchNormalization", "config": {"name": "bn"},
         "inbound_nodes": [[["in", 0, 0, {"training": false}]]]}],
      "input_layers": [["in", 0, 0]], "output_layers": [["bn", 0, 0]]}})";
    const Model model = model_from_json(text);
    const Tensor x({1, 2, 3, 5}, Shape{2, 2});
    // Inference mode even in a training call: moving mean 0 and variance 1, so y = x / sqrt(1 + 0.001).
    CHECK(allclose(model(x, true), x / std::sqrt(1.001f), 1e-6f, 1e-6f));
}

TEST_CASE("model config legacy: a nested model called twice, its calls numbered from 1 in a legacy document") {
    const std::string inner = R"({"name": "inner", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 2], "name": "inner_in"}},
        {"class_name": "Dense", "config": {"name": "inner_dense", "units": 2}}]})";
    // Legacy: the nested model's first call is node 1 in nodes and in output_layers.
    const std::string legacy = R"({"class_name": "Model", "config": {"name": "outer", "layers": [
        {"name": "x", "class_name": "InputLayer", "config": {"batch_input_shape": [null, 2], "name": "x"},
         "inbound_nodes": []},
        {"name": "inner", "class_name": "Sequential", "config": )" + inner + R"(,
         "inbound_nodes": [[["x", 0, 0, {}]], [["inner", 1, 0, {}]]]}],
      "input_layers": [["x", 0, 0]], "output_layers": [["inner", 2, 0]]}})";
    const Model twice = model_from_json(legacy);
    const LayerPtr inner_dense = std::dynamic_pointer_cast<ModelLayer>(twice.get_layer("inner"))->get_layer("inner_dense");
    inner_dense->weights().at(0).assign(Tensor({2, 0, 0, 3}, Shape{2, 2}));
    const Tensor x({1, 1}, Shape{1, 2});
    CHECK(array_equal(twice.predict(x), Tensor({4, 9}, Shape{1, 2})));  // applied twice: [2, 3] then [4, 9]

    // Node 0 of a nested model is its own graph in a legacy document: not a call.
    std::string bad = legacy;
    bad.replace(bad.find(R"([["inner", 1, 0, {}]])"), 21, R"([["inner", 0, 0, {}]])");
    CHECK_THROWS_WITH_AS(model_from_json(bad), doctest::Contains("calls of a nested model start at 1"), ValueError);
}

TEST_CASE("model config legacy: a legacy Functional whose output is a nested Sequential") {
    const Model model = model_from_json(R"({"class_name": "Model", "config": {"name": "outer", "layers": [
        {"name": "x", "class_name": "InputLayer", "config": {"batch_input_shape": [null, 3], "name": "x"},
         "inbound_nodes": []},
        {"name": "seq", "class_name": "Sequential", "config": [
            {"class_name": "Dense", "config": {"name": "sd", "units": 2, "batch_input_shape": [null, 3]}}],
         "inbound_nodes": [[["x", 0, 0, {}]]]}],
      "input_layers": [["x", 0, 0]], "output_layers": [["seq", 1, 0]]}})");
    CHECK(param_counts(model) == ParamCounts{8, 8, 0});
}

TEST_CASE("model config legacy: input_layers as a dict") {
    const Model model = model_from_json(R"({"class_name": "Functional", "config": {"name": "d", "layers": [
        {"name": "x", "class_name": "InputLayer", "config": {"batch_shape": [null, 3], "name": "x"},
         "inbound_nodes": []},
        {"name": "h", "class_name": "Dense", "config": {"name": "h", "units": 1},
         "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__",
           "config": {"shape": [null, 3], "dtype": "float32", "keras_history": ["x", 0, 0]}}], "kwargs": {}}]}],
      "input_layers": {"features": ["x", 0, 0]}, "output_layers": ["h", 0, 0]}})");
    CHECK(param_counts(model) == ParamCounts{4, 4, 0});
}

TEST_CASE("model config legacy: deserialize_layer reads nested models through the registry") {
    Sequential model({layers::Input({2}), layers::Dense({.name = "reg_dense", .units = 2})}, "reg_model");
    LayerPtr again = serialization::deserialize_layer(serialization::serialize_layer(*model.layer()));
    CHECK(again->class_name() == "Sequential");
    CHECK(again->count_params() == 6);
}
