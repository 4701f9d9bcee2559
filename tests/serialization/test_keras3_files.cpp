// Keras 3 weights files as Keras writes them, built here with the HDF5 C API in the "earliest" format Keras uses,
// with the traps of real files: vars keys 0..11 (listed 0, 1, 10, 11, 2, ... by HDF5), name attributes, the
// root vars group, the _layer_checkpoint_dependencies layout of tf.keras 2.12-2.14 with skipped suffixes, and a
// wrapper's layer under its attribute name with the kernel stored twice (SpectralNormalization).
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include "serialization/raw_h5.hpp"

using namespace kiln;
using kiln::testing::TempDir;
namespace raw = kiln::testing::raw;

namespace {

// Input(3) -> Dense(4) -> BatchNormalization -> Dropout -> Dense(2, no bias): five trainable variables, so an
// Adam state of 2 + 5 * 2 = 12 entries.
Model small_model() {
    return Sequential({layers::Input({3}), layers::Dense({.name = "a", .units = 4}),
                       layers::BatchNormalization({.name = "b"}), layers::Dropout({.rate = 0.2}),
                       layers::Dense({.name = "c", .units = 2, .use_bias = false})});
}

// The value of element i of the variable numbered `tag`: distinct for every variable and element.
double value_of(int tag, size_t i) { return tag + 0.01 * static_cast<double>(i); }

std::vector<double> values(int tag, size_t n) {
    std::vector<double> out;
    for (size_t i = 0; i < n; ++i) out.push_back(value_of(tag, i));
    return out;
}

struct Var {
    std::vector<hsize_t> dims;
    int tag;
};

// <group>/vars/<i> for each variable (tag = the values' base), with the name attribute of Keras >= 3.6.
void write_layer(hid_t file, const std::string& group, const std::string& name, const std::vector<Var>& vars) {
    raw::Obj g(raw::group(file, group.empty() ? "vars" : group + "/vars"));
    raw::vlen_strings(g, "name", {name}, true, true);
    for (size_t i = 0; i < vars.size(); ++i) {
        size_t n = 1;
        for (hsize_t d : vars[i].dims) n *= d;
        raw::dataset(g, std::to_string(i), vars[i].dims, values(vars[i].tag, n));
    }
}

// The model's variables: dense kernel, bias, gamma, beta, moving mean, moving variance, dense_1 kernel.
void write_model_layers(hid_t file, const std::string& container, const std::vector<std::string>& keys) {
    write_layer(file, container + "/" + keys[0], "a", {{{3, 4}, 1}, {{4}, 2}});
    write_layer(file, container + "/" + keys[1], "b", {{{4}, 3}, {{4}, 4}, {{4}, 5}, {{4}, 6}});
    write_layer(file, container + "/" + keys[2], "dropout", {});
    write_layer(file, container + "/" + keys[3], "c", {{{4, 2}, 7}});
}

void check_model_values(const Model& model) {
    const std::vector<Tensor> w = model.get_weights();
    REQUIRE(w.size() == 7);
    for (int v = 0; v < 7; ++v)
        for (int64_t i = 0; i < w[v].size(); ++i)
            CHECK(w[v].data()[i] == static_cast<float>(value_of(v + 1, static_cast<size_t>(i))));
}

}  // namespace

TEST_CASE("keras 3 files: a .weights.h5 written as Keras does loads, optimizer slots in numeric key order") {
    TempDir dir;
    const std::string path = dir.path("keras.weights.h5");
    {
        raw::Obj f(raw::create_file(path));
        write_layer(f, "", "sequential", {});
        write_model_layers(f, "layers", {"dense", "batch_normalization", "dropout", "dense_1"});
        raw::Obj opt(raw::group(f, "optimizer/vars"));
        raw::vlen_strings(opt, "name", {"adam"}, true, true);
        // Adam: iteration, learning rate, then momentum and velocity of each trainable variable in turn.
        const std::vector<std::vector<hsize_t>> shapes{{3, 4}, {4}, {4}, {4}, {4, 2}};
        for (int key : {11, 3, 10, 0, 2, 7, 1, 9, 4, 8, 5, 6}) {  // any creation order
            if (key == 0) {
                raw::dataset(opt, "0", {}, {7}, H5T_STD_I64LE);
            } else if (key == 1) {
                raw::dataset(opt, "1", {}, {0.01});
            } else {
                const auto& dims = shapes[static_cast<size_t>((key - 2) / 2)];
                size_t n = 1;
                for (hsize_t d : dims) n *= d;
                raw::dataset(opt, std::to_string(key), dims, std::vector<double>(n, key));
            }
        }
    }
    const Model model = small_model();
    model.compile({.optimizer = optim::Adam({.learning_rate = 0.5}), .loss = "mse"});
    model.load_weights(path);
    check_model_values(model);
    const optim::Optimizer& adam = model.optimizer();
    CHECK(adam.iterations() == 7);
    CHECK(adam.learning_rate() == doctest::Approx(0.01));
    const auto state = adam.variables();
    REQUIRE(state.size() == 12);
    CHECK(state[2].first == "a_kernel_momentum");
    CHECK(state[3].first == "a_kernel_velocity");
    CHECK(state[11].first == "c_kernel_velocity");
    for (size_t key = 2; key < 12; ++key)
        for (int64_t i = 0; i < state[key].second.size(); ++i) CHECK(state[key].second.data()[i] == key);
}

