// Hand-written configs in the forms Keras 2.0, Keras 2.2, tf.keras 2.x, tf.keras 2.13, Keras 3 and tf.js write
// (shared/docs/keras_json_schema.md), each loaded and checked by its layers and by parameter counts computed by
// hand: Dense in*units + units; Conv2D kh*kw*cin*filters (+ filters); BatchNormalization 4C, of which 2C (gamma,
// beta) are trainable.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>
#include <kiln/models/sequential.hpp>
#include <string>

#include "models/model_helpers.hpp"
#include "serialization/config_helpers.hpp"

using namespace kiln;
using kiln::testing::names_of;
using kiln::testing::param_counts;
using kiln::testing::ParamCounts;

namespace {

// Keras 2.0: a bare list of layers, the first with batch_input_shape; VarianceScaling stands for glorot_uniform,
// and l2(0.01) is an L1L2 with float32 noise.
const char* const kKeras20BareList = R"({"class_name": "Sequential", "keras_version": "2.0.8", "backend": "tensorflow",
  "config": [
    {"class_name": "Dense", "config": {"name": "dense_1", "trainable": true, "batch_input_shape": [null, 8],
      "dtype": "float32", "units": 16, "activation": "relu", "use_bias": true,
      "kernel_initializer": {"class_name": "VarianceScaling",
                             "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": null}},
      "bias_initializer": {"class_name": "Zeros", "config": {}},
      "kernel_regularizer": {"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.009999999776482582}},
      "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}},
    {"class_name": "Dropout", "config": {"name": "dropout_1", "trainable": true, "rate": 0.20000000298023224}},
    {"class_name": "Dense", "config": {"name": "dense_2", "trainable": true, "units": 3, "activation": "softmax",
      "use_bias": true, "kernel_initializer": {"class_name": "VarianceScaling",
                             "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": null}},
      "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null,
      "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}}]})";

// Keras 2.2: a dict without InputLayer; hidden layers have no dtype, Conv2D no groups, Flatten no data_format.
const char* const kKeras22Dict = R"({"class_name": "Sequential", "keras_version": "2.2.4", "backend": "tensorflow",
  "config": {"name": "sequential_1", "layers": [
    {"class_name": "Conv2D", "config": {"name": "conv2d_1", "trainable": true, "batch_input_shape": [null, 28, 28, 1],
      "dtype": "float32", "filters": 8, "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid",
      "data_format": "channels_last", "dilation_rate": [1, 1], "activation": "linear", "use_bias": false,
      "kernel_initializer": {"class_name": "VarianceScaling",
                             "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": null}},
      "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null, "bias_regularizer": null,
      "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}},
    {"class_name": "BatchNormalization", "config": {"name": "batch_normalization_1", "trainable": true, "axis": -1,
      "momentum": 0.8, "epsilon": 0.001, "center": true, "scale": true,
      "beta_initializer": {"class_name": "Zeros", "config": {}}, "gamma_initializer": {"class_name": "Ones", "config": {}},
      "moving_mean_initializer": {"class_name": "Zeros", "config": {}},
      "moving_variance_initializer": {"class_name": "Ones", "config": {}},
      "beta_regularizer": null, "gamma_regularizer": null, "beta_constraint": null, "gamma_constraint": null}},
    {"class_name": "Activation", "config": {"name": "activation_1", "trainable": true, "activation": "relu"}},
    {"class_name": "MaxPooling2D", "config": {"name": "max_pooling2d_1", "trainable": true, "pool_size": [2, 2],
      "padding": "valid", "strides": [2, 2], "data_format": "channels_last"}},
    {"class_name": "Flatten", "config": {"name": "flatten_1", "trainable": true}},
    {"class_name": "Dense", "config": {"name": "dense_1", "trainable": true, "units": 10, "activation": "softmax",
      "use_bias": true}}]}})";

// tf.keras 2.x: an InputLayer first, batch_input_shape repeated on the first layer, BN axis [3] and frozen,
// the newer L2 regularizer class.
const char* const kTfKerasInputLayer = R"({"class_name": "Sequential", "keras_version": "2.4.0", "backend": "tensorflow",
  "config": {"name": "sequential", "layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 8, 8, 3], "dtype": "float32",
      "sparse": false, "ragged": false, "name": "conv2d_input"}},
    {"class_name": "Conv2D", "config": {"name": "conv2d", "trainable": true, "batch_input_shape": [null, 8, 8, 3],
      "dtype": "float32", "filters": 4, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same",
      "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": "relu", "use_bias": true,
      "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}},
      "bias_initializer": {"class_name": "Zeros", "config": {}},
      "kernel_regularizer": {"class_name": "L2", "config": {"l2": 9.999999747378752e-05}},
      "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}},
    {"class_name": "BatchNormalization", "config": {"name": "batch_normalization", "trainable": false,
      "dtype": "float32", "axis": [3], "momentum": 0.99, "epsilon": 0.001, "center": true, "scale": true,
      "beta_initializer": {"class_name": "Zeros", "config": {}}, "gamma_initializer": {"class_name": "Ones", "config": {}},
      "moving_mean_initializer": {"class_name": "Zeros", "config": {}},
      "moving_variance_initializer": {"class_name": "Ones", "config": {}},
      "beta_regularizer": null, "gamma_regularizer": null, "beta_constraint": null, "gamma_constraint": null}},
    {"class_name": "GlobalAveragePooling2D", "config": {"name": "global_average_pooling2d", "trainable": true,
      "dtype": "float32", "data_format": "channels_last", "keepdims": false}},
    {"class_name": "Dense", "config": {"name": "dense", "trainable": true, "dtype": "float32", "units": 2,
      "activation": "softmax", "use_bias": true, "kernel_initializer": {"class_name": "GlorotUniform",
      "config": {"seed": null}}, "bias_initializer": {"class_name": "Zeros", "config": {}},
      "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
      "kernel_constraint": null, "bias_constraint": null}}]}})";

// tf.keras 2.13: the envelope is legacy, every layer is in the new form with module and build_config.
const char* const kTfKeras213Mixed = R"({"class_name": "Sequential", "keras_version": "2.13.1", "backend": "tensorflow",
  "config": {"name": "sequential", "layers": [
    {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_input_shape": [null, 4],
      "dtype": "float32", "sparse": false, "ragged": false, "name": "dense_input"}, "registered_name": null},
    {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "trainable": true,
      "dtype": "float32", "batch_input_shape": [null, 4], "units": 5, "activation": "relu", "use_bias": true,
      "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
                             "config": {"seed": null}, "registered_name": null},
      "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {},
                           "registered_name": null},
      "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
      "kernel_constraint": null, "bias_constraint": null},
     "registered_name": null, "build_config": {"input_shape": [null, 4]}},
    {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense_1", "trainable": true,
      "dtype": "float32", "units": 1, "activation": "sigmoid"},
     "registered_name": null, "build_config": {"input_shape": [null, 5]}}]}})";

