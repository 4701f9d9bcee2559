// evaluate, predict and the single-batch steps train_on_batch / test_on_batch / predict_on_batch, checked against
// hand computations on a one-feature linear model (y = w x + b).
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include "models/model_helpers.hpp"

using namespace kiln;
using kiln::testing::all_equal;
using kiln::testing::column;
using kiln::testing::linear_model;

TEST_CASE("model steps: train_on_batch takes one SGD step, test_on_batch and predict_on_batch use the result") {
    Sequential model = linear_model(1.0f, 0.0f);
    model.compile({.optimizer = optim::SGD({.learning_rate = 0.1}), .loss = "mse"});
    const Tensor x = column({1, 2}), y = column({3, 5});
    // Errors e = x - y = [-2, -3]: loss (4 + 9) / 2 = 6.5; dL/dw = 2/2 * (-2 * 1 - 3 * 2) = -8, dL/db = -5.
    const auto logs = model.train_on_batch(x, y);
    CHECK(logs.size() == 1);
    CHECK(logs.at("loss") == doctest::Approx(6.5));
    // w = 1 + 0.1 * 8 = 1.8, b = 0 + 0.1 * 5 = 0.5
    const std::vector<Tensor> w = model.get_weights();
    CHECK(w[0].item() == doctest::Approx(1.8));
    CHECK(w[1].item() == doctest::Approx(0.5));
    CHECK(model.optimizer().iterations() == 1);
    // Predictions [2.3, 4.1], errors [-0.7, -0.9]: loss (0.49 + 0.81) / 2 = 0.65
    CHECK(allclose(model.predict_on_batch(x), column({2.3f, 4.1f}), 1e-6f, 1e-6f));
    CHECK(model.test_on_batch(x, y).at("loss") == doctest::Approx(0.65));
    CHECK(all_equal(model.get_weights(), w));
}

TEST_CASE("model steps: sample_weight in train_on_batch, test_on_batch and evaluate follows the hand formula") {
    // y_pred = x = [1, 2, 3, 4], y = 0: squared errors [1, 4, 9, 16]; weights [1, 0, 2, 0.5]:
    // (1 + 0 + 18 + 8) / 4 = 6.75; unweighted 30 / 4 = 7.5.
    Sequential model = linear_model(1.0f, 0.0f);
    model.compile({.optimizer = optim::SGD({.learning_rate = 0.0}), .loss = "mse"});
    const Tensor x = column({1, 2, 3, 4}), y = column({0, 0, 0, 0}), sw{1, 0, 2, 0.5f};
    CHECK(model.test_on_batch(x, y).at("loss") == doctest::Approx(7.5));
    CHECK(model.test_on_batch(x, y, sw).at("loss") == doctest::Approx(6.75));
    CHECK(model.train_on_batch(x, y, sw).at("loss") == doctest::Approx(6.75));
    // In batches of 2: (1 + 0) / 2 = 0.5 and (18 + 8) / 2 = 13, averaged over the samples: (2 * 0.5 + 2 * 13) / 4.
    CHECK(model.evaluate(x, y, {.batch_size = 2, .verbose = 0, .sample_weight = sw}).at("loss") ==
          doctest::Approx(6.75));
}

TEST_CASE("model steps: train_on_batch and test_on_batch report the batch alone, not a running mean") {
    // With a zero learning rate y_pred = x: batch A has squared errors [1, 1] (loss 1), batch B [9, 25] (loss 17);
    // a running mean over both calls would give 9.
    Sequential model = linear_model(1.0f, 0.0f);
    model.compile({.optimizer = optim::SGD({.learning_rate = 0.0}), .loss = "mse", .metrics = {"mae"}});
    const Tensor xa = column({1, 2}), ya = column({0, 1}), xb = column({3, 5}), yb = column({0, 0});
    CHECK(model.train_on_batch(xa, ya).at("loss") == doctest::Approx(1.0));
    const auto second = model.train_on_batch(xb, yb);
    CHECK(second.at("loss") == doctest::Approx(17.0));
    CHECK(second.at("mae") == doctest::Approx(4.0));
    CHECK(model.test_on_batch(xa, ya).at("loss") == doctest::Approx(1.0));
    CHECK(model.test_on_batch(xb, yb).at("mae") == doctest::Approx(4.0));
}

TEST_CASE("model steps: evaluate returns the loss and metrics by name and changes no weights") {
    // y_pred = 2x + 1 = [1, 3, 5] for x = [0, 1, 2], y = 1: errors [0, 2, 4]: mse 20 / 3, mae 6 / 3.
    Sequential model = linear_model(2.0f, 1.0f);
    model.compile({.optimizer = optim::Adam({.learning_rate = 0.5}), .loss = "mse", .metrics = {"mae"}});
    const Tensor x = column({0, 1, 2}), y = column({1, 1, 1});
    const std::vector<Tensor> before = model.get_weights();
    for (int64_t batch_size : {1, 2, 32}) {
        const auto logs = model.evaluate(x, y, {.batch_size = batch_size, .verbose = 0});
        CHECK(logs.size() == 2);
        CHECK(logs.at("loss") == doctest::Approx(20.0 / 3));
        CHECK(logs.at("mae") == doctest::Approx(2.0));
    }
    CHECK(all_equal(model.get_weights(), before));
    CHECK(model.optimizer().iterations() == 0);
}

TEST_CASE("model steps: predict runs in inference mode and does not depend on the batch size") {
    layers::Dense first({.units = 4, .activation = "relu"});
    layers::Dense last({.units = 2});
    Sequential model({layers::Input({3}), first, layers::Dropout({.rate = 0.5, .seed = 1}), last});
    const Tensor x = Tensor::random_normal({10, 3}, 0.0f, 1.0f, 61);
    // Dropout is the identity at inference: the model is last(first(x)).
    const Tensor expected = last(first(x));
    for (int64_t batch_size : {1, 3, 10, 32}) {
        CAPTURE(batch_size);
        CHECK(allclose(model.predict(x, {.batch_size = batch_size}), expected, 1e-6f, 1e-6f));
    }
    CHECK(allclose(model.predict_on_batch(x), expected, 1e-6f, 1e-6f));
    CHECK(model.predict(x).shape() == Shape{10, 2});
    // predict needs no compile().
    CHECK_FALSE(model.compiled());
}
