// Model configs written by serialize_model and read back by model_from_config: the config is the same and, with
// the weights copied, so are the predictions. Also every registered layer class's config round trip.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>
#include <map>

#include "serialization/config_helpers.hpp"

using namespace kiln;
using kiln::testing::check_round_trip;
using nlohmann::json;

namespace {

Tensor inputs(Shape shape, uint64_t seed) { return Tensor::random_normal(std::move(shape), 0.0f, 1.0f, seed); }

// Moves the BN statistics away from their initial values, so that a copy that missed them would differ.
void train_a_little(const Model& model, const Tensor& x) {
    for (int i = 0; i < 3; ++i) model(x, true);
}

}  // namespace

TEST_CASE("model config round trip: Sequential with Dense, BatchNormalization and Dropout") {
    Sequential model({layers::Input({4}), layers::Dense({.name = "rt_dense", .units = 8, .activation = "relu"}),
                      layers::BatchNormalization({.name = "rt_bn", .momentum = 0.5}),
                      layers::Dropout({.name = "rt_drop", .rate = 0.5}), layers::Dense({.name = "rt_out", .units = 3})},
                     "rt_sequential");
    const Tensor x = inputs({6, 4}, 1);
    train_a_little(model, x);
    Model again = check_round_trip(model, x);
    CHECK(again->class_name() == "Sequential");
    CHECK(again.layers().size() == 4);
}

TEST_CASE("model config round trip: the Keras 3 form of a Sequential model, written out by hand") {
    Sequential model({layers::Input({3}, {.name = "k3_in"}), layers::Dense({.name = "k3_dense", .units = 2})}, "k3_seq");
    const json expected = json::parse(R"({
      "module": "keras", "class_name": "Sequential", "registered_name": null,
      "config": {"name": "k3_seq", "trainable": true,
        "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
        "layers": [
          {"module": "keras.layers", "class_name": "InputLayer", "registered_name": null,
           "config": {"batch_shape": [null, 3], "dtype": "float32", "sparse": false, "name": "k3_in"}},
          {"module": "keras.layers", "class_name": "Dense", "registered_name": null,
           "config": {"name": "k3_dense", "trainable": true,
             "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
             "units": 2, "activation": "linear", "use_bias": true,
             "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null},
             "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
             "kernel_regularizer": null, "bias_regularizer": null, "kernel_constraint": null, "bias_constraint": null}}],
        "build_input_shape": [null, 3]},
      "build_config": {"input_shape": [null, 3]}})");
    CHECK(serialization::serialize_model(*model.layer()) == expected);
    CHECK(json::parse(model.to_json()) == expected);
    CHECK(model.get_config() == expected.at("config"));
}

TEST_CASE("model config round trip: a Sequential model built by a call gets an InputLayer, as Keras 3 writes it") {
    Sequential model({layers::Dense({.name = "called_dense", .units = 2})}, "called_seq");
    model(Tensor::zeros({1, 5}));
    const json config = model.get_config();
    REQUIRE(config.at("layers").size() == 2);
    CHECK(config.at("layers")[0].at("class_name") == "InputLayer");
    CHECK(config.at("layers")[0].at("config").at("batch_shape") == json::parse("[null, 5]"));
    CHECK(config.at("build_input_shape") == json::parse("[null, 5]"));
    check_round_trip(model, inputs({2, 5}, 2));
}

TEST_CASE("model config round trip: Functional with a residual Add, in the Keras 3 node form") {
    const SymbolicTensor in = layers::Input({4}, {.name = "res_in"});
    const SymbolicTensor h = layers::Dense({.name = "res_dense", .units = 4, .activation = "tanh"})(in);
    const SymbolicTensor sum = layers::Add({.name = "res_add"})({in, h});
    Model model(in, layers::Dense({.name = "res_out", .units = 2})(sum), "residual");
    const json config = serialization::serialize_model(*model.layer());
    CHECK(config.at("module") == "keras.src.models.functional");
    CHECK(config.at("registered_name") == "Functional");
    CHECK(config.at("build_config") == json::parse(R"({"input_shape": null})"));
    const json& layers = config.at("config").at("layers");
    REQUIRE(layers.size() == 4);
    CHECK(layers[0].at("name") == "res_in");
    CHECK(layers[0].at("inbound_nodes") == json::array());
    // The Add gets a list of two tensors as its one positional argument.
    CHECK(layers[2].at("inbound_nodes") == json::parse(R"([{"args": [[
        {"class_name": "__keras_tensor__", "config": {"shape": [null, 4], "dtype": "float32", "keras_history": ["res_in", 0, 0]}},
        {"class_name": "__keras_tensor__", "config": {"shape": [null, 4], "dtype": "float32", "keras_history": ["res_dense", 0, 0]}}]],
        "kwargs": {}}])"));
    CHECK(config.at("config").at("input_layers") == json::parse(R"(["res_in", 0, 0])"));
    CHECK(config.at("config").at("output_layers") == json::parse(R"(["res_out", 0, 0])"));
    check_round_trip(model, inputs({5, 4}, 3));
}

