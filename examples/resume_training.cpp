// Save, reload and continue training: a .keras file keeps the architecture, the weights, the compile settings and
// the optimizer's state (Adam's moments and step count), so a reloaded model continues exactly where the saved
// one was. Exits non-zero if a claim fails.
#include <kiln/kiln.hpp>

#include <cstdio>
#include <filesystem>

#include "claims.hpp"

using namespace kiln;
using examples::expect;

namespace {

void print_losses(const char* what, const History& h) {
    std::printf("%-36s", what);
    for (const double loss : h["loss"]) std::printf(" %.5f", loss);
    std::printf("\n");
}

}  // namespace

int main() {
    set_random_seed(1);
    const auto data = datasets::make_circles(800, 0.08, 0.5, 4);
    auto model = Sequential({layers::Input({2}), layers::Dense({.units = 32, .activation = "relu"}),
                             layers::BatchNormalization(), layers::Dense({.units = 2})},
                            "circles");
    const auto compile = [](const Model& m) {
        m.compile({.optimizer = optim::Adam({.learning_rate = 5e-3}),
                   .loss = losses::SparseCategoricalCrossentropy({.from_logits = true}), .metrics = {"accuracy"}});
    };
    compile(model);
    print_losses("first 5 epochs:", model.fit(data.x, data.y, {.batch_size = 32, .epochs = 5, .verbose = 0, .seed = 10}));

    const std::string path = (std::filesystem::temp_directory_path() / "kiln_resume_example.keras").string();
    model.save(path);
    const std::vector<Tensor> saved_weights = model.get_weights();
    Model reloaded = load_model(path);  // compiled, with the optimizer's state
    std::filesystem::remove(path);
    expect(reloaded.compiled() && reloaded.optimizer().iterations() == model.optimizer().iterations(),
           cat("the reloaded model is compiled, its optimizer at step ", reloaded.optimizer().iterations()));

    // The same 3 further epochs (same shuffling seed) on the saved model and on the reloaded one.
    const FitOptions more{.batch_size = 32, .epochs = 3, .verbose = 0, .seed = 11};
    const History continued = model.fit(data.x, data.y, more);
    const History resumed = reloaded.fit(data.x, data.y, more);
    print_losses("3 more epochs, in memory:", continued);
    print_losses("3 more epochs, after reload:", resumed);
    expect(continued["loss"] == resumed["loss"], "the reloaded model continues with exactly the same losses");
    expect(allclose(model.predict(data.x), reloaded.predict(data.x), 0.0f, 0.0f), "and ends with the same predictions");

    // For contrast: the saved weights with a freshly compiled optimizer (Adam restarts its moments and step count)
    // train differently from the same point.
    const Model fresh = model_from_json(model.to_json());
    compile(fresh);
    fresh.set_weights(saved_weights);
    const History restarted = fresh.fit(data.x, data.y, more);
    print_losses("3 more epochs, weights only:", restarted);
    expect(restarted["loss"] != resumed["loss"], "weights alone (a new optimizer) do not continue the same way");
    return examples::exit_status();
}
