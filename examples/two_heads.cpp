// A Functional model with two outputs: one shared trunk, a "arm" head that classifies which spiral arm a point is
// on and a "radius" head that regresses its distance from the origin. Shows per-output losses and loss_weights,
// per-output metrics, the Keras 3 log names ("arm_loss", "val_radius_mae", ...), a checkpoint that monitors one
// head's metric, predict_outputs, and a .keras round trip. Exits non-zero if a claim fails.
#include <kiln/kiln.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "claims.hpp"

using namespace kiln;
using examples::expect;

namespace {

// The distance of each point from the origin, as a column [N, 1].
Tensor radii(const Tensor& points) {
    const int64_t n = points.dim(0);
    std::vector<float> r;
    for (int64_t i = 0; i < n; ++i) r.push_back(std::hypot(points.at({i, 0}), points.at({i, 1})));
    return Tensor(std::move(r), Shape{n, 1});
}

}  // namespace

int main() {
    set_random_seed(5);
    const auto data = datasets::make_spirals(1200, 2, 0.05, 11);
    const Tensor radius = radii(data.x);
    const auto dir = std::filesystem::temp_directory_path() / "kiln_two_heads_example";
    std::filesystem::create_directories(dir);
    const std::string best = (dir / "best.keras").string();

    auto input = layers::Input({2}, {.name = "point"});
    auto trunk = layers::Dense({.units = 64, .activation = "relu"})(input);
    trunk = layers::BatchNormalization()(trunk);
    trunk = layers::Dense({.units = 64, .activation = "relu"})(trunk);
    auto arm = layers::Dense({.name = "arm", .units = 2})(trunk);
    auto distance = layers::Dense({.name = "radius", .units = 1})(trunk);
    Model model(input, {arm, distance}, "two_heads");
    model.compile({.optimizer = optim::Adam({.learning_rate = 1e-2}),
                   .loss = {{"arm", LossArg(losses::SparseCategoricalCrossentropy({.from_logits = true}))},
                            {"radius", "mse"}},
                   .loss_weights = {{"arm", 1.0}, {"radius", 5.0}},
                   .metrics = MetricsByOutput{{"arm", {"accuracy"}}, {"radius", {"mae"}}}});
    model.summary();

    auto checkpoint = std::make_shared<ModelCheckpoint>(
        ModelCheckpointOptions{.filepath = best, .monitor = "val_arm_accuracy", .save_best_only = true});
    // y by output name; a list {data.y, radius} in output order is the same.
    const History history =
        model.fit(data.x, std::map<std::string, Tensor>{{"arm", data.y}, {"radius", radius}},
                  {.batch_size = 32, .epochs = 60, .verbose = 0, .callbacks = {checkpoint}, .validation_split = 0.2});
    for (const char* key : {"loss", "arm_loss", "radius_loss", "arm_accuracy", "radius_mae", "val_loss",
                            "val_arm_loss", "val_radius_loss", "val_arm_accuracy", "val_radius_mae"})
        expect(history.history.count(key) == 1, cat("History has '", key, "'"));

    const auto scores = model.evaluate(data.x, {data.y, radius}, {.verbose = 0});
    std::printf("arm accuracy %.4f, radius mae %.4f, total loss %.4f\n", scores.at("arm_accuracy"),
                scores.at("radius_mae"), scores.at("loss"));
    expect(scores.at("arm_accuracy") > 0.95, cat("the arm head separates the spirals (accuracy ", scores.at("arm_accuracy"), ")"));
    expect(scores.at("radius_mae") < 0.05, cat("the radius head measures the distance (mae ", scores.at("radius_mae"), ")"));
    expect(std::abs(scores.at("loss") - (scores.at("arm_loss") + 5.0 * scores.at("radius_loss"))) < 1e-4,
           "the total loss is arm_loss + 5 radius_loss");

    const std::vector<Tensor> outputs = model.predict_outputs(data.x);
    const std::string saved = (dir / "model.keras").string();
    model.save(saved);
    const Model reloaded = load_model(saved);
    expect(examples::same(reloaded.predict_outputs(data.x), outputs), "the reloaded .keras model predicts the same");
    expect(load_model(best).output_names() == std::vector<std::string>{"arm", "radius"},
           "the checkpoint kept both heads");
    std::filesystem::remove_all(dir);
    return examples::exit_status();
}
