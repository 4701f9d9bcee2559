// Keras callbacks: EarlyStopping, LearningRateScheduler, ReduceLROnPlateau, TerminateOnNaN and CSVLogger. Most
// cases drive a callback by hand (set_model, then hooks with made-up logs, stopping as fit() does when the model's
// stop flag is set); one real fit per callback shows the wiring. Expected values are worked out in the comments.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>
#include <kiln/callbacks/format.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>

using namespace kiln;

namespace {

// A compiled Dense(1) model on 2 inputs, trained by SGD at `learning_rate`.
Sequential small_model(double learning_rate = 1.0, std::vector<MetricArg> metrics = {}) {
    Sequential model({layers::Input({2}), layers::Dense({.units = 1})});
    model.compile({.optimizer = optim::SGD({.learning_rate = learning_rate}), .loss = "mse", .metrics = metrics});
    return model;
}

// A model whose training loss is exactly 0 from the start and stays so (zero weights, zero targets: zero
// gradients), so no monitored loss can ever improve on its first value; with its 8 samples.
struct FlatModel {
    Sequential model{
        {layers::Input({2}), layers::Dense({.units = 1, .kernel_initializer = initializers::get("zeros")})}};
    Tensor x = Tensor::random_normal({8, 2}, 0.0f, 1.0f, 3);
    Tensor y = Tensor::zeros({8, 1});
    explicit FlatModel(double learning_rate = 0.5) {
        model.compile({.optimizer = optim::SGD({.learning_rate = learning_rate}), .loss = "mse"});
    }
};

// Calls on_epoch_end with {key: values[i]} for epoch i = 0, 1, ... until the model's stop flag is set, as fit()
// does (after on_train_begin); returns the number of epochs run.
int drive_epochs(Callback& cb, Model& model, const std::vector<double>& values, const std::string& key = "val_loss") {
    cb.set_model(&model);
    cb.on_train_begin({});
    int epochs = 0;
    for (double v : values) {
        if (model.stop_training()) break;
        cb.on_epoch_end(epochs++, {{key, v}});
    }
    return epochs;
}

// The optimizer's learning rate after each epoch end, driving `cb` through `values` of val_loss.
std::vector<double> rates_after(Callback& cb, Model& model, const std::vector<double>& values) {
    cb.set_model(&model);
    cb.on_train_begin({});
    std::vector<double> rates;
    for (size_t epoch = 0; epoch < values.size(); ++epoch) {
        cb.on_epoch_end(static_cast<int>(epoch), {{"val_loss", values[epoch]}});
        rates.push_back(model.optimizer().learning_rate());
    }
    return rates;
}

// Dense(1) weights marking an epoch: kernel all (epoch + 1), bias -(epoch + 1).
std::vector<Tensor> epoch_weights(int epoch) {
    const auto v = static_cast<float>(epoch + 1);
    return {Tensor::full({2, 1}, v), Tensor::full({1}, -v)};
}

bool weights_equal(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (!array_equal(a[i], b[i])) return false;
    return true;
}

// Runs EarlyStopping as fit() would while the model's weights are set to epoch_weights(epoch) during each epoch.
int drive_with_weights(EarlyStopping& es, Model& model, const std::vector<double>& values) {
    es.set_model(&model);
    es.on_train_begin({});
    int epochs = 0;
    for (double v : values) {
        if (model.stop_training()) break;
        model.set_weights(epoch_weights(epochs));
        es.on_epoch_end(epochs++, {{"val_loss", v}});
    }
    es.on_train_end({});
    return epochs;
}

// Captures what a scope writes to a stream.
struct Capture {
    std::ostream& stream;
    std::ostringstream text;
    std::streambuf* saved = stream.rdbuf(text.rdbuf());
    explicit Capture(std::ostream& s) : stream(s) {}
    ~Capture() { stream.rdbuf(saved); }
};

size_t count_of(const std::string& text, const std::string& part) {
    size_t n = 0;
    for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
    return n;
}

// A fresh path in the temporary directory, removed at the end of the scope.
struct TempPath {
    std::filesystem::path path;
    explicit TempPath(const std::string& name)
        : path(std::filesystem::temp_directory_path() / ("kiln_test_callbacks_" + name)) {
        std::filesystem::remove(path);
    }
    ~TempPath() { std::filesystem::remove(path); }
    std::string str() const { return path.string(); }
};

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

// ---------------------------------------------------------------------------------------------- EarlyStopping

TEST_CASE("callbacks: EarlyStopping min mode stops after patience epochs without improvement") {
    Sequential model = small_model();
    SUBCASE("patience 0: the first epoch that does not improve stops") {
        // 1.0 and 0.9 improve; 0.95 does not: stop at epoch 2, after 3 epochs.
        EarlyStopping es;
        CHECK(drive_epochs(es, model, {1.0, 0.9, 0.95, 0.5}) == 3);
        CHECK(es.stopped_epoch() == 2);
        CHECK(es.best() == 0.9);
        CHECK(es.best_epoch() == 1);
    }
    SUBCASE("patience 2: two epochs in a row without improvement stop") {
        // e0 best 1.0; e1 wait 1; e2 0.9 improves, wait 0; e3 wait 1; e4 wait 2: stop at epoch 4.
        EarlyStopping es({.patience = 2});
        CHECK(drive_epochs(es, model, {1.0, 1.1, 0.9, 1.0, 1.0, 0.5}) == 5);
        CHECK(es.stopped_epoch() == 4);
        CHECK(es.best() == 0.9);
    }
    SUBCASE("an equal value is no improvement") {
        EarlyStopping es({.monitor = "loss"});
        CHECK(drive_epochs(es, model, {0.5, 0.5, 0.1}, "loss") == 2);
    }
    SUBCASE("steady improvement never stops") {
        EarlyStopping es;
        CHECK(drive_epochs(es, model, {5.0, 4.0, 3.0, 2.0}) == 4);
        CHECK(es.stopped_epoch() == 0);
        CHECK_FALSE(model.stop_training());
    }
}

TEST_CASE("callbacks: EarlyStopping max and auto modes") {
    Sequential model = small_model();
    SUBCASE("max: rising values improve, an equal one does not") {
        // e0 0.1, e1 0.2 improve; e2 0.2 does not: wait 1 >= patience 1, stop at epoch 2.
        EarlyStopping es({.monitor = "val_score", .patience = 1, .mode = "max"});
        CHECK(drive_epochs(es, model, {0.1, 0.2, 0.2, 0.3}, "val_score") == 3);
        CHECK(es.stopped_epoch() == 2);
    }
    SUBCASE("min on a name that would be maximized in auto mode") {
        EarlyStopping es({.monitor = "val_accuracy", .mode = "min"});
        CHECK(drive_epochs(es, model, {0.5, 0.6, 0.7}, "val_accuracy") == 2);
    }
    SUBCASE("auto maximizes accuracy: 0.6 improves on 0.5, 0.55 does not") {
        EarlyStopping es({.monitor = "val_accuracy"});
        CHECK(drive_epochs(es, model, {0.5, 0.6, 0.55, 0.9}, "val_accuracy") == 3);
        CHECK(es.stopped_epoch() == 2);
    }
    SUBCASE("auto maximizes auc, precision and recall and minimizes losses and errors") {
        for (std::string name : {"auc", "val_precision", "recall", "binary_accuracy"}) {
            CAPTURE(name);
            Sequential m = small_model();
            EarlyStopping es({.monitor = name});
            CHECK(drive_epochs(es, m, {0.5, 0.6, 0.5}, name) == 3);
        }
        for (std::string name : {"loss", "val_loss", "mean_squared_error", "val_mae", "categorical_crossentropy"}) {
            CAPTURE(name);
            Sequential m = small_model();
            EarlyStopping es({.monitor = name});
            CHECK(drive_epochs(es, m, {0.5, 0.4, 0.5}, name) == 3);
        }
    }
    SUBCASE("auto follows the class of a compiled metric with a custom name") {
        // "fit_quality" tells nothing by its name; it is a BinaryAccuracy, so it is maximized.
        Sequential m = small_model(1.0, {MetricArg(std::make_shared<metrics::BinaryAccuracy>(0.5, "fit_quality"))});
        EarlyStopping es({.monitor = "val_fit_quality"});
        CHECK(drive_epochs(es, m, {0.5, 0.6, 0.5}, "val_fit_quality") == 3);
    }
    SUBCASE("auto on a name that tells no direction is a ValueError, as Keras") {
        EarlyStopping es({.monitor = "val_score"});
        es.set_model(&model);
        es.on_train_begin({});
        CHECK_THROWS_AS(es.on_epoch_end(0, {{"val_score", 1.0}}), ValueError);
    }
    SUBCASE("an unknown mode is a ValueError") {
        CHECK_THROWS_AS(EarlyStopping({.mode = "maximum"}), ValueError);
    }
}

TEST_CASE("callbacks: EarlyStopping min_delta: a change must exceed it to count") {
    Sequential model = small_model();
    SUBCASE("exactly min_delta is not enough") {
        // 0.75 + 0.25 < 1.0 is false: no improvement, stop at epoch 1.
        EarlyStopping es({.min_delta = 0.25});
        CHECK(drive_epochs(es, model, {1.0, 0.75, 0.0}) == 2);
        CHECK(es.best() == 1.0);
    }
    SUBCASE("more than min_delta is an improvement") {
        EarlyStopping es({.min_delta = 0.25});
        CHECK(drive_epochs(es, model, {1.0, 0.5, 0.3}) == 3);  // 0.5 improves; 0.3 + 0.25 < 0.5 is false
        CHECK(es.best() == 0.5);
    }
    SUBCASE("a negative min_delta counts by its magnitude") {
        EarlyStopping es({.min_delta = -0.25});
        CHECK(drive_epochs(es, model, {1.0, 0.75, 0.0}) == 2);
    }
    SUBCASE("in max mode the value must rise by more than min_delta") {
        // 1.25 - 0.25 > 1.0 is false: stop at epoch 1.
        EarlyStopping es({.monitor = "acc", .min_delta = 0.25, .patience = 1});
        CHECK(drive_epochs(es, model, {1.0, 1.25, 2.0}, "acc") == 2);
        CHECK(es.best() == 1.0);
        // 1.5 - 0.25 > 1.0 is true; then 1.25 - 0.25 > 1.5 is false: stop at epoch 2.
        model.set_stop_training(false);
        CHECK(drive_epochs(es, model, {1.0, 1.5, 1.25, 2.0}, "acc") == 3);
        CHECK(es.best() == 1.5);
    }
}

TEST_CASE("callbacks: EarlyStopping baseline: only epochs that beat it restart the patience count") {
    Sequential model = small_model();
    SUBCASE("improving epochs that miss the baseline keep counting") {
        // baseline 0.5, patience 2. e0: 1.0 improves (no best yet) but misses the baseline: wait 1. e1: 0.9
        // improves, misses it: wait 2 (an improving epoch never stops). e2: 0.95 does not improve, wait 3 >= 2: stop.
        EarlyStopping es({.patience = 2, .baseline = 0.5});
        CHECK(drive_epochs(es, model, {1.0, 0.9, 0.95, 0.1}) == 3);
        CHECK(es.stopped_epoch() == 2);
        CHECK(es.best() == 0.9);
    }
    SUBCASE("without the baseline the same values run on") {
        EarlyStopping es({.patience = 2});
        CHECK(drive_epochs(es, model, {1.0, 0.9, 0.95, 0.1}) == 4);
    }
    SUBCASE("an epoch that beats the baseline restarts the count") {
        // e0 wait 1; e1 0.4 beats best and baseline: wait 0; e2 wait 1; e3 wait 2: stop at epoch 3.
        EarlyStopping es({.patience = 2, .baseline = 0.5});
        CHECK(drive_epochs(es, model, {1.0, 0.4, 0.45, 0.45, 0.45}) == 4);
        CHECK(es.stopped_epoch() == 3);
    }
}

TEST_CASE("callbacks: EarlyStopping start_from_epoch ignores the warm-up epochs") {
    Sequential model = small_model();
    // Epochs 0 and 1 are not monitored; e2 3.0 is the first best, e3 2.5 improves, e4 2.6 does not: stop at 4.
    EarlyStopping es({.start_from_epoch = 2});
    CHECK(drive_epochs(es, model, {1.0, 2.0, 3.0, 2.5, 2.6, 0.0}) == 5);
    CHECK(es.stopped_epoch() == 4);
    CHECK(es.best_epoch() == 3);
    Sequential other = small_model();
    EarlyStopping from_start;
    CHECK(drive_epochs(from_start, other, {1.0, 2.0, 3.0}) == 2);
}

TEST_CASE("callbacks: EarlyStopping restore_best_weights puts back the best epoch's weights exactly") {
    Sequential model = small_model();
    SUBCASE("when training stops early") {
        // Best at epoch 1 (0.5); epochs 2 and 3 do not improve: stop at 3, restore epoch 1's weights.
        EarlyStopping es({.patience = 2, .restore_best_weights = true});
        CHECK(drive_with_weights(es, model, {1.0, 0.5, 0.7, 0.8, 0.1}) == 4);
        CHECK(es.best_epoch() == 1);
        CHECK(weights_equal(model.get_weights(), epoch_weights(1)));
    }
    SUBCASE("and at the end of training that did not stop early (Keras 3)") {
        EarlyStopping es({.patience = 5, .restore_best_weights = true});
        CHECK(drive_with_weights(es, model, {1.0, 0.5, 0.7}) == 3);
        CHECK(es.stopped_epoch() == 0);
        CHECK(weights_equal(model.get_weights(), epoch_weights(1)));
    }
    SUBCASE("the best epoch's, even when no epoch beats the baseline") {
        EarlyStopping es({.patience = 3, .baseline = 0.1, .restore_best_weights = true});
        // e0 and e1 improve without beating 0.1 (wait 1, 2); e2 does not improve: wait 3 >= 3, stop at epoch 2.
        CHECK(drive_with_weights(es, model, {1.0, 0.5, 0.7, 0.8}) == 3);
        CHECK(weights_equal(model.get_weights(), epoch_weights(1)));
    }
    SUBCASE("not without the option: the last weights stay") {
        EarlyStopping es({.patience = 2});
        CHECK(drive_with_weights(es, model, {1.0, 0.5, 0.7, 0.8}) == 4);
        CHECK(weights_equal(model.get_weights(), epoch_weights(3)));
    }
    SUBCASE("nothing is restored when no epoch was monitored") {
        EarlyStopping es({.restore_best_weights = true, .start_from_epoch = 10});
        CHECK(drive_with_weights(es, model, {1.0, 0.5}) == 2);
        CHECK(weights_equal(model.get_weights(), epoch_weights(1)));
    }
}

TEST_CASE("callbacks: EarlyStopping with a monitor missing from the logs warns once and does nothing") {
    Sequential model = small_model();
    EarlyStopping es;  // monitors val_loss
    Capture err(std::cerr);
    CHECK(drive_epochs(es, model, {1.0, 2.0, 3.0}, "loss") == 3);
    CHECK_FALSE(model.stop_training());
    CHECK(count_of(err.text.str(), "warning") == 1);
    CHECK(err.text.str().find("'val_loss'") != std::string::npos);
    CHECK(err.text.str().find("(logged: loss)") != std::string::npos);
}

TEST_CASE("callbacks: EarlyStopping can be reused: on_train_begin forgets the last run") {
    Sequential model = small_model();
    EarlyStopping es;
    CHECK(drive_epochs(es, model, {1.0, 2.0}) == 2);
    model.set_stop_training(false);
    // A fresh run: 5.0 is a new first best (not compared with the old 1.0).
    CHECK(drive_epochs(es, model, {5.0, 4.0, 4.5}) == 3);
    CHECK(es.best() == 4.0);
}

TEST_CASE("callbacks: EarlyStopping in fit stops after 2 epochs on a loss that cannot improve") {
    FlatModel flat;
    auto es = std::make_shared<EarlyStopping>(EarlyStoppingOptions{.monitor = "loss", .patience = 1});
    // Epoch 0 sets the best (0); epoch 1 equals it: wait 1 >= patience 1, so fit ends after 2 of 10 epochs.
    History h = flat.model.fit(flat.x, flat.y, {.batch_size = 8, .epochs = 10, .verbose = 0, .callbacks = {es}});
    CHECK(h.epochs == std::vector<int>{0, 1});
    CHECK(h["loss"] == std::vector<double>{0.0, 0.0});
    CHECK(es->stopped_epoch() == 1);
}

// ------------------------------------------------------------------------------------- LearningRateScheduler

TEST_CASE("callbacks: LearningRateScheduler sets the rate from the schedule at each epoch begin") {
    Sequential model = small_model(0.1);
    std::vector<std::pair<int, double>> calls;
    LearningRateScheduler scheduler([&calls](int epoch, double lr) {
        calls.emplace_back(epoch, lr);
        return epoch == 0 ? lr : lr * 0.5;
    });
    scheduler.set_model(&model);
    std::vector<double> rates;
    for (int epoch = 0; epoch < 3; ++epoch) {
        scheduler.on_epoch_begin(epoch, {});
        rates.push_back(model.optimizer().learning_rate());
    }
    CHECK(rates == std::vector<double>{0.1, 0.05, 0.025});
    // The schedule sees the epoch and the rate in force before it.
    CHECK(calls == std::vector<std::pair<int, double>>{{0, 0.1}, {1, 0.1}, {2, 0.05}});
}

TEST_CASE("callbacks: LearningRateScheduler errors and verbose message") {
    Sequential model = small_model(0.1);
    CHECK_THROWS_AS(LearningRateScheduler(EpochSchedule{}), ValueError);
    LearningRateScheduler negative([](int, double) { return -1.0; });
    negative.set_model(&model);
    CHECK_THROWS_AS(negative.on_epoch_begin(0, {}), ValueError);
    LearningRateScheduler loud({.schedule = [](int, double) { return 0.25; }, .verbose = 1});
    loud.set_model(&model);
    Capture out(std::cout);
    loud.on_epoch_begin(2, {});
    CHECK(out.text.str() == "\nEpoch 3: LearningRateScheduler setting learning rate to 0.25.\n");
}

TEST_CASE("callbacks: fit's History holds the compiled loss and metrics and their val_ forms, no learning rate") {
    Sequential model = small_model(0.1, {"mae"});
    const Tensor x = Tensor::ones({8, 2}), y = Tensor::zeros({8, 1});
    History h = model.fit(x, y, {.batch_size = 4, .epochs = 2, .verbose = 0, .validation_data = std::pair{x, y}});
    std::vector<std::string> keys;
    for (const auto& [key, values] : h.history) keys.push_back(key);
    CHECK(keys == std::vector<std::string>{"loss", "mae", "val_loss", "val_mae"});
}

TEST_CASE("callbacks: LearningRateScheduler in fit: each epoch logs the rate its schedule set") {
    FlatModel flat(1.0);
    auto scheduler = std::make_shared<LearningRateScheduler>([](int epoch, double) { return 0.5 / (1 << epoch); });
    History h = flat.model.fit(flat.x, flat.y, {.batch_size = 8, .epochs = 3, .verbose = 0, .callbacks = {scheduler}});
    CHECK(h["learning_rate"] == std::vector<double>{0.5, 0.25, 0.125});
    CHECK(flat.model.optimizer().learning_rate() == 0.125);
}

// ----------------------------------------------------------------------------------------- ReduceLROnPlateau

TEST_CASE("callbacks: ReduceLROnPlateau reduces the rate after patience epochs without improvement") {
    Sequential model = small_model(1.0);
    SUBCASE("patience 2") {
        // e0 improves (best starts at +inf); e1 wait 1; e2 wait 2: rate 0.5, wait 0; e3 wait 1; e4: rate 0.25.
        ReduceLROnPlateau reduce({.factor = 0.5, .patience = 2});
        CHECK(rates_after(reduce, model, {1.0, 1.0, 1.0, 1.0, 1.0}) == std::vector<double>{1.0, 1.0, 0.5, 0.5, 0.25});
    }
    SUBCASE("an improvement restarts the count") {
        // e1 0.5 improves; e2 wait 1; e3 wait 2: reduce.
        ReduceLROnPlateau reduce({.factor = 0.5, .patience = 2});
        CHECK(rates_after(reduce, model, {1.0, 0.5, 0.5, 0.5}) == std::vector<double>{1.0, 1.0, 1.0, 0.5});
    }
    SUBCASE("the default min_delta 1e-4: a gain of 5e-5 is no improvement") {
        ReduceLROnPlateau reduce({.factor = 0.5, .patience = 1});
        CHECK(rates_after(reduce, model, {1.0, 0.99995}) == std::vector<double>{1.0, 0.5});
    }
    SUBCASE("auto maximizes accuracy") {
        ReduceLROnPlateau reduce({.monitor = "val_accuracy", .factor = 0.5, .patience = 1});
        reduce.set_model(&model);
        reduce.on_train_begin({});
        reduce.on_epoch_end(0, {{"val_accuracy", 0.5}});
        reduce.on_epoch_end(1, {{"val_accuracy", 0.75}});  // improves
        CHECK(model.optimizer().learning_rate() == 1.0);
        reduce.on_epoch_end(2, {{"val_accuracy", 0.625}});  // does not
        CHECK(model.optimizer().learning_rate() == 0.5);
    }
    SUBCASE("the defaults: factor 0.1 after 10 epochs") {
        ReduceLROnPlateau reduce;
        const std::vector<double> rates = rates_after(reduce, model, std::vector<double>(12, 1.0));
        CHECK(rates[9] == 1.0);   // epochs 1..9: wait 1..9
        CHECK(rates[10] == 0.1);  // epoch 10: wait 10, rate 1.0 * 0.1
        CHECK(rates[11] == 0.1);
    }
}

TEST_CASE("callbacks: ReduceLROnPlateau cooldown: epochs right after a reduction do not count") {
    Sequential model = small_model(1.0);
    SUBCASE("cooldown 2") {
        // patience 1. e1: reduce to 0.5, cooldown 2. e2: cooldown 1, no count. e3: cooldown 0, wait 1: 0.25,
        // cooldown 2. e4: cooldown 1. e5: 0.125.
        ReduceLROnPlateau reduce({.factor = 0.5, .patience = 1, .cooldown = 2});
        CHECK(rates_after(reduce, model, std::vector<double>(6, 1.0)) ==
              std::vector<double>{1.0, 0.5, 0.5, 0.25, 0.25, 0.125});
    }
    SUBCASE("no cooldown") {
        ReduceLROnPlateau reduce({.factor = 0.5, .patience = 1});
        CHECK(rates_after(reduce, model, std::vector<double>(4, 1.0)) == std::vector<double>{1.0, 0.5, 0.25, 0.125});
    }
}

TEST_CASE("callbacks: ReduceLROnPlateau never goes below min_lr") {
    Sequential model = small_model(1.0);
    // e1: 0.5; e2: max(0.25, 0.3) = 0.3; e3: 0.3 is not above min_lr, no change.
    ReduceLROnPlateau reduce({.factor = 0.5, .patience = 1, .min_lr = 0.3});
    CHECK(rates_after(reduce, model, std::vector<double>(4, 1.0)) == std::vector<double>{1.0, 0.5, 0.3, 0.3});
}

TEST_CASE("callbacks: ReduceLROnPlateau argument errors, missing monitor and verbose message") {
    CHECK_THROWS_AS(ReduceLROnPlateau({.factor = 1.0}), ValueError);
    CHECK_THROWS_AS(ReduceLROnPlateau({.factor = 2.0}), ValueError);
    CHECK_THROWS_AS(ReduceLROnPlateau({.mode = "up"}), ValueError);

    Sequential model = small_model(1.0);
    ReduceLROnPlateau reduce({.factor = 0.5, .patience = 1, .verbose = 1});
    reduce.set_model(&model);
    reduce.on_train_begin({});
    {
        Capture err(std::cerr);
        reduce.on_epoch_end(0, {{"loss", 1.0}});
        reduce.on_epoch_end(1, {{"loss", 1.0}});
        CHECK(count_of(err.text.str(), "warning") == 1);
        CHECK(model.optimizer().learning_rate() == 1.0);
    }
    Capture out(std::cout);
    reduce.on_epoch_end(2, {{"val_loss", 1.0}});
    reduce.on_epoch_end(3, {{"val_loss", 1.0}});
    CHECK(out.text.str() == "\nEpoch 4: ReduceLROnPlateau reducing learning rate to 0.5.\n");
}

TEST_CASE("callbacks: ReduceLROnPlateau in fit halves the rate each epoch on a flat loss") {
    FlatModel flat(0.5);
    auto reduce = std::make_shared<ReduceLROnPlateau>(
        ReduceLROnPlateauOptions{.monitor = "loss", .factor = 0.5, .patience = 1});
    // Each epoch logs the rate it trained with; the reduction at the end of epochs 1, 2, 3 takes effect after.
    History h = flat.model.fit(flat.x, flat.y, {.batch_size = 8, .epochs = 4, .verbose = 0, .callbacks = {reduce}});
    CHECK(h["learning_rate"] == std::vector<double>{0.5, 0.5, 0.25, 0.125});
    CHECK(flat.model.optimizer().learning_rate() == 0.0625);
}

// -------------------------------------------------------------------------------------------- TerminateOnNaN

TEST_CASE("callbacks: TerminateOnNaN stops on a NaN or infinite batch loss") {
    const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
    for (double bad : {nan, inf, -inf}) {
        CAPTURE(bad);
        Sequential model = small_model();
        TerminateOnNaN terminate;
        terminate.set_model(&model);
        Capture out(std::cout);
        terminate.on_train_batch_end(0, {{"loss", 1.0}});
        terminate.on_train_batch_end(1, {{"accuracy", nan}});  // not the loss
        CHECK_FALSE(model.stop_training());
        terminate.on_train_batch_end(2, {{"loss", bad}});
        CHECK(model.stop_training());
        CHECK(out.text.str() == "Batch 2: Invalid loss, terminating training\n");
    }
}

TEST_CASE("callbacks: TerminateOnNaN in fit ends training after the epoch with a NaN loss") {
    FlatModel flat;
    flat.y.data()[3] = std::numeric_limits<float>::quiet_NaN();
    Capture out(std::cout);
    const CallbackPtr terminate = std::make_shared<TerminateOnNaN>();
    History h = flat.model.fit(flat.x, flat.y, {.batch_size = 8, .epochs = 5, .verbose = 0, .callbacks = {terminate}});
    CHECK(h.epochs == std::vector<int>{0});
    CHECK(std::isnan(h["loss"][0]));
    CHECK(out.text.str() == "Batch 0: Invalid loss, terminating training\n");
}

// ------------------------------------------------------------------------------------------------- CSVLogger

TEST_CASE("callbacks: python_float writes doubles as Python's repr") {
    CHECK(python_float(0.5) == "0.5");
    CHECK(python_float(3.0) == "3.0");
    CHECK(python_float(0.0) == "0.0");
    CHECK(python_float(-0.0) == "-0.0");
    CHECK(python_float(-2.5) == "-2.5");
    CHECK(python_float(1.0 / 3) == "0.3333333333333333");
    CHECK(python_float(0.1 + 0.2) == "0.30000000000000004");
    CHECK(python_float(0.0001) == "0.0001");
    CHECK(python_float(0.00001) == "1e-05");
    CHECK(python_float(0.000123) == "0.000123");
    CHECK(python_float(1.5e-7) == "1.5e-07");
    CHECK(python_float(1e15) == "1000000000000000.0");
    CHECK(python_float(1e16) == "1e+16");
    CHECK(python_float(1.2345e100) == "1.2345e+100");
    CHECK(python_float(static_cast<double>(0.1f)) == "0.10000000149011612");
    CHECK(python_float(std::numeric_limits<double>::quiet_NaN()) == "nan");
    CHECK(python_float(std::numeric_limits<double>::infinity()) == "inf");
    CHECK(python_float(-std::numeric_limits<double>::infinity()) == "-inf");
}

TEST_CASE("callbacks: CSVLogger writes a sorted header and one flushed row per epoch") {
    TempPath file("rows.csv");
    Sequential model = small_model();
    CSVLogger logger(file.str());
    logger.set_model(&model);
    logger.on_train_begin({});
    logger.on_epoch_end(0, {{"val_loss", 0.25}, {"loss", 0.5}, {"accuracy", 1.0}});
    // Flushed: readable before training ends.
    CHECK(read_all(file.str()) == "epoch,accuracy,loss,val_loss\r\n0,1.0,0.5,0.25\r\n");
    // Keys are fixed by the first epoch: a missing one is "NA", a new one is left out.
    logger.on_epoch_end(1, {{"loss", 1.0 / 3}, {"accuracy", 0.75}, {"extra", 2.0}});
    logger.on_train_end({});
    CHECK(read_all(file.str()) ==
          "epoch,accuracy,loss,val_loss\r\n0,1.0,0.5,0.25\r\n1,0.75,0.3333333333333333,NA\r\n");
}

TEST_CASE("callbacks: CSVLogger separator, quoting and argument errors") {
    TempPath file("separator.csv");
    CSVLogger logger({.filename = file.str(), .separator = ";"});
    logger.on_train_begin({});
    logger.on_epoch_end(0, {{"loss", 0.5}, {"a;b", 1.0}, {"say \"hi\"", 2.0}});
    logger.on_train_end({});
    CHECK(read_all(file.str()) == "epoch;\"a;b\";loss;\"say \"\"hi\"\"\"\r\n0;1.0;0.5;2.0\r\n");
    CHECK_THROWS_AS(CSVLogger(file.str(), ""), ValueError);
    CHECK_THROWS_AS(CSVLogger(file.str(), ";;"), ValueError);
}

TEST_CASE("callbacks: CSVLogger append mode adds rows without a second header, overwrite mode starts over") {
    TempPath file("append.csv");
    auto run = [&file](bool append, int first_epoch) {
        CSVLogger logger(file.str(), ",", append);
        logger.on_train_begin({});
        logger.on_epoch_end(first_epoch, {{"loss", 0.5}});
        logger.on_train_end({});
    };
    run(true, 0);  // appending to a missing file writes the header
    CHECK(read_all(file.str()) == "epoch,loss\r\n0,0.5\r\n");
    run(true, 1);
    CHECK(read_all(file.str()) == "epoch,loss\r\n0,0.5\r\n1,0.5\r\n");
    run(false, 7);
    CHECK(read_all(file.str()) == "epoch,loss\r\n7,0.5\r\n");
    std::ofstream(file.path, std::ios::trunc).close();  // an empty file gets the header too
    run(true, 2);
    CHECK(read_all(file.str()) == "epoch,loss\r\n2,0.5\r\n");
}

TEST_CASE("callbacks: CSVLogger raises IOError naming a path it cannot open") {
    TempPath parent("not_a_directory");
    std::ofstream(parent.path).close();
    const std::string path = parent.str() + "/log.csv";  // under a regular file: cannot be created
    CSVLogger logger(path);
    try {
        logger.on_train_begin({});
        FAIL("expected IOError");
    } catch (const IOError& e) {
        CHECK(std::string(e.what()).find(path) != std::string::npos);
    }
}

TEST_CASE("callbacks: CSVLogger in fit logs every epoch") {
    TempPath file("fit.csv");
    FlatModel flat(0.5);
    auto logger = std::make_shared<CSVLogger>(file.str());
    flat.model.fit(flat.x, flat.y, {.batch_size = 8, .epochs = 2, .verbose = 0, .callbacks = {logger}});
    // The loss is exactly 0 at every epoch; no callback logs the learning rate, so neither does the file (Keras 3).
    CHECK(read_all(file.str()) == "epoch,loss\r\n0,0.0\r\n1,0.0\r\n");
}
