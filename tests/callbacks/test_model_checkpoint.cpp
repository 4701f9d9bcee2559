// ModelCheckpoint: file names from the epoch and the logs, saving every epoch, every N batches, or only on an
// improvement of the monitored value, whole models (.keras) or weights (.weights.h5). Most cases drive the
// callback by hand with made-up logs; one fit shows the wiring and that the saved file holds the best epoch.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include <filesystem>

#include "support/temp_dir.hpp"

using namespace kiln;
using kiln::testing::TempDir;

namespace {

Sequential small_model() {
    Sequential model({layers::Input({2}), layers::Dense({.units = 1})});
    model.compile({.optimizer = optim::SGD({.learning_rate = 0.1}), .loss = "mse"});
    return model;
}

std::vector<std::string> files_in(const TempDir& dir) {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.root()))
        if (entry.is_regular_file()) names.push_back(std::filesystem::relative(entry.path(), dir.root()).string());
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace

TEST_CASE("ModelCheckpoint: file path fields take the 1-based epoch, the batch and log values with Python specs") {
    const Logs logs{{"val_loss", 0.123456}, {"accuracy", 0.5}};
    CHECK(format_checkpoint_path("m-{epoch:02d}-{val_loss:.2f}.keras", 4, std::nullopt, logs) == "m-05-0.12.keras");
    CHECK(format_checkpoint_path("m{epoch}_{batch:03d}.keras", 0, 9, logs) == "m1_010.keras");
    CHECK(format_checkpoint_path("{accuracy}{{x}}.keras", 0, std::nullopt, logs) == "0.5{x}.keras");
    CHECK(format_checkpoint_path("{val_loss:.3e}.keras", 0, std::nullopt, logs) == "1.235e-01.keras");
    CHECK_THROWS_WITH_AS(format_checkpoint_path("{val_acc}.keras", 0, std::nullopt, logs),
                         doctest::Contains("no value for field 'val_acc'; available: epoch, accuracy, val_loss"),
                         ValueError);
    CHECK_THROWS_WITH_AS(format_checkpoint_path("{val_loss:d}.keras", 0, std::nullopt, logs),
                         doctest::Contains("'val_loss' is a float"), ValueError);
    CHECK_THROWS_WITH_AS(format_checkpoint_path("{epoch:>5}.keras", 0, std::nullopt, logs),
                         doctest::Contains("unsupported format spec '>5'"), ValueError);
    CHECK_THROWS_AS(format_checkpoint_path("{epoch.keras", 0, std::nullopt, logs), ValueError);
}

TEST_CASE("ModelCheckpoint: the file path must suit what is saved") {
    CHECK_THROWS_WITH_AS(ModelCheckpoint({.filepath = "m.h5"}), doctest::Contains("must end in '.keras'"), ValueError);
    CHECK_THROWS_WITH_AS(ModelCheckpoint({.filepath = "m.keras", .save_weights_only = true}),
                         doctest::Contains("must end in '.weights.h5'"), ValueError);
    CHECK_THROWS_AS(ModelCheckpoint({.filepath = "m.keras", .save_freq = -1}), ValueError);
    CHECK_THROWS_AS(ModelCheckpoint({.filepath = "m.keras", .mode = "up"}), ValueError);
}

TEST_CASE("ModelCheckpoint: without save_best_only every epoch is saved, into folders created as needed") {
    TempDir dir;
    Sequential model = small_model();
    ModelCheckpoint checkpoint({.filepath = dir.path("ckpt/e{epoch}.keras")});
    checkpoint.set_model(&model);
    checkpoint.on_train_begin({});
    for (int epoch = 0; epoch < 3; ++epoch) checkpoint.on_epoch_end(epoch, {{"loss", 1.0}});
    CHECK(files_in(dir) == std::vector<std::string>{"ckpt/e1.keras", "ckpt/e2.keras", "ckpt/e3.keras"});
    CHECK(load_model(dir.path("ckpt/e3.keras")).count_params() == 3);
}

