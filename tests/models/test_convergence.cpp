// Convergence: small models learn the toy problems they should (moons, spirals, XOR). Seeds are fixed, so each
// run is deterministic; every case finishes within a few seconds in a Release build.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

using namespace kiln;

namespace {

// Fits a classifier with logits outputs and returns its accuracy on the training data.
double training_accuracy(const Sequential& model, const datasets::Dataset& data, double learning_rate, int epochs,
                         int64_t batch_size) {
    model.compile({.optimizer = optim::Adam({.learning_rate = learning_rate}),
                   .loss = losses::SparseCategoricalCrossentropy({.from_logits = true}),
                   .metrics = {"accuracy"}});
    model.fit(data.x, data.y, {.batch_size = batch_size, .epochs = epochs, .verbose = 0, .seed = 1});
    return model.evaluate(data.x, data.y, {.verbose = 0}).at("accuracy");
}

}  // namespace

TEST_CASE("model convergence: moons reach 97 percent training accuracy") {
    set_random_seed(100);
    const auto data = datasets::make_moons(1000, 0.1, 7);
    Sequential model({layers::Input({2}), layers::Dense({.units = 32, .activation = "relu"}),
                      layers::Dense({.units = 32, .activation = "relu"}), layers::Dense({.units = 2})});
    CHECK(training_accuracy(model, data, 1e-2, 20, 32) >= 0.97);
}

TEST_CASE("model convergence: two spirals reach 97 percent training accuracy") {
    set_random_seed(200);
    const auto data = datasets::make_spirals(600, 2, 0.0, 7);
    Sequential model({layers::Input({2}), layers::Dense({.units = 64, .activation = "relu"}),
                      layers::Dense({.units = 64, .activation = "relu"}), layers::Dense({.units = 2})});
    CHECK(training_accuracy(model, data, 1e-2, 100, 32) >= 0.97);
}

TEST_CASE("model convergence: Dense with BatchNormalization learns XOR") {
    set_random_seed(300);
    const auto data = datasets::xor_truth_table();
    Sequential model({layers::Input({2}), layers::Dense({.units = 8}), layers::BatchNormalization(),
                      layers::Activation({.activation = "relu"}), layers::Dense({.units = 2})});
    CHECK(training_accuracy(model, data, 5e-2, 300, 4) == 1.0);
    const Tensor predicted = argmax(model.predict(data.x), -1);
    CHECK(predicted.to_vector() == std::vector<float>{0, 1, 1, 0});
}
