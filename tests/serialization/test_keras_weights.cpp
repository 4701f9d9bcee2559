// Keras 3 weights files written by kiln: the layout (paths, counters, name attributes, optimizer group) checked with
// the HDF5 C API, and save/load round trips that reproduce a model to the last bit.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include <algorithm>
#include <fstream>

#include "kiln/serialization/detail/keras_layout.hpp"
#include "kiln/serialization/weights_file.hpp"
#include "models/model_helpers.hpp"
#include "serialization/raw_h5.hpp"
#include "serialization/weights_models.hpp"

using namespace kiln;
using kiln::serialization::detail::to_snake_case;
using kiln::testing::all_equal;
using kiln::testing::TempDir;
namespace raw = kiln::testing::raw;

using Strings = std::vector<std::string>;

TEST_CASE("keras weights: snake_case keys as Keras's to_snake_case") {
    CHECK(to_snake_case("Conv2D") == "conv2d");
    CHECK(to_snake_case("BatchNormalization") == "batch_normalization");
    CHECK(to_snake_case("MaxPooling2D") == "max_pooling2d");
    CHECK(to_snake_case("GlobalAveragePooling2D") == "global_average_pooling2d");
    CHECK(to_snake_case("InputLayer") == "input_layer");
    CHECK(to_snake_case("ReLU") == "re_lu");
    CHECK(to_snake_case("Sequential") == "sequential");
    CHECK(to_snake_case("Functional") == "functional");
    CHECK(to_snake_case("My.Layer-X") == "my_layer_x");  // non-word characters dropped first
}

