// Legacy Keras HDF5 files (layouts b and c), built here with the HDF5 C API as Keras 2 / tf.keras wrote them:
// fixed-length NULL-padded and variable-length string lists, chunked layer_names0/1, the empty float64
// weight_names of layers without weights, weight names with '/' and ':0' whose owner differs from the layer name,
// groups created in name order, nested models, and the model_config/training_config attributes.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include "kiln/serialization/legacy_h5.hpp"
#include "models/model_helpers.hpp"
#include "serialization/raw_h5.hpp"

using namespace kiln;
using kiln::testing::all_equal;
using kiln::testing::TempDir;
namespace raw = kiln::testing::raw;

namespace {

// The value of element i of the weight numbered `tag`.
float value_of(int tag, int64_t i) { return static_cast<float>(tag) + 0.01f * static_cast<float>(i); }

std::vector<double> values(int tag, size_t n) {
    std::vector<double> out;
    for (size_t i = 0; i < n; ++i) out.push_back(value_of(tag, static_cast<int64_t>(i)));
    return out;
}

struct Weight {
    std::string name;
    std::vector<hsize_t> dims;
    int tag;
};

// A layer group as save_weights_to_hdf5_group writes it: weight_names, and one dataset per name (with the
// intermediate groups h5py creates for the '/' in them). `fixed`: weight_names as NumPy S<n> strings.
void write_layer(hid_t parent, const std::string& name, const std::vector<Weight>& weights, bool fixed = false) {
    raw::Obj g(raw::group(parent, name));
    std::vector<std::string> names;
    for (const Weight& w : weights) names.push_back(w.name);
    if (weights.empty())
        raw::empty_float64(g, "weight_names");
    else if (fixed)
        raw::fixed_strings(g, "weight_names", names, 40);
    else
        raw::vlen_strings(g, "weight_names", names);
    for (const Weight& w : weights) {
        size_t n = 1;
        for (hsize_t d : w.dims) n *= d;
        raw::dataset(g, w.name, w.dims, values(w.tag, n));
    }
}

// Input(4) -> Dense(3) -> BatchNormalization -> Dropout -> Dense(2), with kiln's own layer names.
Model plain_model() {
    return Sequential({layers::Input({4}), layers::Dense({.units = 3}), layers::BatchNormalization(),
                       layers::Dropout({.rate = 0.5}), layers::Dense({.units = 2})});
}

// The weights of plain_model() as tf.keras 2.8 saved them from layers named ftr0, bn0, dropout_1, out; the Dense
// "out" has variables named by a uniquified TF scope (dense_1_4), as stand-alone Keras 2 on TF1 wrote.
void write_plain_weights(hid_t group, bool chunked_layer_names) {
    const std::vector<std::string> layer_names{"ftr0", "bn0", "dropout_1", "out"};
    if (chunked_layer_names) {
        raw::fixed_strings(group, "layer_names0", {"ftr0", "bn0"}, 9);
        raw::vlen_strings(group, "layer_names1", {"dropout_1", "out"});
    } else {
        raw::fixed_strings(group, "layer_names", layer_names, 9);  // S9, NULL-padded
    }
    raw::vlen_strings(group, "backend", {"tensorflow"}, false, true);
    raw::vlen_strings(group, "keras_version", {"2.8.0"}, false, true);
    // Groups in name order, as Keras creates them.
    write_layer(group, "bn0",
                {{"bn0/gamma:0", {3}, 3}, {"bn0/beta:0", {3}, 4}, {"bn0/moving_mean:0", {3}, 5},
                 {"bn0/moving_variance:0", {3}, 6}},
                true);
    write_layer(group, "dropout_1", {});
    write_layer(group, "ftr0", {{"ftr0/kernel:0", {4, 3}, 1}, {"ftr0/bias:0", {3}, 2}});
    write_layer(group, "out", {{"dense_1_4/kernel:0", {3, 2}, 7}, {"dense_1_4/bias:0", {2}, 8}});
}

void check_values(const std::vector<Tensor>& weights, const std::vector<int>& tags) {
    REQUIRE(weights.size() == tags.size());
    for (size_t v = 0; v < weights.size(); ++v)
        for (int64_t i = 0; i < weights[v].size(); ++i) CHECK(weights[v].data()[i] == value_of(tags[v], i));
}

}  // namespace