TEST_CASE("keras 3 files: tf.keras 2.12-2.14 _layer_checkpoint_dependencies, suffixes skipped, no root vars") {
    TempDir dir;
    const std::string path = dir.path("tf213.weights.h5");
    {
        raw::Obj f(raw::create_file(path));
        write_model_layers(f, "_layer_checkpoint_dependencies",
                           {"dense", "batch_normalization_1", "dropout", "dense_2"});
    }
    const Model model = small_model();
    model.load_weights(path);
    check_model_values(model);
}

TEST_CASE("keras 3 files: the name attributes are informative only, a file without them loads too (Keras 3.0-3.5)") {
    TempDir dir;
    const std::string path = dir.path("old.weights.h5");
    {
        raw::Obj f(raw::create_file(path));
        raw::Obj root_vars(raw::group(f, "vars"));
        // A Keras 3.5 file: no name attributes, layer names that differ from kiln's.
        raw::dataset(f, "layers/dense/vars/0", {3, 4}, values(1, 12));
        raw::dataset(f, "layers/dense/vars/1", {4}, values(2, 4));
        for (int i = 0; i < 4; ++i)
            raw::dataset(f, "layers/batch_normalization/vars/" + std::to_string(i), {4}, values(3 + i, 4));
        raw::Obj dropout(raw::group(f, "layers/dropout/vars"));
        raw::dataset(f, "layers/dense_1/vars/0", {4, 2}, values(7, 8));
    }
    const Model model = small_model();
    model.load_weights(path);
    check_model_values(model);
}

TEST_CASE("keras 3 files: a bfloat16 variable (marked by a dtype attribute) is refused by name") {
    TempDir dir;
    const std::string path = dir.path("bf16.weights.h5");
    {
        raw::Obj f(raw::create_file(path));
        raw::dataset(f, "layers/dense/vars/0", {3, 4}, std::vector<double>(12, 16256), H5T_STD_U16LE);
        raw::Obj kernel(H5Dopen2(f, "layers/dense/vars/0", H5P_DEFAULT));
        raw::vlen_strings(kernel, "dtype", {"bfloat16"}, true, true);
        raw::dataset(f, "layers/dense/vars/1", {4}, values(2, 4));
    }
    const Model model = Sequential({layers::Input({3}), layers::Dense({.units = 4})});
    CHECK_THROWS_WITH_AS(model.load_weights(path),
                         doctest::Contains("wrong type: /layers/dense/vars/0 holds bfloat16 data (for 'dense"),
                         ValueError);
}

