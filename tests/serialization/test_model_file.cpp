// Whole-model files: Model::save writes a .keras archive that load_model reads back to a model that predicts the
// same bits, keeps its compile settings and optimizer state, and load_model reads legacy full-model .h5 files.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include <filesystem>
#include <fstream>
#include <random>

#include "serialization/raw_h5.hpp"
#include "serialization/weights_models.hpp"

using namespace kiln;
using namespace kiln::testing;

namespace {

// Equal to the last bit (zero tolerances), and of the same shape.
bool bitwise_equal(const Tensor& a, const Tensor& b) { return a.shape() == b.shape() && allclose(a, b, 0.0f, 0.0f); }

std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("model file: save then load_model predicts the same bits, for every model structure") {
    TempDir dir;
    const std::vector<std::pair<std::string, ModelFactory>> structures = {
        {"sequential", dense_bn_sequential}, {"residual", residual_functional},
        {"nested", nested_models},           {"renorm_axis1", renorm_axis1}};
    for (const auto& [name, make] : structures) {
        CAPTURE(name);
        const Model model = make();
        randomize(model, 11);
        const std::string path = dir.path(name + ".keras");
        model.save(path);
        const Model again = load_model(path);
        CHECK(again.count_params() == model.count_params());
        CHECK(again.to_json() == model.to_json());
        const Shape input_shape = *model->known_input_shape();
        Shape batch = input_shape;
        batch[0] = 5;
        const Tensor x = Tensor::random_normal(batch, 0.0f, 1.0f, 3);
        CHECK(bitwise_equal(again.predict(x), model.predict(x)));
    }
}

TEST_CASE("model file: a compiled model comes back compiled and trains on exactly as the saved one") {
    TempDir dir;
    // No Dropout: its random masks would differ between the two models whatever the file holds.
    const Model model = Sequential({layers::Input({4}), layers::Dense({.units = 3, .activation = "relu"}),
                                    layers::BatchNormalization(), layers::Dense({.units = 2})});
    randomize(model, 5);
    model.compile({.optimizer = optim::Adam({.learning_rate = 0.01}), .loss = "mse", .metrics = {"mae"}});
    const Tensor x = Tensor::random_normal({8, 4}, 0.0f, 1.0f, 1), y = Tensor::random_normal({8, 2}, 0.0f, 1.0f, 2);
    model.fit(x, y, {.batch_size = 4, .epochs = 2, .verbose = 0});
    const std::string path = dir.path("trained.keras");
    model.save(path);

    const Model again = load_model(path);
    REQUIRE(again.compiled());
    CHECK(again.optimizer().iterations() == model.optimizer().iterations());
    const auto a = model.train_on_batch(x, y), b = again.train_on_batch(x, y);
    CHECK(a == b);
    const std::vector<Tensor> wa = model.get_weights(), wb = again.get_weights();
    REQUIRE(wa.size() == wb.size());
    for (size_t i = 0; i < wa.size(); ++i) CHECK(bitwise_equal(wa[i], wb[i]));

    const Model uncompiled = load_model(path, {.compile = false});
    CHECK_FALSE(uncompiled.compiled());
}

TEST_CASE("model file: the archive holds config.json, metadata.json and model.weights.h5 as Keras 3 writes them") {
    TempDir dir;
    const Model model = residual_functional();
    const std::string path = dir.path("m.keras");
    model.save(path);
    const serialization::KerasArchive archive = serialization::read_keras_archive(path);
    const nlohmann::json config = nlohmann::json::parse(archive.config_json);
    CHECK(config.at("class_name") == "Functional");
    CHECK(config.at("module") == "keras.src.models.functional");
    const nlohmann::json metadata = nlohmann::json::parse(archive.metadata_json);
    CHECK(metadata.at("keras_version").is_string());
    // "%Y-%m-%d@%H:%M:%S", 19 characters with '@' at 10.
    const std::string date = metadata.at("date_saved");
    CHECK(date.size() == 19);
    CHECK(date[10] == '@');
    CHECK(read_bytes(path).substr(0, 4) == std::string("PK\x03\x04", 4));
}

TEST_CASE("model file: wrong extensions and weights-only files raise errors that say what to do") {
    TempDir dir;
    const Model model = dense_bn_sequential();
    CHECK_THROWS_WITH_AS(model.save(dir.path("model.h5")), doctest::Contains("must end in '.keras'"), ValueError);
    CHECK_FALSE(std::filesystem::exists(dir.path("model.h5")));
    const std::string weights = dir.path("w.weights.h5");
    model.save_weights(weights);
    CHECK_THROWS_WITH_AS(load_model(weights), doctest::Contains("no architecture"), IOError);
    CHECK_THROWS_AS(load_model(dir.path("missing.keras")), IOError);
}

TEST_CASE("model file: a failed save leaves the previous .keras file loadable and unchanged") {
    TempDir dir;
    const std::string path = dir.path("keep.keras");
    const Model model = dense_bn_sequential();
    randomize(model, 2);
    model.save(path);
    const std::string before = read_bytes(path);
    // A model whose config cannot be written (a layer that was never given an input shape) fails during save.
    Sequential unbuilt({layers::Dense({.units = 2})});
    CHECK_THROWS_AS(unbuilt.save(path), Error);
    CHECK(read_bytes(path) == before);
    CHECK(load_model(path).count_params() == model.count_params());
}

TEST_CASE("model file: random corruptions of a .keras file raise or load, never crash") {
    TempDir dir;
    const Model model = dense_bn_sequential();
    const std::string good = dir.path("good.keras");
    model.save(good);
    const std::string bytes = read_bytes(good);
    std::mt19937 gen(42);
    int raised = 0;
    for (int round = 0; round < 150; ++round) {
        std::string damaged = bytes;
        if (round % 3 == 0) {
            damaged.resize(std::uniform_int_distribution<size_t>(0, bytes.size() - 1)(gen));
        } else {
            for (int flips = 0; flips < 1 + round % 4; ++flips)
                damaged[std::uniform_int_distribution<size_t>(0, bytes.size() - 1)(gen)] ^=
                    static_cast<char>(1 << std::uniform_int_distribution<int>(0, 7)(gen));
        }
        const std::string path = dir.path("damaged.keras");
        std::ofstream(path, std::ios::binary) << damaged;
        try {
            load_model(path);
        } catch (const Error&) {
            ++raised;
        }
    }
    // Truncations always lose the zip's central directory, so at least those 50 raise.
    CHECK(raised >= 50);
}

TEST_CASE("model file: load_model reads a legacy full-model .h5 file (model_config + model_weights)") {
    TempDir dir;
    const std::string path = dir.path("legacy.h5");
    // A tf.keras 2.x Sequential: InputLayer, then Dense(2) with kernel [[1, 2], [3, 4], [5, 6]] and bias [0.5, -1].
    const std::string config = R"({"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 3], "dtype": "float32", "sparse": false,
         "ragged": false, "name": "dense_input"}},
        {"class_name": "Dense", "config": {"name": "dense", "trainable": true, "batch_input_shape": [null, 3],
         "dtype": "float32", "units": 2, "activation": "linear", "use_bias": true,
         "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}},
         "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null,
         "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null,
         "bias_constraint": null}}]}})";
    {
        raw::Obj f(raw::create_file(path));
        raw::vlen_strings(f, "model_config", {config}, false, true);
        raw::vlen_strings(f, "keras_version", {"2.9.0"}, false, true);
        raw::vlen_strings(f, "backend", {"tensorflow"}, false, true);
        raw::Obj weights(raw::group(f, "model_weights"));
        raw::vlen_strings(weights, "layer_names", {"dense"}, false, false);
        raw::Obj dense(raw::group(weights, "dense"));
        raw::vlen_strings(dense, "weight_names", {"dense/kernel:0", "dense/bias:0"}, false, false);
        raw::dataset(dense, "dense/kernel:0", {3, 2}, {1, 2, 3, 4, 5, 6}, H5T_IEEE_F32LE);
        raw::dataset(dense, "dense/bias:0", {2}, {0.5, -1}, H5T_IEEE_F32LE);
    }
    const Model model = load_model(path);
    CHECK_FALSE(model.compiled());
    CHECK(model.count_params() == 8);
    // x = [1, 1, 2]: [1 + 3 + 10 + 0.5, 2 + 4 + 12 - 1] = [14.5, 17].
    const Tensor y = model.predict(Tensor({1, 1, 2}, {1, 3}));
    CHECK(y.at({0, 0}) == doctest::Approx(14.5));
    CHECK(y.at({0, 1}) == doctest::Approx(17.0));
}