TEST_CASE("legacy h5: a weights-only file (c) loads positionally, whatever the names") {
    TempDir dir;
    for (const bool chunked : {false, true}) {
        CAPTURE(chunked);
        const std::string path = dir.path(chunked ? "chunked.h5" : "weights.h5");
        {
            raw::Obj f(raw::create_file(path));
            write_plain_weights(f, chunked);
        }
        CHECK(serialization::detect_file_kind(path) == serialization::FileKind::legacy_weights);
        const Model model = plain_model();
        model.load_weights(path);
        check_values(model.get_weights(), {1, 2, 3, 4, 5, 6, 7, 8});
    }
}

TEST_CASE("legacy h5: a full-model file (b): its config attributes, and its model_weights") {
    TempDir dir;
    const std::string path = dir.path("model.h5");
    const std::string config = R"({"class_name": "Sequential", "config": {"name": "sequential", "layers": []}})";
    const std::string training = R"({"loss": "mse", "optimizer_config": {"class_name": "Adam", "config": {}}})";
    {
        raw::Obj f(raw::create_file(path));
        raw::vlen_strings(f, "model_config", {config}, false, true);
        raw::vlen_strings(f, "training_config", {training}, false, true);
        raw::vlen_strings(f, "keras_version", {"2.9.0"}, true, true);
        raw::vlen_strings(f, "backend", {"tensorflow"}, true, true);
        raw::Obj weights(raw::group(f, "model_weights"));
        write_plain_weights(weights, false);
        write_layer(weights, "top_level_model_weights", {});
        raw::Obj optimizer(raw::group(f, "optimizer_weights"));
        raw::vlen_strings(optimizer, "weight_names", {"Adam/iter:0"});
        raw::dataset(optimizer, "Adam/iter:0", {}, {3}, H5T_STD_I64LE);
    }
    CHECK(serialization::detect_file_kind(path) == serialization::FileKind::legacy_model);
    const serialization::LegacyH5Model legacy = serialization::read_legacy_h5_model(path);
    CHECK(legacy.model_config == config);
    CHECK(legacy.training_config == training);
    CHECK(legacy.keras_version == "2.9.0");
    CHECK(legacy.backend == "tensorflow");

    const Model model = plain_model();
    model.load_weights(path);
    check_values(model.get_weights(), {1, 2, 3, 4, 5, 6, 7, 8});

    const std::string weights_only = dir.path("weights_only.h5");
    {
        raw::Obj f(raw::create_file(weights_only));
        write_plain_weights(f, false);
    }
    CHECK_THROWS_WITH_AS(serialization::read_legacy_h5_model(weights_only),
                         doctest::Contains("is not a legacy Keras model file"), IOError);
}

namespace {

// Input(4) -> Sequential "inner" [Dense(3) "d1", BatchNormalization "bn1", Dense(3) "d2"] -> Dense(2) "head".
Model nested_model(const std::string& d1, const std::string& bn1, const std::string& d2) {
    Sequential inner({layers::Input({4}), layers::Dense({.name = d1, .units = 3}),
                      layers::BatchNormalization({.name = bn1}), layers::Dense({.name = d2, .units = 3})},
                     "inner");
    return Sequential({layers::Input({4}), inner, layers::Dense({.name = "head", .units = 2})});
}

// The nested model as one group whose weight_names list `order` (tags 1..8: d1 kernel, d1 bias, gamma, beta,
// moving mean, moving variance, d2 kernel, d2 bias).
void write_nested(const std::string& path, const std::vector<int>& order) {
    const std::vector<Weight> all{{"inner/d1/kernel:0", {4, 3}, 1},      {"inner/d1/bias:0", {3}, 2},
                                  {"inner/bn1/gamma:0", {3}, 3},         {"inner/bn1/beta:0", {3}, 4},
                                  {"inner/bn1/moving_mean:0", {3}, 5},   {"inner/bn1/moving_variance:0", {3}, 6},
                                  {"inner/d2/kernel:0", {3, 3}, 7},      {"inner/d2/bias:0", {3}, 8}};
    std::vector<Weight> listed;
    for (int tag : order) listed.push_back(all[static_cast<size_t>(tag - 1)]);
    raw::Obj f(raw::create_file(path));
    raw::vlen_strings(f, "layer_names", {"inner", "head"});
    write_layer(f, "head", {{"head/kernel:0", {3, 2}, 9}, {"head/bias:0", {2}, 10}});
    write_layer(f, "inner", listed);
}

}  // namespace