TEST_CASE("keras 3 files: LayerNormalization, GroupNormalization and UnitNormalization from a Keras 3 config and "
          ".weights.h5") {
    // The config as Keras 3 writes it after build (LayerNormalization's axis resolved to [2]; groups resolved).
    const std::string policy =
        R"({"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null})";
    const std::string gamma_beta = R"("beta_initializer": {"module": "keras.initializers", "class_name": "Zeros",
        "config": {}, "registered_name": null}, "gamma_initializer": {"module": "keras.initializers",
        "class_name": "Ones", "config": {}, "registered_name": null}, "beta_regularizer": null,
        "gamma_regularizer": null, "beta_constraint": null, "gamma_constraint": null)";
    const std::string config = R"({"module": "keras", "class_name": "Sequential", "registered_name": null,
      "config": {"name": "sequential", "trainable": true, "dtype": )" + policy + R"(, "layers": [
        {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 3, 6],
          "dtype": "float32", "sparse": false, "ragged": false, "name": "input_layer", "optional": false},
         "registered_name": null},
        {"module": "keras.layers", "class_name": "LayerNormalization", "config": {"name": "layer_normalization",
          "trainable": true, "dtype": )" + policy + R"(, "axis": [2], "epsilon": 0.001, "center": true,
          "scale": true, "rms_scaling": false, )" + gamma_beta + R"(}, "registered_name": null,
         "build_config": {"input_shape": [null, 3, 6]}},
        {"module": "keras.layers", "class_name": "GroupNormalization", "config": {"name": "group_normalization",
          "trainable": true, "dtype": )" + policy + R"(, "groups": 3, "axis": -1, "epsilon": 0.001,
          "center": true, "scale": true, )" + gamma_beta + R"(}, "registered_name": null,
         "build_config": {"input_shape": [null, 3, 6]}},
        {"module": "keras.layers", "class_name": "UnitNormalization", "config": {"name": "unit_normalization",
          "trainable": true, "dtype": )" + policy + R"(, "axis": -1}, "registered_name": null,
         "build_config": {"input_shape": [null, 3, 6]}}],
      "build_input_shape": [null, 3, 6]}})";
    TempDir dir;
    const std::string path = dir.path("norms.weights.h5");
    {
        raw::Obj f(raw::create_file(path));
        write_layer(f, "", "sequential", {});
        write_layer(f, "layers/layer_normalization", "layer_normalization", {{{6}, 1}, {{6}, 2}});  // gamma, beta
        write_layer(f, "layers/group_normalization", "group_normalization", {{{6}, 3}, {{6}, 4}});
        write_layer(f, "layers/unit_normalization", "unit_normalization", {});
    }
    const Model model = model_from_json(config);
    model.load_weights(path);
    const auto ln = std::dynamic_pointer_cast<layers::LayerNormalizationLayer>(model.get_layer("layer_normalization"));
    const auto gn = std::dynamic_pointer_cast<layers::GroupNormalizationLayer>(model.get_layer("group_normalization"));
    REQUIRE(ln);
    REQUIRE(gn);
    CHECK(gn->groups() == 3);
    for (const auto& [variable, tag] : std::vector<std::pair<Variable, int>>{
             {ln->gamma(), 1}, {ln->beta(), 2}, {gn->gamma(), 3}, {gn->beta(), 4}})
        for (int64_t i = 0; i < 6; ++i)
            CHECK(variable.value().data()[i] == static_cast<float>(value_of(tag, static_cast<size_t>(i))));
    // The loaded model computes what the same layers built here compute with the same weights.
    layers::LayerNormalization ln2;
    layers::GroupNormalization gn2({.groups = 3});
    const Model built = Sequential({layers::Input({3, 6}), ln2, gn2, layers::UnitNormalization()});
    built.set_weights(model.get_weights());
    const Tensor x = Tensor::random_normal({4, 3, 6}, 0.0f, 1.0f, 5);
    CHECK(array_equal(model.predict(x), built.predict(x)));
}