TEST_CASE("model config round trip: a shared layer and an explicit training argument") {
    const SymbolicTensor in = layers::Input({3}, {.name = "sh_in"});
    layers::Dense shared({.name = "sh_dense", .units = 3});
    layers::BatchNormalization bn({.name = "sh_bn"});
    const SymbolicTensor twice = shared(shared(in));
    Model model(in, bn(twice, /*training=*/false), "shared");
    const json config = model.get_config();
    const json& dense_nodes = config.at("layers")[1].at("inbound_nodes");
    REQUIRE(dense_nodes.size() == 2);
    CHECK(dense_nodes[1].at("args")[0].at("config").at("keras_history") == json::parse(R"(["sh_dense", 0, 0])"));
    CHECK(config.at("layers")[2].at("inbound_nodes")[0].at("kwargs") == json::parse(R"({"training": false})"));
    Model again = check_round_trip(model, inputs({4, 3}, 4));
    // The training=false node keeps the moving statistics even in a training call.
    const Tensor x = inputs({4, 3}, 5);
    CHECK(array_equal(again(x, true), again(x, false)));
}

TEST_CASE("model config round trip: a Sequential model nested in a Functional one") {
    Sequential inner({layers::Input({4}), layers::Dense({.name = "in_seq_dense", .units = 3})}, "inner_seq");
    const SymbolicTensor in = layers::Input({4}, {.name = "outer_in"});
    Model model(in, layers::Dense({.name = "outer_dense", .units = 2})(inner(in)), "outer_functional");
    const json config = model.get_config();
    CHECK(config.at("layers")[1].at("class_name") == "Sequential");
    CHECK(config.at("layers")[1].at("module") == "keras");
    Model again = check_round_trip(model, inputs({3, 4}, 6));
    CHECK(again.get_layer("inner_seq")->class_name() == "Sequential");
}

TEST_CASE("model config round trip: a Functional model nested in a Sequential one, and as a Functional output") {
    const SymbolicTensor base_in = layers::Input({5}, {.name = "base_in"});
    Model base(base_in, layers::Dense({.name = "base_dense", .units = 4})(base_in), "base");
    base.set_trainable(false);
    Sequential model({layers::Input({5}), base, layers::Dense({.name = "head", .units = 2})}, "with_base");
    Model again = check_round_trip(model, inputs({3, 5}, 7));
    CHECK(kiln::testing::param_counts(again) == kiln::testing::ParamCounts{5 * 4 + 4 + 4 * 2 + 2, 4 * 2 + 2, 5 * 4 + 4});

    // As the output of a Functional model, Keras 3 names the nested Functional's first call node 1.
    const SymbolicTensor in = layers::Input({5}, {.name = "wrap_in"});
    Model wrapper(in, base(in), "wrapper");
    const json config = wrapper.get_config();
    CHECK(config.at("output_layers") == json::parse(R"(["base", 1, 0])"));
    CHECK(config.at("layers")[1].at("inbound_nodes")[0].at("args")[0].at("config").at("keras_history") ==
          json::parse(R"(["wrap_in", 0, 0])"));
    check_round_trip(wrapper, inputs({2, 5}, 8));
}

TEST_CASE("model config round trip: BatchNormalization with renorm, and with channels_first axis 1") {
    Sequential renorm({layers::Input({3}),
                       layers::BatchNormalization({.name = "renorm_bn", .renorm = true,
                                                   .renorm_clipping = std::map<std::string, double>{{"rmax", 3.0}, {"rmin", 0.5}, {"dmax", 1.0}},
                                                   .renorm_momentum = 0.9})},
                      "renorm_model");
    const Tensor x = inputs({8, 3}, 9);
    train_a_little(renorm, x);
    Model again = check_round_trip(renorm, x);
    // gamma, beta, moving mean and variance, and the three renorm vectors.
    CHECK(again.weights().size() == 7);

    Sequential channels_first({layers::Input({2, 5, 5}),
                               layers::Conv2D({.name = "cf_conv", .filters = 3, .kernel_size = {3, 3},
                                               .data_format = "channels_first"}),
                               layers::BatchNormalization({.name = "cf_bn", .axis = int64_t{1}}),
                               layers::Flatten({.name = "cf_flat", .data_format = DataFormat::channels_first}),
                               layers::Dense({.name = "cf_out", .units = 2})},
                              "cf_model");
    const Tensor images = inputs({4, 2, 5, 5}, 10);
    train_a_little(channels_first, images);
    check_round_trip(channels_first, images);
    CHECK(channels_first.get_config().at("layers")[2].at("config").at("axis") == 1);
}