TEST_CASE("model file: load_model reads a legacy .h5 Functional model with two inputs and two outputs") {
    TempDir dir;
    const std::string path = dir.path("two_heads.h5");
    // tf.keras 2.x: inputs x1 (2 features) and x2 (1); "policy" = Dense(1) on x1, "value" = Dense(1) on x2.
    const std::string config = R"({"class_name": "Functional", "config": {"name": "two_heads", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 2], "dtype": "float32", "sparse": false,
         "ragged": false, "name": "x1"}, "name": "x1", "inbound_nodes": []},
        {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 1], "dtype": "float32", "sparse": false,
         "ragged": false, "name": "x2"}, "name": "x2", "inbound_nodes": []},
        {"class_name": "Dense", "config": {"name": "policy", "trainable": true, "dtype": "float32", "units": 1,
         "activation": "linear", "use_bias": true}, "name": "policy", "inbound_nodes": [[["x1", 0, 0, {}]]]},
        {"class_name": "Dense", "config": {"name": "value", "trainable": true, "dtype": "float32", "units": 1,
         "activation": "linear", "use_bias": true}, "name": "value", "inbound_nodes": [[["x2", 0, 0, {}]]]}],
        "input_layers": [["x1", 0, 0], ["x2", 0, 0]], "output_layers": [["policy", 0, 0], ["value", 0, 0]]}})";
    {
        raw::Obj f(raw::create_file(path));
        raw::vlen_strings(f, "model_config", {config}, false, true);
        raw::vlen_strings(f, "keras_version", {"2.9.0"}, false, true);
        raw::vlen_strings(f, "backend", {"tensorflow"}, false, true);
        raw::Obj weights(raw::group(f, "model_weights"));
        raw::vlen_strings(weights, "layer_names", {"x1", "x2", "policy", "value"}, false, false);
        for (const char* input : {"x1", "x2"}) {
            raw::Obj g(raw::group(weights, input));
            raw::empty_float64(g, "weight_names");
        }
        // policy: kernel [[1], [2]], bias [0.5]; value: kernel [[3]], bias [-1].
        raw::Obj policy(raw::group(weights, "policy"));
        raw::vlen_strings(policy, "weight_names", {"policy/kernel:0", "policy/bias:0"}, false, false);
        raw::dataset(policy, "policy/kernel:0", {2, 1}, {1, 2}, H5T_IEEE_F32LE);
        raw::dataset(policy, "policy/bias:0", {1}, {0.5}, H5T_IEEE_F32LE);
        raw::Obj value(raw::group(weights, "value"));
        raw::vlen_strings(value, "weight_names", {"value/kernel:0", "value/bias:0"}, false, false);
        raw::dataset(value, "value/kernel:0", {1, 1}, {3}, H5T_IEEE_F32LE);
        raw::dataset(value, "value/bias:0", {1}, {-1}, H5T_IEEE_F32LE);
    }
    const Model model = load_model(path);
    CHECK(model.output_names() == std::vector<std::string>{"policy", "value"});
    // x1 = [1, 1], x2 = [2]: policy = 1 + 2 + 0.5 = 3.5, value = 6 - 1 = 5.
    const std::vector<Tensor> outs = model.predict_outputs({Tensor({1, 1}, {1, 2}), Tensor({2}, {1, 1})});
    REQUIRE(outs.size() == 2);
    CHECK(outs[0].at({0, 0}) == doctest::Approx(3.5));
    CHECK(outs[1].at({0, 0}) == doctest::Approx(5.0));
}