// Keras 3 (>= 3.4): DTypePolicy dicts, InputLayer with optional/ragged, build and compile configs.
const char* const kKeras3Sequential = R"({"module": "keras", "class_name": "Sequential", "registered_name": null,
  "config": {"name": "sequential", "trainable": true,
    "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
    "layers": [
      {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 6],
        "dtype": "float32", "sparse": false, "ragged": false, "name": "input_layer", "optional": false},
       "registered_name": null},
      {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "trainable": true,
        "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
        "units": 4, "activation": "relu", "use_bias": true,
        "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null},
                               "registered_name": null},
        "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
        "kernel_regularizer": null, "bias_regularizer": null, "kernel_constraint": null, "bias_constraint": null,
        "quantization_config": null},
       "registered_name": null, "build_config": {"input_shape": [null, 6]}},
      {"module": "keras.layers", "class_name": "BatchNormalization", "config": {"name": "batch_normalization",
        "trainable": true,
        "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
        "axis": -1, "momentum": 0.99, "epsilon": 0.001, "center": true, "scale": true,
        "beta_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
        "gamma_initializer": {"module": "keras.initializers", "class_name": "Ones", "config": {}, "registered_name": null},
        "moving_mean_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {},
                                    "registered_name": null},
        "moving_variance_initializer": {"module": "keras.initializers", "class_name": "Ones", "config": {},
                                        "registered_name": null},
        "beta_regularizer": null, "gamma_regularizer": null, "beta_constraint": null, "gamma_constraint": null,
        "synchronized": false, "renorm": false, "renorm_clipping": null, "renorm_momentum": 0.99},
       "registered_name": null, "build_config": {"input_shape": [null, 4]}},
      {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense_1", "trainable": true,
        "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
        "units": 2, "activation": "linear"},
       "registered_name": null, "build_config": {"input_shape": [null, 4]}}],
    "build_input_shape": [null, 6]},
  "build_config": {"input_shape": [null, 6]},
  "compile_config": {"optimizer": {"module": "keras.optimizers", "class_name": "Adam", "config": {"name": "adam",
      "learning_rate": 0.0010000000474974513, "weight_decay": null, "clipnorm": null, "global_clipnorm": null,
      "clipvalue": null, "use_ema": false, "ema_momentum": 0.99, "ema_overwrite_frequency": null,
      "loss_scale_factor": null, "gradient_accumulation_steps": null, "beta_1": 0.9, "beta_2": 0.999,
      "epsilon": 1e-07, "amsgrad": false}, "registered_name": null},
    "loss": "mse", "loss_weights": null, "metrics": ["mae"], "weighted_metrics": null, "run_eagerly": false,
    "steps_per_execution": 1, "jit_compile": true}})";

