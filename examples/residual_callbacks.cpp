// A Functional model with a residual connection (Add) and a skip branch (Concatenate), trained on spirals with the
// callbacks a user reaches for: EarlyStopping, ModelCheckpoint (best model only) and CSVLogger. Exits non-zero if a
// claim fails.
#include <kiln/kiln.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "claims.hpp"

using namespace kiln;
using examples::expect;

namespace {

int64_t count_lines(const std::string& path) {
    std::ifstream in(path);
    int64_t lines = 0;
    for (std::string line; std::getline(in, line);) ++lines;
    return lines;
}

}  // namespace

int main() {
    set_random_seed(3);
    const auto data = datasets::make_spirals(1200, 2, 0.05, 9);
    const auto dir = std::filesystem::temp_directory_path() / "kiln_residual_example";
    std::filesystem::create_directories(dir);
    const std::string best = (dir / "best.keras").string(), log = (dir / "training.csv").string();

    // input -> dense -> [dense -> BN -> relu] + skip -> concatenate with the input -> classifier
    auto input = layers::Input({2});
    auto h = layers::Dense({.units = 64, .activation = "relu"})(input);
    auto branch = layers::Dense({.units = 64, .use_bias = false})(h);
    branch = layers::BatchNormalization()(branch);
    branch = layers::ReLU()(branch);
    auto residual = layers::Add()({h, branch});
    auto features = layers::Concatenate()({residual, input});
    auto output = layers::Dense({.units = 2})(features);
    Model model(input, output, "residual_spirals");
    model.compile({.optimizer = optim::Adam({.learning_rate = 1e-2}),
                   .loss = losses::SparseCategoricalCrossentropy({.from_logits = true}), .metrics = {"accuracy"}});
    model.summary();

    auto stopper = std::make_shared<EarlyStopping>(
        EarlyStoppingOptions{.monitor = "val_loss", .patience = 15, .restore_best_weights = true});
    auto checkpoint = std::make_shared<ModelCheckpoint>(
        ModelCheckpointOptions{.filepath = best, .monitor = "val_loss", .save_best_only = true});
    const int max_epochs = 200;
    const History history = model.fit(data.x, data.y,
                                      {.batch_size = 32, .epochs = max_epochs, .verbose = 0,
                                       .callbacks = {stopper, checkpoint, std::make_shared<CSVLogger>(log)},
                                       .validation_split = 0.2});
    const auto epochs_run = static_cast<int64_t>(history.epochs.size());
    const auto& val_loss = history["val_loss"];
    const double best_val_loss = *std::min_element(val_loss.begin(), val_loss.end());
    std::printf("stopped after %lld epochs, best val_loss %.4f\n", static_cast<long long>(epochs_run), best_val_loss);

    expect(epochs_run < max_epochs, "EarlyStopping ended training before the epoch limit");
    expect(count_lines(log) == epochs_run + 1, "CSVLogger wrote a header and one row per epoch");
    const auto scores = model.evaluate(data.x, data.y, {.verbose = 0});
    expect(scores.at("accuracy") > 0.95, cat("the residual model separates the spirals (accuracy ", scores.at("accuracy"), ")"));
    // restore_best_weights put back the best epoch's weights, which is the model ModelCheckpoint kept on disk.
    const Model kept = load_model(best);
    expect(allclose(kept.predict(data.x), model.predict(data.x), 0.0f, 0.0f),
           "the checkpointed best model equals the restored best weights");
    std::filesystem::remove_all(dir);
    return examples::exit_status();
}
