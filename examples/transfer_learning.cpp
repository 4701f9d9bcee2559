// Transfer learning with BatchNormalization, as the Keras guide does it: train a base model, freeze it
// (`trainable = false`), put a new head on top, compile again and fine-tune the head. Exits non-zero if a claim
// fails. What it shows:
//   - a frozen BatchNormalization runs in inference mode, even when called with training=true, and fit() leaves
//     its moving statistics (and every base weight) exactly as they were;
//   - changing `trainable` takes effect at the next compile(): without it, fit() keeps training what compile()
//     saw as trainable, and kiln prints a warning saying so.
#include <kiln/kiln.hpp>

#include <cstdio>

#include "claims.hpp"

using namespace kiln;
using examples::expect;
using examples::same;

int main() {
    set_random_seed(5);
    // Task A: three blobs; task B: the same inputs, a new labelling (two classes), learned by a new head.
    const auto a = datasets::make_blobs(600, 3, 0.5, 21);
    std::vector<float> labels_b;
    for (const int64_t label : a.y.to_labels()) labels_b.push_back(label == 2 ? 1.0f : 0.0f);
    const Tensor y_b(labels_b, Shape{a.y.dim(0)});

    auto bn = layers::BatchNormalization({.name = "base_bn"});
    Sequential base({layers::Input({2}), layers::Dense({.name = "base_dense", .units = 16}), bn, layers::ReLU()}, "base");
    Sequential pretrain({layers::Input({2}), base, layers::Dense({.units = 3})}, "pretrain");
    pretrain.compile({.optimizer = optim::Adam({.learning_rate = 1e-2}),
                      .loss = losses::SparseCategoricalCrossentropy({.from_logits = true}), .metrics = {"accuracy"}});
    pretrain.fit(a.x, a.y, {.batch_size = 32, .epochs = 10, .verbose = 0});
    std::printf("base trained on task A: accuracy %.3f\n", pretrain.evaluate(a.x, a.y, {.verbose = 0}).at("accuracy"));

    // The new model: the pretrained base and a fresh head, compiled while the base is still trainable.
    Sequential model({layers::Input({2}), base, layers::Dense({.name = "head", .units = 2})}, "transfer");
    const auto compile = [&] {
        model.compile({.optimizer = optim::Adam({.learning_rate = 1e-2}),
                       .loss = losses::SparseCategoricalCrossentropy({.from_logits = true}), .metrics = {"accuracy"}});
    };
    compile();

    // 1. Freezing without compile(): no effect on fit (and a warning on stderr).
    base.set_trainable(false);
    auto before = base.get_weights();
    model.fit(a.x, y_b, {.batch_size = 32, .epochs = 1, .verbose = 0});
    expect(!same(base.get_weights(), before),
           "without compile(), fit still trains the base and updates its moving statistics (as Keras)");

    // 2. compile() again: now the base is frozen for fit.
    compile();
    expect(base.trainable_weights().empty() && model.trainable_weights().size() == 2,
           "after compile(), only the head's kernel and bias are trainable");
    before = base.get_weights();
    const Tensor moving_mean = bn->moving_mean().value().copy(), moving_variance = bn->moving_variance().value().copy();
    const History h = model.fit(a.x, y_b, {.batch_size = 32, .epochs = 15, .verbose = 0});
    std::printf("head fine-tuned on task B: loss %.3f -> %.3f, accuracy %.3f\n", h["loss"].front(), h["loss"].back(),
                h["accuracy"].back());
    expect(h["accuracy"].back() > 0.9, "the new head learns task B on the frozen features");
    expect(same(base.get_weights(), before), "fit left every base weight bitwise unchanged");
    expect(allclose(bn->moving_mean().value(), moving_mean, 0.0f, 0.0f) &&
               allclose(bn->moving_variance().value(), moving_variance, 0.0f, 0.0f),
           "the frozen BatchNormalization's moving mean and variance did not move");

    // 3. A frozen BatchNormalization is in inference mode whatever `training` says: it normalizes with its moving
    // statistics, so training=true and training=false agree.
    const Tensor x = a.x.slice(0, 64);
    expect(allclose(base(x, /*training=*/true), base(x, /*training=*/false), 0.0f, 0.0f),
           "the frozen base gives the same output with training=true and training=false");
    return examples::exit_status();
}
