// The README's short example: a Dense + BatchNormalization classifier on the two-moons toy data.
#include <kiln/kiln.hpp>

#include <iostream>

using namespace kiln;

int main() {
    auto data = datasets::make_moons(1000, /*noise=*/0.1, /*seed=*/3);
    auto model = Sequential({layers::Input({2}),
                             layers::Dense({.units = 32, .activation = "relu"}),
                             layers::BatchNormalization(),
                             layers::Dense({.units = 2})});
    model.compile({.optimizer = optim::Adam({.learning_rate = 1e-2}),
                   .loss = losses::SparseCategoricalCrossentropy({.from_logits = true}),
                   .metrics = {"accuracy"}});
    model.summary();
    History h = model.fit(data.x, data.y, {.batch_size = 32, .epochs = 20, .validation_split = 0.2});
    auto scores = model.evaluate(data.x, data.y);  // {"accuracy": ..., "loss": ...}
    Tensor logits = model.predict(data.x);         // training=false: BN uses its moving statistics
    model.save("moons.keras");                     // Keras 3 archive: config, weights, optimizer state
    Model again = load_model("moons.keras");       // also reads Keras/tf.keras .keras and legacy .h5 files
    const bool same = allclose(again.predict(data.x), logits, 0.0f, 0.0f);
    std::cout << "accuracy " << scores.at("accuracy") << ", first logits " << logits.slice(0, 1)
              << (same ? ", reloaded model predicts the same\n" : ", reloaded model DIFFERS\n");
    return scores.at("accuracy") > 0.9 && same ? 0 : 1;
}