// A Keras 3 tensor reference in an inbound node.
std::string kt(const std::string& layer, int node, const std::string& shape) {
    return "{\"class_name\": \"__keras_tensor__\", \"config\": {\"shape\": " + shape +
           ", \"dtype\": \"float32\", \"keras_history\": [\"" + layer + "\", " + std::to_string(node) + ", 0]}}";
}

// Keras 3 Functional with a residual Add; the entries are deliberately out of order (the reader must not care).
std::string keras3_functional() {
    const std::string policy =
        R"({"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null})";
    std::string text = R"({"module": "keras.src.models.functional", "class_name": "Functional",
      "registered_name": "Functional", "build_config": {"input_shape": null}, "config": {"name": "functional",
      "trainable": true, "layers": [
        {"module": "keras.layers", "class_name": "Dense", "name": "dense_1", "registered_name": null,
         "config": {"name": "dense_1", "trainable": true, "dtype": )";
    text += policy;
    text += R"(, "units": 3}, "build_config": {"input_shape": [null, 4]},
         "inbound_nodes": [{"args": [)";
    text += kt("add", 0, "[null, 4]");
    text += R"(], "kwargs": {}}]},
        {"module": "keras.layers", "class_name": "Add", "name": "add", "registered_name": null,
         "config": {"name": "add", "trainable": true, "dtype": )";
    text += policy;
    text += R"(}, "inbound_nodes": [{"args": [[)";
    text += kt("input_layer", 0, "[null, 4]") + ", " + kt("batch_normalization", 0, "[null, 4]");
    text += R"(]], "kwargs": {}}]},
        {"module": "keras.layers", "class_name": "InputLayer", "name": "input_layer", "registered_name": null,
         "config": {"batch_shape": [null, 4], "dtype": "float32", "sparse": false, "name": "input_layer"},
         "inbound_nodes": []},
        {"module": "keras.layers", "class_name": "BatchNormalization", "name": "batch_normalization",
         "registered_name": null, "config": {"name": "batch_normalization", "trainable": true, "dtype": )";
    text += policy;
    text += R"(, "axis": -1}, "inbound_nodes": [{"args": [)";
    text += kt("dense", 0, "[null, 4]");
    text += R"(], "kwargs": {"mask": null}}]},
        {"module": "keras.layers", "class_name": "Dense", "name": "dense", "registered_name": null,
         "config": {"name": "dense", "trainable": true, "dtype": )";
    text += policy;
    text += R"(, "units": 4}, "inbound_nodes": [{"args": [)";
    text += kt("input_layer", 0, "[null, 4]");
    text += R"(], "kwargs": {}}]}],
      "input_layers": ["input_layer", 0, 0], "output_layers": ["dense_1", 0, 0]}})";
    return text;
}

// Keras 2.2 Functional ("Model") with 4-element nodes and a nested Sequential referenced at node index 1.
const char* const kLegacyFunctionalNested = R"({"class_name": "Model", "keras_version": "2.2.4", "backend": "tensorflow",
  "config": {"name": "model_1", "layers": [
    {"name": "input_1", "class_name": "InputLayer", "config": {"batch_input_shape": [null, 10], "dtype": "float32",
      "sparse": false, "name": "input_1"}, "inbound_nodes": []},
    {"name": "sequential_1", "class_name": "Sequential", "config": {"name": "sequential_1", "layers": [
        {"class_name": "Dense", "config": {"name": "dense_1", "trainable": true, "batch_input_shape": [null, 10],
          "dtype": "float32", "units": 6, "activation": "relu"}},
        {"class_name": "BatchNormalization", "config": {"name": "bn_1", "trainable": true, "axis": -1}}]},
     "inbound_nodes": [[["input_1", 0, 0, {}]]]},
    {"name": "dense_2", "class_name": "Dense", "config": {"name": "dense_2", "trainable": false, "units": 1,
      "activation": "linear"}, "inbound_nodes": [[["sequential_1", 1, 0, {}]]]}],
  "input_layers": [["input_1", 0, 0]], "output_layers": [["dense_2", 0, 0]]}})";

// A channels_first CNN as tf.keras writes it: Conv2D channels_first, BN axis [1], Flatten channels_first.
const char* const kChannelsFirst = R"({"class_name": "Sequential", "config": {"name": "cf", "layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 3, 16, 16], "dtype": "float32",
      "sparse": false, "ragged": false, "name": "conv2d_input"}},
    {"class_name": "Conv2D", "config": {"name": "conv2d", "trainable": true, "dtype": "float32", "filters": 8,
      "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid", "data_format": "channels_first",
      "dilation_rate": [1, 1], "groups": 1, "activation": "linear", "use_bias": true}},
    {"class_name": "BatchNormalization", "config": {"name": "batch_normalization", "trainable": true,
      "dtype": "float32", "axis": [1]}},
    {"class_name": "Flatten", "config": {"name": "flatten", "trainable": true, "dtype": "float32",
      "data_format": "channels_first"}},
    {"class_name": "Dense", "config": {"name": "dense", "trainable": true, "dtype": "float32", "units": 5}}]},
  "keras_version": "2.9.0", "backend": "tensorflow"})";

}  // namespace