TEST_CASE("legacy h5: a nested model is one group, its weights trainable-first across its layers") {
    TempDir dir;
    const std::string path = dir.path("nested.h5");
    // Keras 2.2: every trainable weight of the sub-layers, then the non-trainable ones.
    write_nested(path, {1, 2, 3, 4, 7, 8, 5, 6});

    SUBCASE("routed by the owner in each weight's path when the names match") {
        const Model model = nested_model("d1", "bn1", "d2");
        model.load_weights(path);
        check_values(model.get_weights(), {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
    }
    SUBCASE("split by counts when they do not") {
        const Model model = nested_model("x", "y", "z");
        model.load_weights(path);
        check_values(model.get_weights(), {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
    }
}

TEST_CASE("legacy h5: a frozen nested model saved by Keras 2.2 is routed by owner, where counts would misplace it") {
    TempDir dir;
    const std::string path = dir.path("frozen.h5");
    // Keras 2.2 listed a frozen nested model trainable-first as well; kiln (like tf-keras) orders its
    // non-trainable weights layer by layer, so a count split would give bn1 the d2 weights.
    write_nested(path, {1, 2, 3, 4, 7, 8, 5, 6});
    const Model model = nested_model("d1", "bn1", "d2");
    model.get_layer("inner")->set_trainable(false);
    model.load_weights(path);
    check_values(model.get_weights(), {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
}

TEST_CASE("legacy h5: every mismatch is reported at once and nothing is loaded") {
    TempDir dir;
    const std::string path = dir.path("wrong.h5");
    {
        raw::Obj f(raw::create_file(path));
        raw::vlen_strings(f, "layer_names", {"a", "b", "c"});
        write_layer(f, "a", {{"a/kernel:0", {4, 3}, 1}, {"a/bias:0", {5}, 2}});  // bias of the wrong shape
        // A weight listed without its dataset.
        raw::Obj b(raw::group(f, "b"));
        raw::vlen_strings(b, "weight_names", {"b/gamma:0", "b/beta:0", "b/moving_mean:0", "b/moving_variance:0"});
        for (const char* name : {"b/gamma:0", "b/beta:0", "b/moving_variance:0"})
            raw::dataset(b, name, {3}, values(3, 3));
        write_layer(f, "c", {{"c/kernel:0", {3, 2}, 7}});  // the bias is missing from the list
    }
    const Model model = plain_model();
    const std::vector<Tensor> before = model.get_weights();
    std::string message;
    try {
        model.load_weights(path);
    } catch (const ValueError& e) {
        message = e.what();
    }
    CHECK(message.find("3 problems, nothing was loaded") != std::string::npos);
    CHECK(message.find("wrong shape: /a/a/bias:0 has shape [5]") != std::string::npos);
    CHECK(message.find("missing: /b/b/moving_mean:0 (for 'batch_normalization") != std::string::npos);
    CHECK(message.find("wrong count: the file's 'c' has 1 weights (c/kernel:0), Dense") != std::string::npos);
    CHECK(all_equal(model.get_weights(), before));

    const Model fewer = Sequential({layers::Input({4}), layers::Dense({.units = 3})});
    CHECK_THROWS_WITH_AS(fewer.load_weights(path),
                         doctest::Contains("the file has 3 layers with weights (a, b, c), Sequential"), ValueError);
}
