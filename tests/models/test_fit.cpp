// Model::fit options: the History it returns, epochs and initial_epoch, validation_split, seeded shuffling, the
// last partial batch, and sample_weight / class_weight in the loss. Losses are checked against hand formulas on
// models whose weights a zero learning rate keeps fixed.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include <set>

#include "models/model_helpers.hpp"

using namespace kiln;
using kiln::testing::all_equal;
using kiln::testing::column;
using kiln::testing::linear_model;
using kiln::testing::StepCounter;

namespace {

Sequential small_classifier() {
    return Sequential(
        {layers::Input({2}), layers::Dense({.units = 4, .activation = "relu"}), layers::Dense({.units = 2})});
}

void compile_classifier(const Model& model, double learning_rate = 0.01) {
    model.compile({.optimizer = optim::Adam({.learning_rate = learning_rate}),
                   .loss = losses::SparseCategoricalCrossentropy({.from_logits = true}),
                   .metrics = {"accuracy"}});
}

std::set<std::string> keys_of(const History& h) {
    std::set<std::string> out;
    for (const auto& [key, values] : h.history) out.insert(key);
    return out;
}

// x = 0, 1, ..., n-1 as a column.
Tensor counting_column(int64_t n) { return Tensor::arange(n).reshape({n, 1}); }

}  // namespace

TEST_CASE("model fit: History has loss, metrics and val_ entries (no learning_rate, as Keras 3), one per epoch") {
    set_random_seed(1);
    const auto data = datasets::make_moons(40, 0.1, 1);
    Sequential model = small_classifier();
    compile_classifier(model);

    const History h =
        model.fit(data.x, data.y, {.batch_size = 8, .epochs = 3, .verbose = 0, .validation_split = 0.25});
    CHECK(keys_of(h) == std::set<std::string>{"accuracy", "loss", "val_accuracy", "val_loss"});
    for (const auto& [key, values] : h.history) CHECK_MESSAGE(values.size() == 3, key);
    CHECK(h.epochs == std::vector<int>{0, 1, 2});
    for (double acc : h["accuracy"]) CHECK((acc >= 0.0 && acc <= 1.0));
    CHECK_THROWS_WITH_AS(h["mae"], doctest::Contains("no values logged as 'mae'"), ValueError);

    // The last epoch's validation values are those of the final weights on the last quarter of the data.
    const auto val = model.evaluate(data.x.slice(30, 40), data.y.slice(30, 40), {.verbose = 0});
    CHECK(h["val_loss"].back() == doctest::Approx(val.at("loss")));
    CHECK(h["val_accuracy"].back() == doctest::Approx(val.at("accuracy")));

    const History no_val = model.fit(data.x, data.y, {.batch_size = 8, .epochs = 2, .verbose = 0});
    CHECK(keys_of(no_val) == std::set<std::string>{"accuracy", "loss"});
    CHECK(no_val["loss"].size() == 2);
}

TEST_CASE("model fit: the learning_rate a ReduceLROnPlateau logs is the schedule's value after each epoch") {
    Sequential model = linear_model(1.0f, 0.0f);
    // 0.1 * 0.5^step; 3 steps per epoch.
    auto schedule = std::make_shared<optim::ExponentialDecay>(0.1, 1, 0.5);
    model.compile({.optimizer = optim::SGD({.learning_rate = schedule}), .loss = "mse"});
    // A patience it never reaches: the callback only logs the rate.
    auto logs_rate = std::make_shared<ReduceLROnPlateau>(ReduceLROnPlateauOptions{.monitor = "loss", .patience = 100});
    const History h = model.fit(counting_column(6), column({0, 0, 0, 0, 0, 0}),
                                {.batch_size = 2, .epochs = 2, .verbose = 0, .callbacks = {logs_rate}});
    REQUIRE(h["learning_rate"].size() == 2);
    CHECK(h["learning_rate"][0] == doctest::Approx(0.1 * 0.125));
    CHECK(h["learning_rate"][1] == doctest::Approx(0.1 * 0.125 * 0.125));
}

