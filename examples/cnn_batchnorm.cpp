// A small CNN with BatchNormalization, written only against <kiln/kiln.hpp> in the style of design.md, that checks
// the Keras-documented behaviours a user relies on and exits non-zero if one fails:
//   fit trains and updates BN's moving statistics; evaluate/predict run in inference mode and change nothing;
//   predictions do not depend on the batch size; bn.trainable = false takes effect at the next compile(), after
//   which fit leaves BN untouched and runs it in inference mode.
// The data: 8x8 single-channel images holding a horizontal (class 0) or vertical (class 1) bar, plus noise,
// on an offset of 5 so that BN has something to normalize.
#include <kiln/kiln.hpp>

#include <cmath>
#include <iostream>
#include <random>

#include "claims.hpp"

using namespace kiln;
using examples::expect;
using examples::same;

namespace {

struct Images {
    Tensor x, y;
};

Images make_bars(int64_t count, unsigned seed) {
    std::mt19937 gen(seed);
    std::normal_distribution<float> noise(0.0f, 0.3f);
    std::uniform_int_distribution<int> position(1, 6);
    std::vector<float> pixels(static_cast<size_t>(count) * 64), labels(static_cast<size_t>(count));
    for (int64_t n = 0; n < count; ++n) {
        const int label = static_cast<int>(n % 2), at = position(gen);
        labels[static_cast<size_t>(n)] = static_cast<float>(label);
        for (int r = 0; r < 8; ++r)
            for (int c = 0; c < 8; ++c) {
                const bool on_bar = label == 0 ? r == at : c == at;
                pixels[static_cast<size_t>(n * 64 + r * 8 + c)] = 5.0f + (on_bar ? 2.0f : 0.0f) + noise(gen);
            }
    }
    return {Tensor(std::move(pixels), {count, 8, 8, 1}), Tensor(std::move(labels), {count})};
}

}  // namespace

int main() {
    set_random_seed(7);
    const Images train = make_bars(512, 1), test = make_bars(256, 2);
    auto bn = layers::BatchNormalization({.momentum = 0.9});
    auto model = Sequential({
        layers::Input({8, 8, 1}),
        layers::Conv2D({.filters = 8, .kernel_size = {3, 3}, .padding = "same", .use_bias = false}),
        bn,
        layers::ReLU(),
        layers::MaxPooling2D({.pool_size = {2, 2}}),
        layers::Flatten(),
        layers::Dense({.units = 2}),
    });
    model.compile({.optimizer = optim::Adam({.learning_rate = 1e-2}),
                   .loss = losses::SparseCategoricalCrossentropy({.from_logits = true}),
                   .metrics = {"accuracy"}});
    model.summary();

    const Tensor mean_before = bn->moving_mean().value().copy();
    History history = model.fit(train.x, train.y, {.batch_size = 32, .epochs = 4, .verbose = 2, .validation_split = 0.25});
    std::cout << "checks:\n";
    expect(history.history.at("loss").back() < history.history.at("loss").front(), "fit lowers the loss");
    expect(!allclose(bn->moving_mean().value(), mean_before, 0.0f, 0.0f), "fit updates BN's moving mean");

    const std::vector<Tensor> trained = model.get_weights();
    const auto scores = model.evaluate(test.x, test.y, {.verbose = 0});
    expect(scores.at("accuracy") > 0.9, "test accuracy above 0.9");
    const Tensor by_32 = model.predict(test.x, {.batch_size = 32});
    const Tensor by_7 = model.predict(test.x, {.batch_size = 7});
    expect(allclose(by_32, by_7, 1e-5f, 1e-5f), "predict does not depend on the batch size");
    expect(same(model.get_weights(), trained), "evaluate and predict change no weight or statistic");

    // Freezing BN takes effect at the next compile(); then fit runs it in inference mode and never updates it.
    bn->set_trainable(false);
    model.compile({.optimizer = optim::SGD({.learning_rate = 0.0}),
                   .loss = losses::SparseCategoricalCrossentropy({.from_logits = true})});
    const std::vector<Tensor> bn_before = bn->get_weights();
    const Tensor batch_x = test.x.slice(0, 16), batch_y = test.y.slice(0, 16);
    const double step_loss = model.train_on_batch(batch_x, batch_y).at("loss");
    const double eval_loss = model.evaluate(batch_x, batch_y, {.verbose = 0}).at("loss");
    expect(std::abs(step_loss - eval_loss) < 1e-6, "frozen BN: train_on_batch loss equals evaluate's");
    model.fit(train.x, train.y, {.batch_size = 64, .epochs = 1, .verbose = 0});
    expect(same(bn->get_weights(), bn_before), "frozen BN: fit leaves gamma, beta and moving statistics");
    expect(bn->trainable_weights().empty(), "frozen BN has no trainable weights");

    std::cout << (examples::failures() == 0 ? "all behaviours as Keras documents\n" : "some behaviours differ from Keras\n");
    return examples::exit_status();
}
