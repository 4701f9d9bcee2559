// Optimizer state in Keras 3 weights files: training continues identically after a save and a load, and the state
// is ignored when the loading model is not compiled or the file has none. (The models have no Dropout: its random
// masks are not part of any weights file, in Keras neither.)
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include "models/model_helpers.hpp"
#include "serialization/raw_h5.hpp"
#include "serialization/weights_models.hpp"

using namespace kiln;
using kiln::testing::all_equal;
using kiln::testing::TempDir;

namespace {

void compile_adam(const Model& model) {
    model.compile({.optimizer = optim::Adam({.learning_rate = 0.01}), .loss = "mse"});
}

}  // namespace

TEST_CASE("optimizer state: a loaded compiled model trains on exactly as the saved one") {
    TempDir dir;
    const std::string path = dir.path("trained.weights.h5");
    const Tensor x = Tensor::random_normal({16, 4}, 0.0f, 1.0f, 11), y = Tensor::random_normal({16, 2}, 0.0f, 1.0f, 12);

    const Model trained = testing::residual_functional();
    testing::randomize(trained, 1);
    compile_adam(trained);
    trained.fit(x, y, {.batch_size = 4, .epochs = 1, .verbose = 0, .shuffle = false});  // 4 steps
    trained.save_weights(path);

    // A fresh twin, compiled but never trained: its optimizer has no slots until the load creates them.
    const Model resumed = testing::residual_functional();
    testing::randomize(resumed, 2);
    compile_adam(resumed);
    resumed.load_weights(path);
    CHECK(resumed.optimizer().iterations() == 4);
    REQUIRE(resumed.optimizer().variables().size() == trained.optimizer().variables().size());
    for (size_t i = 0; i < trained.optimizer().variables().size(); ++i)
        CHECK(array_equal(resumed.optimizer().variables()[i].second, trained.optimizer().variables()[i].second));

    const Tensor bx = x.slice(0, 4), by = y.slice(0, 4);
    const std::vector<Tensor> before_step = trained.get_weights();
    trained.train_on_batch(bx, by);
    resumed.train_on_batch(bx, by);
    CHECK(all_equal(resumed.get_weights(), trained.get_weights()));

    // The state is what makes them agree: the same weights with a fresh Adam take another step.
    const Model fresh = testing::residual_functional();
    compile_adam(fresh);
    fresh.set_weights(before_step);
    fresh.train_on_batch(bx, by);
    CHECK_FALSE(all_equal(fresh.get_weights(), trained.get_weights()));
}

TEST_CASE("optimizer state: ignored by a model that is not compiled, absent from a file of one") {
    TempDir dir;
    const std::string with_state = dir.path("with.weights.h5");
    const std::string without_state = dir.path("without.weights.h5");
    const Tensor x = Tensor::random_normal({4, 4}, 0.0f, 1.0f, 13), y = Tensor::random_normal({4, 2}, 0.0f, 1.0f, 14);

    const Model compiled = testing::residual_functional();
    compile_adam(compiled);
    compiled.train_on_batch(x, y);
    compiled.save_weights(with_state);

    const Model plain = testing::residual_functional();
    plain.load_weights(with_state);
    CHECK(all_equal(plain.get_weights(), compiled.get_weights()));
    CHECK_FALSE(plain.compiled());
    plain.save_weights(without_state);

    // A compiled model loading a file without optimizer state keeps its own.
    const Model other = testing::residual_functional();
    compile_adam(other);
    other.train_on_batch(x, y);
    other.train_on_batch(x, y);
    other.load_weights(without_state);
    CHECK(other.optimizer().iterations() == 2);
    CHECK(all_equal(other.get_weights(), compiled.get_weights()));
}

TEST_CASE("optimizer state: a file from another optimizer configuration is refused as a whole") {
    TempDir dir;
    const std::string path = dir.path("sgd.weights.h5");
    const Tensor x = Tensor::random_normal({4, 4}, 0.0f, 1.0f, 15), y = Tensor::random_normal({4, 2}, 0.0f, 1.0f, 16);
    const Model sgd = testing::residual_functional();
    sgd.compile({.optimizer = optim::SGD({.learning_rate = 0.1, .momentum = 0.9}), .loss = "mse"});
    sgd.train_on_batch(x, y);
    sgd.save_weights(path);  // iteration, learning rate, 6 momentums

    const Model adam = testing::residual_functional();
    testing::randomize(adam, 5);
    compile_adam(adam);  // iteration, learning rate, 6 momentums, 6 velocities
    const std::vector<Tensor> before = adam.get_weights();
    CHECK_THROWS_WITH_AS(adam.load_weights(path), doctest::Contains("missing: /optimizer/vars/13 (for 'adam/"),
                         ValueError);
    CHECK(all_equal(adam.get_weights(), before));
    CHECK(adam.optimizer().iterations() == 0);
}

TEST_CASE("optimizer state: load_model skips a state its own compile_config does not fit, as Keras does") {
    // A real Keras 3.5 .keras file holds Adam state with no optimizer in compile_config (so RMSprop, the default).
    // Keras warns and keeps the fresh optimizer; the model weights load. Here: SGD state under an Adam config.
    TempDir dir;
    const Tensor x = Tensor::random_normal({4, 4}, 0.0f, 1.0f, 17), y = Tensor::random_normal({4, 2}, 0.0f, 1.0f, 18);
    const Model sgd = testing::residual_functional();
    sgd.compile({.optimizer = optim::SGD({.learning_rate = 0.1, .momentum = 0.9}), .loss = "mse"});
    sgd.train_on_batch(x, y);
    const std::string saved = dir.path("sgd.keras");
    sgd.save(saved);

    const serialization::KerasArchive archive = serialization::read_keras_archive(saved);
    nlohmann::json config = nlohmann::json::parse(archive.config_json);
    config["compile_config"]["optimizer"] = "adam";
    const std::string mismatched = dir.path("mismatched.keras");
    serialization::write_keras_archive(mismatched, config.dump(), archive.metadata_json, archive.weights_h5);

    const Model loaded = load_model(mismatched);
    CHECK(loaded.optimizer().name() == "adam");
    CHECK(loaded.optimizer().iterations() == 0);
    CHECK(all_equal(loaded.get_weights(), sgd.get_weights()));
    // The same store through load_weights stays strict.
    CHECK_THROWS_AS(loaded.load_weights(mismatched), ValueError);
}