TEST_CASE("ModelCheckpoint: save_best_only saves only improvements of the monitored value, in its direction") {
    TempDir dir;
    Sequential model = small_model();
    ModelCheckpoint lowest({.filepath = dir.path("low-{epoch}.keras"), .save_best_only = true});
    ModelCheckpoint highest({.filepath = dir.path("high-{epoch}.weights.h5"), .monitor = "val_acc",
                             .save_best_only = true, .save_weights_only = true, .mode = "max"});
    for (ModelCheckpoint* c : {&lowest, &highest}) {
        c->set_model(&model);
        c->on_train_begin({});
    }
    // val_loss 3, 2, 2.5, 1: improvements at epochs 1, 2, 4; val_acc 0.1, 0.3, 0.2, 0.2: at epochs 1 and 2.
    const std::vector<std::pair<double, double>> epochs{{3, 0.1}, {2, 0.3}, {2.5, 0.2}, {1, 0.2}};
    for (int e = 0; e < 4; ++e) {
        const Logs logs{{"val_loss", epochs[e].first}, {"val_acc", epochs[e].second}};
        lowest.on_epoch_end(e, logs);
        highest.on_epoch_end(e, logs);
    }
    CHECK(files_in(dir) == std::vector<std::string>{"high-1.weights.h5", "high-2.weights.h5", "low-1.keras",
                                                    "low-2.keras", "low-4.keras"});
    CHECK(lowest.best() == 1.0);
    CHECK(highest.best() == 0.3);
}

TEST_CASE("ModelCheckpoint: initial_value_threshold must be beaten before the first save, a missing monitor skips") {
    TempDir dir;
    Sequential model = small_model();
    ModelCheckpoint checkpoint({.filepath = dir.path("m{epoch}.keras"), .save_best_only = true,
                                .initial_value_threshold = 1.5});
    checkpoint.set_model(&model);
    checkpoint.on_train_begin({});
    checkpoint.on_epoch_end(0, {{"val_loss", 2.0}});
    checkpoint.on_epoch_end(1, {{"loss", 0.1}});  // no val_loss: warned and skipped
    checkpoint.on_epoch_end(2, {{"val_loss", 1.0}});
    CHECK(files_in(dir) == std::vector<std::string>{"m3.keras"});
}

TEST_CASE("ModelCheckpoint: save_freq N saves after every N training batches, naming the batch") {
    TempDir dir;
    Sequential model = small_model();
    const Tensor x = Tensor::random_normal({10, 2}, 0.0f, 1.0f, 1), y = Tensor::zeros({10, 1});
    // 10 samples in batches of 2: 5 batches an epoch; every 2 batches: after batches 2 and 4, then across the
    // epoch boundary after batches 1, 3 and 5 of epoch 2 (the count carries on, as Keras).
    auto checkpoint = std::make_shared<ModelCheckpoint>(ModelCheckpointOptions{
        .filepath = dir.path("e{epoch}-b{batch}.weights.h5"), .save_weights_only = true, .save_freq = 2});
    model.fit(x, y, {.batch_size = 2, .epochs = 2, .verbose = 0, .callbacks = {checkpoint}, .shuffle = false});
    CHECK(files_in(dir) == std::vector<std::string>{"e1-b2.weights.h5", "e1-b4.weights.h5", "e2-b1.weights.h5",
                                                    "e2-b3.weights.h5", "e2-b5.weights.h5"});
}

TEST_CASE("ModelCheckpoint: in fit with save_best_only the file holds the weights of the best epoch") {
    TempDir dir;
    Sequential model = small_model();
    const Tensor x = Tensor::random_normal({16, 2}, 0.0f, 1.0f, 4), y = Tensor::random_normal({16, 1}, 0.0f, 1.0f, 5);
    std::vector<std::vector<Tensor>> weights_at_epoch;
    std::vector<double> losses;
    auto record = std::make_shared<LambdaCallback>(LambdaCallbackOptions{
        .on_epoch_end = [&](int, const Logs& logs) {
            weights_at_epoch.push_back(model.get_weights());
            losses.push_back(logs.at("loss"));
        }});
    const std::string path = dir.path("best.keras");
    auto checkpoint = std::make_shared<ModelCheckpoint>(
        ModelCheckpointOptions{.filepath = path, .monitor = "loss", .save_best_only = true});
    model.fit(x, y, {.batch_size = 4, .epochs = 4, .verbose = 0, .callbacks = {checkpoint, record}});
    const size_t best = static_cast<size_t>(std::min_element(losses.begin(), losses.end()) - losses.begin());
    const std::vector<Tensor> saved = load_model(path).get_weights();
    REQUIRE(saved.size() == weights_at_epoch[best].size());
    for (size_t i = 0; i < saved.size(); ++i) CHECK(allclose(saved[i], weights_at_epoch[best][i], 0.0f, 0.0f));
}