TEST_CASE("model fit: initial_epoch skips the first epochs, and nothing runs when it reaches epochs") {
    Sequential model = linear_model(1.0f, 0.0f);
    model.compile({.optimizer = optim::SGD({.learning_rate = 0.01}), .loss = "mse"});
    const Tensor x = counting_column(4), y = column({1, 1, 1, 1});

    StepCounter counter;
    const History h = model.fit(x, y, {.batch_size = 2, .epochs = 5, .verbose = 0, .callbacks = {counter.callback()},
                                       .initial_epoch = 3});
    CHECK(h.epochs == std::vector<int>{3, 4});
    CHECK(counter.epochs == std::vector<int>{3, 4});
    CHECK(counter.batches == 4);
    CHECK(h["loss"].size() == 2);

    const std::vector<Tensor> before = model.get_weights();
    StepCounter none;
    const History empty =
        model.fit(x, y, {.epochs = 2, .verbose = 0, .callbacks = {none.callback()}, .initial_epoch = 2});
    CHECK(empty.history.empty());
    CHECK(none.batches == 0);
    CHECK(all_equal(model.get_weights(), before));
}

TEST_CASE("model fit: validation_split holds out the last rows, before shuffling") {
    // y_pred = x, y = 0, learning rate 0: the mean squared error of rows [a, b) is mean(x^2) over them.
    Sequential model = linear_model(1.0f, 0.0f);
    model.compile({.optimizer = optim::SGD({.learning_rate = 0.0}), .loss = "mse"});
    const Tensor x = counting_column(10), y = column(std::vector<float>(10, 0.0f));
    const History h = model.fit(x, y, {.batch_size = 4, .epochs = 2, .verbose = 0, .validation_split = 0.3,
                                       .shuffle = true, .seed = 5});
    // floor(10 * 0.7) = 7 training rows: (0 + 1 + 4 + 9 + 16 + 25 + 36) / 7 = 13; validation rows 7, 8, 9:
    // (49 + 64 + 81) / 3 = 194 / 3.
    for (double loss : h["loss"]) CHECK(loss == doctest::Approx(13.0));
    for (double loss : h["val_loss"]) CHECK(loss == doctest::Approx(194.0 / 3.0));

    // validation_data given explicitly replaces the split: rows x = 1, 2 give (1 + 4) / 2.
    FitOptions given{.batch_size = 4, .epochs = 1, .verbose = 0};
    given.validation_data = std::pair{column({1, 2}), column({0, 0})};
    const History with_data = model.fit(x, y, given);
    CHECK(with_data["loss"].at(0) == doctest::Approx(28.5));  // all ten rows train: 285 / 10
    CHECK(with_data["val_loss"].at(0) == doctest::Approx(2.5));
}

TEST_CASE("model fit: a callback that sets stop_training ends fit after the current epoch") {
    Sequential model = linear_model(1.0f, 0.0f);
    model.compile({.optimizer = optim::SGD({.learning_rate = 0.01}), .loss = "mse"});
    auto stopper = std::make_shared<LambdaCallback>(LambdaCallbackOptions{
        .on_epoch_end = [model](int epoch, const Logs&) { model.set_stop_training(epoch == 1); },
    });
    const History h = model.fit(counting_column(4), column({1, 1, 1, 1}),
                                {.batch_size = 2, .epochs = 10, .verbose = 0, .callbacks = {stopper}});
    CHECK(h.epochs == std::vector<int>{0, 1});
    // The next fit starts afresh.
    CHECK(model.fit(counting_column(4), column({1, 1, 1, 1}), {.epochs = 3, .verbose = 0}).epochs.size() == 3);
}