TEST_CASE("model config forms: Keras 2.0 bare-list Sequential") {
    Model model = model_from_json(kKeras20BareList);
    CHECK(model->class_name() == "Sequential");
    CHECK(names_of(model.layers()) == std::vector<std::string>{"dense_1", "dropout_1", "dense_2"});
    CHECK(*model->known_input_shape() == Shape{-1, 8});
    CHECK(param_counts(model) == ParamCounts{195, 195, 0});  // 8*16+16 = 144, 16*3+3 = 51
    CHECK(model.layer()->losses().size() == 1);               // the kernel's L2 penalty
    CHECK(model.predict(Tensor::ones({2, 8})).shape() == Shape{2, 3});
}

TEST_CASE("model config forms: Keras 2.2 dict Sequential with Conv2D, BatchNormalization and pooling") {
    Model model = model_from_json(kKeras22Dict);
    CHECK(model.name() == "sequential_1");
    CHECK(model.layers().size() == 6);
    // conv 3*3*1*8 = 72 (no bias); BN 4*8 = 32 (16 trainable); pooling 26 -> 13, so 13*13*8 = 1352 features;
    // dense 1352*10 + 10 = 13530.
    CHECK(param_counts(model) == ParamCounts{13634, 13618, 16});
    const auto& bn = dynamic_cast<const layers::BatchNormalizationLayer&>(*model.get_layer("batch_normalization_1"));
    CHECK(bn.options().momentum == 0.8);
}