TEST_CASE("keras 3 files: Normalization and SpectralNormalization from a Keras 3 config and .weights.h5") {
    // Keras 3 keeps a wrapped layer under the attribute name "layer", and SpectralNormalization's own variables
    // are the kernel (an attribute too, tracked as the wrapper's) then vector_u: the kernel is stored twice.
    // Normalization's count is an int64 scalar (int32 on JAX and torch), left at 0 by Keras 3.
    const std::string policy =
        R"({"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null})";
    const std::string config = R"({"module": "keras", "class_name": "Sequential", "registered_name": null,
      "config": {"name": "sequential", "trainable": true, "dtype": )" + policy + R"(, "layers": [
        {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 3],
          "dtype": "float32", "sparse": false, "ragged": false, "name": "input_layer", "optional": false},
         "registered_name": null},
        {"module": "keras.layers", "class_name": "Normalization", "config": {"name": "normalization",
          "trainable": true, "dtype": )" + policy + R"(, "axis": [-1], "invert": false, "mean": null,
          "variance": null}, "registered_name": null, "build_config": {"input_shape": [null, 3]}},
        {"module": "keras.layers", "class_name": "SpectralNormalization", "config": {"name": "spectral_normalization",
          "trainable": true, "dtype": )" + policy + R"(, "layer": {"module": "keras.layers", "class_name": "Dense",
            "config": {"name": "dense", "trainable": true, "dtype": )" + policy + R"(, "units": 4,
              "activation": "linear", "use_bias": true,
              "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
                                     "config": {"seed": null}, "registered_name": null},
              "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {},
                                   "registered_name": null},
              "kernel_regularizer": null, "bias_regularizer": null, "kernel_constraint": null,
              "bias_constraint": null, "quantization_config": null},
            "registered_name": null, "build_config": {"input_shape": [null, 3]}},
          "power_iterations": 1}, "registered_name": null, "build_config": {"input_shape": [null, 3]}}],
      "build_input_shape": [null, 3]}})";
    TempDir dir;
    const std::string path = dir.path("sn.weights.h5");
    {
        raw::Obj f(raw::create_file(path));
        write_layer(f, "", "sequential", {});
        write_layer(f, "layers/normalization", "normalization", {{{3}, 1}, {{3}, 2}});  // mean, variance
        raw::dataset(f, "layers/normalization/vars/2", {}, {0}, H5T_STD_I64LE);        // count
        write_layer(f, "layers/spectral_normalization", "spectral_normalization", {{{3, 4}, 3}, {{1, 4}, 4}});
        write_layer(f, "layers/spectral_normalization/layer", "dense", {{{3, 4}, 3}, {{4}, 5}});
    }
    const Model model = model_from_json(config);
    model.load_weights(path);
    const auto norm = std::dynamic_pointer_cast<layers::NormalizationLayer>(model.get_layer("normalization"));
    const auto sn = std::dynamic_pointer_cast<layers::SpectralNormalizationLayer>(
        model.get_layer("spectral_normalization"));
    REQUIRE(norm);
    REQUIRE(sn);
    CHECK(sn->layer()->name() == "dense");
    const auto dense = std::dynamic_pointer_cast<layers::DenseLayer>(sn->layer());
    REQUIRE(dense);
    for (const auto& [variable, tag] : std::vector<std::pair<Variable, int>>{
             {norm->mean(), 1}, {norm->variance(), 2}, {sn->kernel(), 3}, {sn->vector_u(), 4}, {dense->bias(), 5}})
        for (int64_t i = 0; i < variable.value().size(); ++i)
            CHECK(variable.value().data()[i] == static_cast<float>(value_of(tag, static_cast<size_t>(i))));
    CHECK(norm->count().value().item() == 0.0f);
    // Keras's weights order: the wrapper's kernel, vector_u, then the wrapped layer's bias.
    const auto w = model.get_weights();
    REQUIRE(w.size() == 6);
    CHECK(w[3].shape() == Shape{3, 4});
    CHECK(w[4].shape() == Shape{1, 4});
    CHECK(w[5].shape() == Shape{4});

    // kiln writes the same layout back, count as int64 and the kernel in both groups.
    const std::string again = dir.path("kiln.weights.h5");
    model.save_weights(again);
    raw::Obj f(H5Fopen(again.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
    auto stored = [](int tag, size_t n) {  // the values as float32 holds them
        std::vector<double> out;
        for (double v : values(tag, n)) out.push_back(static_cast<float>(v));
        return out;
    };
    CHECK(raw::dataset_type_is(f, "layers/normalization/vars/2", H5T_STD_I64LE));
    CHECK(raw::dataset_type_is(f, "layers/normalization/vars/0", H5T_IEEE_F32LE));
    CHECK(raw::read_values(f, "layers/spectral_normalization/vars/0") == stored(3, 12));
    CHECK(raw::read_values(f, "layers/spectral_normalization/layer/vars/0") == stored(3, 12));
    CHECK(raw::read_values(f, "layers/spectral_normalization/layer/vars/1") == stored(5, 4));
    CHECK(raw::string_attribute(f, "layers/spectral_normalization/layer/vars", "name") == "dense");
    // The loaded model computes what the same layers built here compute with the same weights.
    layers::Normalization norm2;
    layers::SpectralNormalization sn2({.layer = layers::Dense({.units = 4})});
    const Model built = Sequential({layers::Input({3}), norm2, sn2});
    built.set_weights(model.get_weights());
    const Tensor x = Tensor::random_normal({4, 3}, 0.0f, 1.0f, 5);
    CHECK(array_equal(model.predict(x), built.predict(x)));
    // A file whose wrapper lacks its copy of the kernel does not fit.
    const std::string partial = dir.path("partial.weights.h5");
    {
        raw::Obj p(raw::create_file(partial));
        write_layer(p, "layers/normalization", "normalization", {{{3}, 1}, {{3}, 2}});
        raw::dataset(p, "layers/normalization/vars/2", {}, {0}, H5T_STD_I64LE);
        write_layer(p, "layers/spectral_normalization", "spectral_normalization", {{{1, 4}, 4}});
        write_layer(p, "layers/spectral_normalization/layer", "dense", {{{3, 4}, 3}, {{4}, 5}});
    }
    CHECK_THROWS_AS(model.load_weights(partial), ValueError);
}