TEST_CASE("model fit: shuffling is reproducible with a seed and differs between seeds") {
    const Tensor x = Tensor::random_normal({16, 2}, 0.0f, 1.0f, 41);
    const Tensor y = Tensor::random_normal({16, 1}, 0.0f, 1.0f, 42);
    Sequential model(
        {layers::Input({2}), layers::Dense({.units = 8, .activation = "tanh"}), layers::Dense({.units = 1})});
    const std::vector<Tensor> initial = model.get_weights();
    auto fit_from_start = [&](uint64_t seed, bool shuffle) {
        model.set_weights(initial);
        model.compile({.optimizer = optim::SGD({.learning_rate = 0.05}), .loss = "mse"});
        model.fit(x, y, {.batch_size = 4, .epochs = 2, .verbose = 0, .shuffle = shuffle, .seed = seed});
        return model.get_weights();
    };
    const std::vector<Tensor> a = fit_from_start(7, true);
    CHECK(all_equal(fit_from_start(7, true), a));
    CHECK_FALSE(all_equal(fit_from_start(8, true), a));
    // Without shuffling the seed plays no part.
    CHECK(all_equal(fit_from_start(7, false), fit_from_start(8, false)));
    CHECK_FALSE(all_equal(fit_from_start(7, false), a));
}

TEST_CASE("model fit: the last partial batch is a step of its own and counts in the loss") {
    Sequential model = linear_model(1.0f, 0.0f);
    model.compile({.optimizer = optim::SGD({.learning_rate = 0.0}), .loss = "mse"});
    StepCounter counter;
    const History h = model.fit(counting_column(10), column(std::vector<float>(10, 0.0f)),
                                {.batch_size = 4, .epochs = 2, .verbose = 0, .callbacks = {counter.callback()}});
    // 10 samples in batches of 4: 4 + 4 + 2, three steps per epoch.
    CHECK(counter.batches == 6);
    CHECK(counter.batch_indices == std::vector<int64_t>{0, 1, 2, 0, 1, 2});
    // The epoch loss is the mean over all ten samples: (0 + 1 + 4 + ... + 81) / 10 = 285 / 10.
    for (double loss : h["loss"]) CHECK(loss == doctest::Approx(28.5));
}

TEST_CASE("model fit: sample_weight and class_weight weight each sample's loss") {
    // y_pred = x = [1, 2, 3, 4], labels y = [0, 1, 0, 1]: squared errors [1, 1, 9, 9]. The loss is
    // sum(weight * error) / 4 (sum_over_batch_size divides by the number of samples, not by the weights).
    Sequential model = linear_model(1.0f, 0.0f);
    model.compile({.optimizer = optim::SGD({.learning_rate = 0.0}), .loss = "mse"});
    const Tensor x = column({1, 2, 3, 4}), y = column({0, 1, 0, 1});
    auto loss_with = [&](Tensor sample_weight, std::map<int64_t, double> class_weight) {
        FitOptions o{.batch_size = 4, .epochs = 1, .verbose = 0, .shuffle = false};
        o.sample_weight = std::move(sample_weight);
        o.class_weight = std::move(class_weight);
        return model.fit(x, y, o)["loss"].at(0);
    };
    CHECK(loss_with({}, {}) == doctest::Approx(20.0 / 4));
    // class 0 weighs 2, class 1 weighs 0.5: (2 * 1 + 0.5 * 1 + 2 * 9 + 0.5 * 9) / 4
    CHECK(loss_with({}, {{0, 2.0}, {1, 0.5}}) == doctest::Approx(25.0 / 4));
    // A class missing from class_weight weighs 1: (1 + 3 * 1 + 9 + 3 * 9) / 4
    CHECK(loss_with({}, {{1, 3.0}}) == doctest::Approx(40.0 / 4));
    // sample_weight [1, 2, 1, 0]: (1 * 1 + 2 * 1 + 1 * 9 + 0 * 9) / 4
    CHECK(loss_with(Tensor{1, 2, 1, 0}, {}) == doctest::Approx(12.0 / 4));
    // Both multiply: (2 * 1 * 1 + 0.5 * 2 * 1 + 2 * 1 * 9 + 0) / 4
    CHECK(loss_with(Tensor{1, 2, 1, 0}, {{0, 2.0}, {1, 0.5}}) == doctest::Approx(21.0 / 4));
}