TEST_CASE("model config forms: tf.keras Sequential with an InputLayer, a frozen BN with axis 3 as a list") {
    Model model = model_from_json(kTfKerasInputLayer);
    CHECK(names_of(model.layers()) ==
          std::vector<std::string>{"conv2d", "batch_normalization", "global_average_pooling2d", "dense"});
    const auto& seq = dynamic_cast<const SequentialLayer&>(*model.layer());
    REQUIRE(seq.input_layer());
    CHECK(seq.input_layer()->name() == "conv2d_input");
    // conv 3*3*3*4 + 4 = 112; BN 4*4 = 16, all frozen; dense 4*2 + 2 = 10.
    CHECK(param_counts(model) == ParamCounts{138, 122, 16});
    const auto& bn = dynamic_cast<const layers::BatchNormalizationLayer&>(*model.get_layer("batch_normalization"));
    CHECK(bn.axes() == std::vector<int64_t>{3});
    CHECK_FALSE(bn.trainable());
}

TEST_CASE("model config forms: tf.keras 2.13 legacy envelope with new-form layers") {
    Model model = model_from_json(kTfKeras213Mixed);
    CHECK(names_of(model.layers()) == std::vector<std::string>{"dense", "dense_1"});
    CHECK(param_counts(model) == ParamCounts{31, 31, 0});  // 4*5+5 = 25, 5*1+1 = 6
}

TEST_CASE("model config forms: Keras 3 Sequential with DTypePolicy, and its compile config") {
    const nlohmann::json document = nlohmann::json::parse(kKeras3Sequential);
    Model model = model_from_config(document);
    CHECK(model.layers().size() == 3);
    // dense 6*4+4 = 28; BN 16 (8 trainable); dense_1 4*2+2 = 10.
    CHECK(param_counts(model) == ParamCounts{54, 46, 8});
    CHECK_FALSE(model.compiled());  // reading the architecture ignores the compile config
    compile_from_config(model, document.at("compile_config"));
    CHECK(model.optimizer().class_name() == "Adam");
    CHECK(model.loss().class_name() == "MeanSquaredError");
    const Tensor x = Tensor::ones({4, 6});
    const auto scores = model.evaluate(x, Tensor::zeros({4, 2}), {.verbose = 0});
    CHECK(scores.count("mae") == 1);
}

TEST_CASE("model config forms: Keras 3 Functional with a residual Add, entries out of order") {
    Model model = model_from_json(keras3_functional());
    CHECK(model->class_name() == "Functional");
    CHECK(names_of(model.layers()) ==
          std::vector<std::string>{"input_layer", "dense", "batch_normalization", "add", "dense_1"});
    // dense 4*4+4 = 20; BN 16 (8 trainable); dense_1 4*3+3 = 15.
    CHECK(param_counts(model) == ParamCounts{51, 43, 8});
    // dense_1(input + bn(dense(input))): with dense zeroed and BN at its initial statistics, bn(0) = 0 and the
    // output is dense_1 applied to the input.
    auto dense = model.get_layer("dense");
    dense->set_weights({Tensor::zeros({4, 4}), Tensor::zeros({4})});
    const Tensor x({1, 2, 3, 4}, Shape{1, 4});
    CHECK(allclose(model.predict(x), (*model.get_layer("dense_1"))(x), 1e-6f, 1e-6f));
}