TEST_CASE("keras weights: a Sequential model's file, as Keras 3.6+ lays it out") {
    TempDir dir;
    const std::string path = dir.path("seq.weights.h5");
    const Model model = testing::dense_bn_sequential();
    testing::randomize(model, 1);
    model.save_weights(path);

    // Superblock version 2 (the HDF5 1.8 format): metadata with checksums.
    std::ifstream in(path, std::ios::binary);
    std::string head(9, '\0');
    in.read(head.data(), 9);
    CHECK(head[8] == 2);

    raw::Obj f(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
    // No InputLayer; keys from class names with a per-class counter, not the user's names; Dropout has an empty
    // vars group; no optimizer group for a model that is not compiled.
    CHECK(raw::object_paths(f) == Strings{"layers/",
                                          "layers/batch_normalization/",
                                          "layers/batch_normalization/vars/",
                                          "layers/batch_normalization/vars/0",
                                          "layers/batch_normalization/vars/1",
                                          "layers/batch_normalization/vars/2",
                                          "layers/batch_normalization/vars/3",
                                          "layers/dense/",
                                          "layers/dense/vars/",
                                          "layers/dense/vars/0",
                                          "layers/dense/vars/1",
                                          "layers/dense_1/",
                                          "layers/dense_1/vars/",
                                          "layers/dense_1/vars/0",
                                          "layers/dense_1/vars/1",
                                          "layers/dropout/",
                                          "layers/dropout/vars/",
                                          "vars/"});
    CHECK(raw::string_attribute(f, "vars", "name") == model.name());
    CHECK(raw::string_attribute(f, "layers/dense/vars", "name") == "ftr0");
    CHECK(raw::string_attribute(f, "layers/batch_normalization/vars", "name") == "bn0");
    // vars/<i> in creation order: gamma, beta, moving_mean, moving_variance; float32 little-endian.
    const auto bn = model.get_layer("bn0")->get_weights();
    for (int i = 0; i < 4; ++i) {
        const std::string var = "layers/batch_normalization/vars/" + std::to_string(i);
        CHECK(raw::dataset_type_is(f, var, H5T_IEEE_F32LE));
        const std::vector<double> values = raw::read_values(f, var);
        CHECK(values == std::vector<double>(bn[i].data(), bn[i].data() + 3));
    }
    const auto kernel = model.get_layer("ftr0")->get_weights()[0];
    CHECK(raw::read_values(f, "layers/dense/vars/0") == std::vector<double>(kernel.data(), kernel.data() + 12));
}

TEST_CASE("keras weights: a Functional model keeps its InputLayer, nested models recurse into layers/") {
    TempDir dir;
    const std::string functional = dir.path("functional.weights.h5");
    testing::residual_functional().save_weights(functional);
    raw::Obj f(H5Fopen(functional.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
    const Strings paths = raw::object_paths(f);
    for (const char* expected : {"layers/input_layer/vars/", "layers/dense/vars/0", "layers/add/vars/",
                                 "layers/batch_normalization/vars/3", "layers/dense_1/vars/1"})
        CHECK(std::find(paths.begin(), paths.end(), expected) != paths.end());

    const std::string nested = dir.path("nested.weights.h5");
    testing::nested_models().save_weights(nested);
    raw::Obj n(H5Fopen(nested.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
    CHECK(raw::object_paths(n) == Strings{"layers/",
                                          "layers/dense/",
                                          "layers/dense/vars/",
                                          "layers/dense/vars/0",
                                          "layers/dense/vars/1",
                                          "layers/functional/",
                                          "layers/functional/layers/",
                                          "layers/functional/layers/dense/",
                                          "layers/functional/layers/dense/vars/",
                                          "layers/functional/layers/dense/vars/0",
                                          "layers/functional/layers/dense/vars/1",
                                          "layers/functional/layers/input_layer/",
                                          "layers/functional/layers/input_layer/vars/",
                                          "layers/functional/vars/",
                                          "layers/sequential/",
                                          "layers/sequential/layers/",
                                          "layers/sequential/layers/batch_normalization/",
                                          "layers/sequential/layers/batch_normalization/vars/",
                                          "layers/sequential/layers/batch_normalization/vars/0",
                                          "layers/sequential/layers/batch_normalization/vars/1",
                                          "layers/sequential/layers/batch_normalization/vars/2",
                                          "layers/sequential/layers/batch_normalization/vars/3",
                                          "layers/sequential/layers/dense/",
                                          "layers/sequential/layers/dense/vars/",
                                          "layers/sequential/layers/dense/vars/0",
                                          "layers/sequential/layers/dense/vars/1",
                                          "layers/sequential/vars/",
                                          "vars/"});
}

TEST_CASE("keras weights: a compiled model's file holds the optimizer state: int64 iteration, float32 rate, slots") {
    TempDir dir;
    const std::string path = dir.path("compiled.weights.h5");
    const Model model = testing::dense_bn_sequential();
    model.compile({.optimizer = optim::Adam({.learning_rate = 0.01}), .loss = "mse"});
    const Tensor x = Tensor::random_normal({8, 4}, 0.0f, 1.0f, 3), y = Tensor::random_normal({8, 2}, 0.0f, 1.0f, 4);
    model.train_on_batch(x, y);
    model.train_on_batch(x, y);
    model.save_weights(path);

    raw::Obj f(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
    CHECK(raw::string_attribute(f, "optimizer/vars", "name") == "adam");
    CHECK(raw::dataset_type_is(f, "optimizer/vars/0", H5T_STD_I64LE));
    CHECK(raw::read_values(f, "optimizer/vars/0") == std::vector<double>{2});
    CHECK(raw::dataset_type_is(f, "optimizer/vars/1", H5T_IEEE_F32LE));
    CHECK(raw::read_values(f, "optimizer/vars/1") == std::vector<double>{0.01f});
    // 6 trainable variables (two Dense kernels and biases, gamma, beta): a momentum and a velocity each.
    const Strings paths = raw::object_paths(f);
    const auto slot = [](const std::string& p) { return p.starts_with("optimizer/vars/") && !p.ends_with("/"); };
    CHECK(std::count_if(paths.begin(), paths.end(), slot) == 14);
}

TEST_CASE("keras weights: save_weights wants a .weights.h5 name, as Keras 3") {
    TempDir dir;
    const Model model = testing::dense_bn_sequential();
    CHECK_THROWS_WITH_AS(model.save_weights(dir.path("model.h5")),
                         doctest::Contains("must end in '.weights.h5'"), ValueError);
    CHECK_FALSE(std::filesystem::exists(dir.path("model.h5")));
}

TEST_CASE("keras weights: unbuilt layers cannot be saved or loaded") {
    TempDir dir;
    Sequential unbuilt({layers::Dense({.name = "later", .units = 2})});
    CHECK_THROWS_WITH_AS(unbuilt.save_weights(dir.path("x.weights.h5")), doctest::Contains("'later'"), StateError);
    CHECK_THROWS_AS(serialization::load_weights_from_bytes(unbuilt, serialization::save_weights_to_bytes(
                                                                        testing::dense_bn_sequential())),
                    StateError);
}

namespace {

// Saves a randomized model, loads the file into a differently randomized twin, and compares.
void check_round_trip(const testing::ModelFactory& build, const Tensor& x) {
    TempDir dir;
    const std::string path = dir.path("model.weights.h5");
    const Model saved = build();
    testing::randomize(saved, 100);
    saved.save_weights(path);

    const Model loaded = build();
    testing::randomize(loaded, 200);
    REQUIRE_FALSE(all_equal(loaded.get_weights(), saved.get_weights()));
    loaded.load_weights(path);
    CHECK(all_equal(loaded.get_weights(), saved.get_weights()));
    CHECK(array_equal(loaded.predict(x), saved.predict(x)));
}

}  // namespace

TEST_CASE("keras weights: round trips reproduce predictions to the last bit") {
    SUBCASE("Sequential with BatchNormalization and Dropout") {
        check_round_trip(testing::dense_bn_sequential, Tensor::random_normal({6, 4}, 0.0f, 1.0f, 5));
    }
    SUBCASE("Functional with a residual Add") {
        check_round_trip(testing::residual_functional, Tensor::random_normal({6, 4}, 0.0f, 1.0f, 6));
    }
    SUBCASE("nested Sequential and Functional models") {
        check_round_trip(testing::nested_models, Tensor::random_normal({6, 4}, 0.0f, 1.0f, 7));
    }
    SUBCASE("BatchNormalization on axis 1 with renorm: all seven variables") {
        REQUIRE(testing::renorm_axis1().weights().size() == 9);
        check_round_trip(testing::renorm_axis1, Tensor::random_normal({6, 3, 4, 2}, 0.0f, 1.0f, 8));
    }
}

TEST_CASE("keras weights: bytes round trip (the model.weights.h5 member of a .keras archive)") {
    const Model saved = testing::nested_models();
    testing::randomize(saved, 300);
    const std::string bytes = serialization::save_weights_to_bytes(saved);
    const Model loaded = testing::nested_models();
    serialization::load_weights_from_bytes(loaded, bytes);
    CHECK(all_equal(loaded.get_weights(), saved.get_weights()));
}