TEST_CASE("model config round trip: a compiled model writes its compile config, and compile_from_config reads it") {
    Sequential model({layers::Input({2}), layers::Dense({.name = "cc_dense", .units = 3})}, "compiled");
    model.compile({.optimizer = optim::Adam({.learning_rate = 0.01}),
                   .loss = "sparse_categorical_crossentropy",
                   .metrics = {"accuracy"}});
    const json config = serialization::serialize_model(*model.layer());
    const json& cc = config.at("compile_config");
    CHECK(cc.at("optimizer").at("class_name") == "Adam");
    CHECK(cc.at("optimizer").at("config").at("learning_rate") == 0.01);
    CHECK(cc.at("loss") == "sparse_categorical_crossentropy");
    CHECK(cc.at("metrics") == json::parse(R"(["accuracy"])"));
    for (const char* key : {"loss_weights", "weighted_metrics"}) CHECK(cc.at(key).is_null());
    CHECK(cc.at("run_eagerly") == false);
    CHECK(cc.at("steps_per_execution") == 1);
    CHECK(cc.at("jit_compile") == false);

    Model again = check_round_trip(model, inputs({3, 2}, 11));
    CHECK_FALSE(again.compiled());
    compile_from_config(again, cc);
    CHECK(serialization::serialize_model(*again.layer()) == config);
    CHECK(again.optimizer().get_config() == model.optimizer().get_config());

    // A loss and metric given as objects are written in their serialized forms.
    model.compile({.optimizer = "sgd",
                   .loss = losses::SparseCategoricalCrossentropy({.from_logits = true}),
                   .metrics = {metrics::MetricPtr(std::make_shared<metrics::SparseCategoricalAccuracy>("acc"))}});
    const json objects = serialization::compile_config(*model.layer());
    CHECK(objects.at("loss").at("class_name") == "SparseCategoricalCrossentropy");
    CHECK(objects.at("loss").at("config").at("from_logits") == true);
    CHECK(objects.at("metrics")[0].at("config").at("name") == "acc");
    compile_from_config(again, objects);
    CHECK(serialization::compile_config(*again.layer()) == objects);
    CHECK(again.loss().get_config() == model.loss().get_config());
}

TEST_CASE("model config round trip: compile_from_config with an empty dict leaves the model uncompiled") {
    Sequential model({layers::Input({2}), layers::Dense({.units = 1})});
    compile_from_config(model, json::object());
    CHECK_FALSE(model.compiled());
    CHECK_THROWS_AS(serialization::compile_config(*model.layer()), StateError);
}

TEST_CASE("model config round trip: every registered layer class, get_config -> from_config -> get_config") {
    const json functional = json::parse(R"({"name": "f", "trainable": true,
        "layers": [{"class_name": "InputLayer", "name": "f_in", "config": {"batch_shape": [null, 2], "name": "f_in"},
                    "inbound_nodes": []},
                   {"class_name": "Dense", "name": "f_dense", "config": {"name": "f_dense", "units": 3},
                    "inbound_nodes": [[["f_in", 0, 0, {}]]]}],
        "input_layers": [["f_in", 0, 0]], "output_layers": [["f_dense", 0, 0]]})");
    // A config for each class that needs arguments; the others are built from {"name": ...} alone.
    const std::map<std::string, json> configs = {
        {"Activation", {{"activation", "relu"}}},
        {"Conv2D", {{"filters", 2}, {"kernel_size", {3, 3}}, {"groups", 1}}},
        {"Dense", {{"units", 3}, {"kernel_regularizer", {{"class_name", "L1L2"}, {"config", {{"l1", 0.5}, {"l2", 0.25}}}}}}},
        {"Dropout", {{"rate", 0.25}, {"seed", 3}}},
        {"Functional", functional},
        {"InputLayer", {{"batch_shape", {nullptr, 3}}}},
        {"Model", functional},
        {"Normalization", {{"axis", {1}}, {"mean", {0.5, 2.0}}, {"variance", {0.25, 4.0}}, {"invert", true}}},
        {"RandomFlip", {{"mode", "vertical"}, {"seed", 5}}},
        {"RandomRotation", {{"factor", 0.2}, {"fill_mode", "constant"}}},
        {"RandomTranslation", {{"height_factor", 0.1}, {"width_factor", {-0.2, 0.3}}}},
        {"RandomZoom", {{"height_factor", 0.1}, {"interpolation", "nearest"}}},
        {"Rescaling", {{"scale", 0.5}, {"offset", 1.0}}},
        {"Reshape", {{"target_shape", {2, 2}}}},
        {"SpectralNormalization",
         {{"layer", {{"class_name", "Dense"}, {"config", {{"units", 2}}}}}, {"power_iterations", 3}}},
        {"Sequential", {{"layers", {{{"class_name", "Dense"}, {"config", {{"units", 2}, {"batch_input_shape", {nullptr, 4}}}}}}}}},
    };
    for (const std::string& class_name : serialization::registered_layers()) {
        CAPTURE(class_name);
        const auto given = configs.find(class_name);
        // Named in the config: other tests register custom classes whose factories require a name.
        json config = given == configs.end() ? json::object() : given->second;
        if (!config.contains("name")) config["name"] = "round_trip_" + class_name;
        LayerPtr layer = serialization::layer_from_config(class_name, config);
        const json first = serialization::serialize_layer(*layer).at("config");
        LayerPtr again = serialization::layer_from_config(class_name, first);
        CHECK(serialization::serialize_layer(*again).at("config") == first);
        CHECK(first.at("name") == config.at("name"));
    }
}