TEST_CASE("model config forms: legacy Functional 'Model' with a nested Sequential at node index 1") {
    Model model = model_from_json(kLegacyFunctionalNested);
    CHECK(model->class_name() == "Functional");
    CHECK(names_of(model.layers()) == std::vector<std::string>{"input_1", "sequential_1", "dense_2"});
    // dense_1 10*6+6 = 66; bn_1 24 (12 trainable); dense_2 6+1 = 7, frozen.
    CHECK(param_counts(model) == ParamCounts{97, 78, 19});
    CHECK(model.predict(Tensor::ones({2, 10})).shape() == Shape{2, 1});
}

TEST_CASE("model config forms: Keras 3 Sequential holding a frozen Functional (trainable recurses)") {
    const std::string text = R"({"module": "keras", "class_name": "Sequential", "registered_name": null,
      "config": {"name": "seq", "trainable": true, "dtype": "float32", "layers": [
        {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 5], "name": "seq_in"},
         "registered_name": null},
        {"module": "keras.src.models.functional", "class_name": "Functional", "registered_name": "Functional",
         "build_config": {"input_shape": [null, 5]},
         "config": {"name": "base", "trainable": false, "layers": [
           {"module": "keras.layers", "class_name": "InputLayer", "name": "base_in", "registered_name": null,
            "config": {"batch_shape": [null, 5], "name": "base_in"}, "inbound_nodes": []},
           {"module": "keras.layers", "class_name": "Dense", "name": "base_dense", "registered_name": null,
            "config": {"name": "base_dense", "trainable": true, "units": 4},
            "inbound_nodes": [{"args": [)" + kt("base_in", 0, "[null, 5]") + R"(], "kwargs": {}}]}],
           "input_layers": ["base_in", 0, 0], "output_layers": ["base_dense", 0, 0]}},
        {"module": "keras.layers", "class_name": "Dense", "config": {"name": "head", "units": 2},
         "registered_name": null}],
      "build_input_shape": [null, 5]}})";
    Model model = model_from_json(text);
    // base 5*4+4 = 24, all frozen with its model; head 4*2+2 = 10.
    CHECK(param_counts(model) == ParamCounts{34, 10, 24});
    CHECK_FALSE(model.get_layer("base")->sublayers().at(1)->trainable());
}

TEST_CASE("model config forms: a bare get_config() dict, Functional with Keras 1 three-element nodes") {
    const char* text = R"({"name": "model", "layers": [
        {"name": "x", "class_name": "InputLayer", "config": {"batch_input_shape": [null, 3], "name": "x"},
         "inbound_nodes": []},
        {"name": "h", "class_name": "Dense", "config": {"name": "h", "units": 2}, "inbound_nodes": [[["x", 0, 0]]]}],
      "input_layers": [["x", 0, 0]], "output_layers": [["h", 0, 0]]})";
    Model model = model_from_json(text);
    CHECK(model->class_name() == "Functional");
    CHECK(param_counts(model) == ParamCounts{8, 8, 0});  // 3*2+2

    // Without input_layers a bare dict is a Sequential config.
    Model sequential = model_from_json(R"({"name": "s", "layers": [
        {"class_name": "Dense", "config": {"name": "s_dense", "units": 2, "batch_input_shape": [null, 3]}}]})");
    CHECK(sequential->class_name() == "Sequential");
    CHECK(param_counts(sequential) == ParamCounts{8, 8, 0});
}

TEST_CASE("model config forms: the tf.js model.json wrapper") {
    const char* text = R"({"format": "layers-model", "generatedBy": "keras v2.4.0",
      "convertedBy": "TensorFlow.js Converter v2.7.0",
      "modelTopology": {"keras_version": "2.4.0", "backend": "tensorflow",
        "model_config": {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
          {"class_name": "Dense", "config": {"name": "dense", "trainable": true, "batch_input_shape": [null, 7],
            "dtype": "float32", "units": 3, "activation": "relu"}}]}},
        "training_config": {"loss": "categorical_crossentropy", "metrics": ["accuracy"]}},
      "weightsManifest": [{"paths": ["group1-shard1of1.bin"],
        "weights": [{"name": "dense/kernel", "shape": [7, 3], "dtype": "float32"}]}]})";
    Model model = model_from_json(text);
    CHECK(param_counts(model) == ParamCounts{24, 24, 0});  // 7*3+3
}

