// Strict loading of Keras 3 weights files: one ValueError lists every missing, unexpected, wrong-shaped and
// wrongly typed weight, and the model is left exactly as it was.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include "models/model_helpers.hpp"
#include "serialization/raw_h5.hpp"

using namespace kiln;
using kiln::testing::all_equal;
using kiln::testing::TempDir;
namespace raw = kiln::testing::raw;

namespace {

std::string load_error(const Model& model, const std::string& path) {
    try {
        model.load_weights(path);
    } catch (const ValueError& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("strict loading: every mismatch is listed in one error, and nothing is loaded") {
    TempDir dir;
    const std::string path = dir.path("three_dense.weights.h5");
    Sequential({layers::Input({4}), layers::Dense({.units = 3}), layers::Dense({.units = 2}),
                layers::Dense({.units = 2})})
        .save_weights(path);

    const Model other = Sequential({layers::Input({4}), layers::Dense({.units = 5}), layers::Dense({.units = 2}),
                                    layers::BatchNormalization()});
    const std::vector<Tensor> before = other.get_weights();
    const std::string message = load_error(other, path);
    CHECK(message.find("load_weights: '" + path + "' does not fit Sequential") == 0);
    CHECK(message.find("9 problems, nothing was loaded:") != std::string::npos);
    for (const char* line : {
             "wrong shape: /layers/dense/vars/0 has shape [4,3], 'dense",
             "wrong shape: /layers/dense/vars/1 has shape [3], 'dense",
             "wrong shape: /layers/dense_1/vars/0 has shape [3,2], 'dense",
             "missing: /layers/batch_normalization/vars/0 (for 'batch_normalization",
             "missing: /layers/batch_normalization/vars/1 (for 'batch_normalization",
             "missing: /layers/batch_normalization/vars/2 (for 'batch_normalization",
             "missing: /layers/batch_normalization/vars/3 (for 'batch_normalization",
             "unexpected: /layers/dense_2/vars/0 (float32, shape [2,2])",
             "unexpected: /layers/dense_2/vars/1 (float32, shape [2])",
         }) {
        CAPTURE(line);
        CHECK(message.find(line) != std::string::npos);
    }
    CHECK(all_equal(other.get_weights(), before));
}

TEST_CASE("strict loading: extra keys in a vars group, string data and root variables are refused") {
    TempDir dir;
    const std::string path = dir.path("odd.weights.h5");
    {
        raw::Obj f(raw::create_file(path));
        raw::dataset(f, "vars/0", {1}, {1});  // the model itself has no variables
        raw::dataset(f, "layers/dense/vars/0", {2, 2}, {1, 2, 3, 4});
        raw::dataset(f, "layers/dense/vars/2", {2}, {1, 2});
        raw::dataset(f, "layers/dense/vars/kernel", {2, 2}, {1, 2, 3, 4});
        raw::string_dataset(f, "layers/dense/vars/1", 8, 2);
        raw::dataset(f, "metrics/vars/0", {1}, {0});  // outside the layers and vars groups: not weights
    }
    const Model model = Sequential({layers::Input({2}), layers::Dense({.units = 2})});
    const std::string message = load_error(model, path);
    CHECK(message.find("4 problems") != std::string::npos);
    CHECK(message.find("wrong type: /layers/dense/vars/1 holds string data (for 'dense") != std::string::npos);
    CHECK(message.find("unexpected: /layers/dense/vars/2") != std::string::npos);
    CHECK(message.find("unexpected: /layers/dense/vars/kernel") != std::string::npos);
    CHECK(message.find("unexpected: /vars/0") != std::string::npos);
}
