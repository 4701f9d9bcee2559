// Misuse of the training API: training before compile(), and bad data or options, which must raise before any
// step runs so that the weights are left as they were.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include <cmath>
#include <limits>

#include "models/model_helpers.hpp"

using namespace kiln;
using kiln::testing::all_equal;
using kiln::testing::StepCounter;

namespace {

Sequential three_class_model() {
    return Sequential({layers::Input({2}), layers::Dense({.units = 3})}, "three_classes");
}

}  // namespace

TEST_CASE("model errors: training or evaluating before compile raises StateError saying to call compile") {
    Sequential model = three_class_model();
    const Tensor x = Tensor::ones({4, 2}), y = Tensor::zeros({4});
    const auto message = doctest::Contains(
        "Sequential 'three_classes': the model must be compiled before training or evaluating; call compile() first");
    CHECK_THROWS_WITH_AS(model.fit(x, y, {.verbose = 0}), message, StateError);
    CHECK_THROWS_WITH_AS(model.evaluate(x, y, {.verbose = 0}), message, StateError);
    CHECK_THROWS_WITH_AS(model.train_on_batch(x, y), message, StateError);
    CHECK_THROWS_WITH_AS(model.test_on_batch(x, y), message, StateError);
    CHECK_THROWS_WITH_AS(model.optimizer(), doctest::Contains("call compile() first"), StateError);
    CHECK_THROWS_AS(model.loss(), StateError);
    CHECK_FALSE(model.compiled());
    CHECK(model.predict(x).shape() == Shape{4, 3});
}

TEST_CASE("model errors: bad data or options raise before any step and leave the weights unchanged") {
    set_random_seed(2);
    Sequential model = three_class_model();
    model.compile({.optimizer = optim::SGD({.learning_rate = 0.1}),
                   .loss = losses::SparseCategoricalCrossentropy({.from_logits = true})});
    const Tensor x = Tensor::random_normal({10, 2}, 0.0f, 1.0f, 71);
    const Tensor y({0, 1, 2, 0, 1, 2, 0, 1, 2, 0}, Shape{10});
    const std::vector<Tensor> before = model.get_weights();

    StepCounter counter;
    auto fit_with = [&](const Tensor& xs, const Tensor& ys, FitOptions options) {
        options.verbose = 0;
        options.callbacks = {counter.callback()};
        model.fit(xs, ys, options);
    };
    // The bad label is the last one, so a check made batch by batch would have run steps before finding it.
    const Tensor bad_label({0, 1, 2, 0, 1, 2, 0, 1, 2, 3}, Shape{10});
    const Tensor fractional_label({0, 1, 2, 0, 1, 2, 0, 1, 2, 1.5f}, Shape{10});

    CHECK_THROWS_WITH_AS(fit_with(x, y.slice(0, 9), {}),
                         doctest::Contains("x and y have different numbers of samples: x has 10"), ValueError);
    CHECK_THROWS_WITH_AS(fit_with(Tensor::ones({10, 3}), y, {}),
                         doctest::Contains("expects inputs of shape [-1,2] (-1: any size), got x of shape [10,3]"),
                         ShapeError);
    CHECK_THROWS_WITH_AS(fit_with(x, bad_label, {}),
                         doctest::Contains("label 3 at index 9 is not a class index in [0, 3)"), ValueError);
    CHECK_THROWS_AS(fit_with(x, fractional_label, {}), ValueError);
    CHECK_THROWS_WITH_AS(fit_with(Tensor::zeros({0, 2}), Tensor::zeros({0}), {}),
                         doctest::Contains("the data is empty"), ValueError);
    CHECK_THROWS_WITH_AS(fit_with(x, y, {.batch_size = 0}), doctest::Contains("batch_size must be >= 1, got 0"),
                         ValueError);
    for (double split : {1.0, -0.1, std::numeric_limits<double>::quiet_NaN()}) {
        CAPTURE(split);
        CHECK_THROWS_WITH_AS(fit_with(x, y, {.validation_split = split}),
                             doctest::Contains("validation_split must be in [0, 1)"), ValueError);
    }
    // floor(10 * 0.05) = 0 training samples.
    CHECK_THROWS_WITH_AS(fit_with(x, y, {.validation_split = 0.95}),
                         doctest::Contains("leaves no training or no validation samples"), ValueError);
    CHECK_THROWS_AS(fit_with(x, y, {.validation_data = std::pair{x, bad_label}}), ValueError);
    CHECK_THROWS_AS(fit_with(x, y, {.sample_weight = Tensor::ones({9})}), ShapeError);
    CHECK_THROWS_AS(fit_with(x, y, {.epochs = -1}), ValueError);

    CHECK(counter.batches == 0);
    CHECK(counter.epochs.empty());
    CHECK(all_equal(model.get_weights(), before));
    CHECK(model.optimizer().iterations() == 0);

    CHECK_THROWS_AS(model.train_on_batch(x, bad_label), ValueError);
    CHECK_THROWS_AS(model.evaluate(x, bad_label, {.verbose = 0}), ValueError);
    CHECK_THROWS_AS(model.evaluate(x, y, {.batch_size = -3, .verbose = 0}), ValueError);
    CHECK_THROWS_AS(model.predict(x, {.batch_size = 0}), ValueError);
    CHECK_THROWS_WITH_AS(model.predict(Tensor::zeros({0, 2})), doctest::Contains("the data is empty"), ValueError);
    CHECK(all_equal(model.get_weights(), before));
}