TEST_CASE("model config forms: CRLF line endings and float noise") {
    std::string text = nlohmann::json::parse(kKeras20BareList).dump(2);
    std::string crlf;
    for (char c : text) {
        if (c == '\n') crlf += '\r';
        crlf += c;
    }
    REQUIRE(crlf.find("\r\n") != std::string::npos);
    Model model = model_from_json(crlf);
    CHECK(param_counts(model) == ParamCounts{195, 195, 0});
    const auto& dropout = dynamic_cast<const layers::DropoutLayer&>(*model.get_layer("dropout_1"));
    CHECK(dropout.options().rate == doctest::Approx(0.2));
}

TEST_CASE("model config forms: channels_first Conv2D with BatchNormalization axis 1 as a list") {
    Model model = model_from_json(kChannelsFirst);
    // conv 3*3*3*8 + 8 = 224; BN over the 8 channels 32 (16 trainable); conv output 8x14x14 = 1568 features;
    // dense 1568*5 + 5 = 7845.
    CHECK(param_counts(model) == ParamCounts{8101, 8085, 16});
    const auto& bn = dynamic_cast<const layers::BatchNormalizationLayer&>(*model.get_layer("batch_normalization"));
    CHECK(bn.axes() == std::vector<int64_t>{1});
    CHECK(model.predict(Tensor::ones({2, 3, 16, 16})).shape() == Shape{2, 5});
}

TEST_CASE("model config forms: Keras 3 Functional using the second output of a nested two-output Functional") {
    // inner: inner_in -> Dense "a" (1 unit) and Dense "b" (1 unit), output_layers a list of both. The outer
    // model feeds inner's output 1 into "head" (keras_history ["inner", 0, 1]: serialize_node counts only the
    // outer graph's calls) and names its outputs in a dict, which Keras flattens in key order; there
    // ["inner", 1, 0] is the same call, as get_config's node reindexing starts a nested Functional at 1.
    std::string second = kt("inner", 0, "[null, 1]");
    second.replace(second.find("[\"inner\", 0, 0]"), 15, "[\"inner\", 0, 1]");
    const std::string text = R"({"module": "keras.src.models.functional", "class_name": "Functional",
      "registered_name": "Functional", "config": {"name": "outer", "trainable": true, "layers": [
        {"module": "keras.layers", "class_name": "InputLayer", "name": "x", "registered_name": null,
         "config": {"batch_shape": [null, 2], "name": "x"}, "inbound_nodes": []},
        {"module": "keras.src.models.functional", "class_name": "Functional", "name": "inner",
         "registered_name": "Functional", "config": {"name": "inner", "trainable": true, "layers": [
           {"module": "keras.layers", "class_name": "InputLayer", "name": "inner_in", "registered_name": null,
            "config": {"batch_shape": [null, 2], "name": "inner_in"}, "inbound_nodes": []},
           {"module": "keras.layers", "class_name": "Dense", "name": "a", "registered_name": null,
            "config": {"name": "a", "units": 1},
            "inbound_nodes": [{"args": [)" + kt("inner_in", 0, "[null, 2]") + R"(], "kwargs": {}}]},
           {"module": "keras.layers", "class_name": "Dense", "name": "b", "registered_name": null,
            "config": {"name": "b", "units": 1},
            "inbound_nodes": [{"args": [)" + kt("inner_in", 0, "[null, 2]") + R"(], "kwargs": {}}]}],
           "input_layers": [["inner_in", 0, 0]], "output_layers": [["a", 0, 0], ["b", 0, 0]]},
         "inbound_nodes": [{"args": [)" + kt("x", 0, "[null, 2]") + R"(], "kwargs": {}}]},
        {"module": "keras.layers", "class_name": "Dense", "name": "head", "registered_name": null,
         "config": {"name": "head", "units": 1},
         "inbound_nodes": [{"args": [)" + second + R"(], "kwargs": {}}]}],
      "input_layers": [["x", 0, 0]],
      "output_layers": {"inner": ["inner", 1, 0], "head": ["head", 0, 0]}},
     "compile_config": {"optimizer": "sgd", "loss": {"head": "mse", "inner": "mae"},
       "loss_weights": {"head": 1.0, "inner": 0.25}, "metrics": {"head": ["mae"]}, "weighted_metrics": null,
       "run_eagerly": false, "steps_per_execution": 1, "jit_compile": false}})";
    const nlohmann::json document = nlohmann::json::parse(text);
    const Model model = model_from_config(document);
    CHECK(model.output_names() == std::vector<std::string>{"head", "inner"});
    const Model inner(std::dynamic_pointer_cast<ModelLayer>(model.get_layer("inner")));
    CHECK(inner.output_names() == std::vector<std::string>{"a", "b"});
    inner.get_layer("a")->set_weights({Tensor({1, 1}, Shape{2, 1}), Tensor({0}, Shape{1})});
    inner.get_layer("b")->set_weights({Tensor({1, -1}, Shape{2, 1}), Tensor({0}, Shape{1})});
    model.get_layer("head")->set_weights({Tensor({10}, Shape{1, 1}), Tensor({1}, Shape{1})});
    // x = [3, 1]: a = 4, b = 2, head = 10 b + 1 = 21; the outputs are head, then inner's output 0 (a).
    const std::vector<Tensor> outs = model.predict_outputs(Tensor({3, 1}, Shape{1, 2}));
    REQUIRE(outs.size() == 2);
    CHECK(outs[0].at({0, 0}) == doctest::Approx(21.0));
    CHECK(outs[1].at({0, 0}) == doctest::Approx(4.0));

    compile_from_config(model, document.at("compile_config"));
    // targets 20 and 5: head mse 1, inner mae 1; total 1 + 0.25.
    const auto logs = model.evaluate(Tensor({3, 1}, Shape{1, 2}), {Tensor({20}, Shape{1, 1}), Tensor({5}, Shape{1, 1})},
                                     {.verbose = 0});
    CHECK(logs.at("loss") == doctest::Approx(1.25));
    CHECK(logs.at("head_loss") == doctest::Approx(1.0));
    CHECK(logs.at("inner_loss") == doctest::Approx(1.0));
    CHECK(logs.at("head_mae") == doctest::Approx(1.0));
    CHECK(serialization::compile_config(*model.layer()).at("loss_weights") == document["compile_config"]["loss_weights"]);

    // Keras writes null for an output without metrics.
    compile_from_config(model, nlohmann::json::parse(R"({"loss": "mse", "metrics": [null, ["mae"]]})"));
    const auto null_entry = model.evaluate(Tensor({3, 1}, Shape{1, 2}),
                                           {Tensor({20}, Shape{1, 1}), Tensor({5}, Shape{1, 1})}, {.verbose = 0});
    CHECK(null_entry.count("inner_mae") == 1);
    CHECK(null_entry.count("head_mae") == 0);

    // Dict keys other than the layers' names: the model loads (outputs in key order, named after their layers);
    // a compile config keyed by those dict keys is refused, naming the key.
    nlohmann::json renamed = document;
    renamed["config"]["output_layers"] = nlohmann::json::parse(R"({"h": ["head", 0, 0], "i": ["inner", 1, 0]})");
    const Model by_keys = model_from_config(renamed);
    CHECK(by_keys.output_names() == std::vector<std::string>{"head", "inner"});
    CHECK_THROWS_WITH_AS(compile_from_config(by_keys, nlohmann::json::parse(R"({"loss": {"h": "mse", "i": "mae"}})")),
                         doctest::Contains("loss names output 'h'"), ValueError);
}
