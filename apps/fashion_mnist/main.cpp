// kiln's main demo: a CNN with BatchNormalization trained on Fashion-MNIST (Debian's dataset-fashion-mnist) the
// way a Keras user would, evaluated on the test set, saved as .keras, reloaded and checked, and drawn as SVG
// pictures. `fashion_mnist --help` lists the options.
#include <kiln/kiln.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "model.hpp"
#include "options.hpp"
#include "pictures.hpp"

using namespace kiln;

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int run(const fashion_demo::Options& o) {
    const auto start = std::chrono::steady_clock::now();
    if (o.threads > 0) set_num_threads(o.threads);
    set_random_seed(o.seed);
    std::filesystem::create_directories(o.out_dir);
    const auto out = [&](const std::string& name) { return (std::filesystem::path(o.out_dir) / name).string(); };

    const auto data = o.data_dir.empty() ? datasets::load_fashion_mnist() : datasets::load_fashion_mnist(o.data_dir);
    const Tensor x_train = data.x_train.slice(0, o.train_samples), y_train = data.y_train.slice(0, o.train_samples);
    const Tensor x_test = data.x_test.slice(0, o.test_samples), y_test = data.y_test.slice(0, o.test_samples);

    Model model = fashion_demo::build_model();
    const auto training_images = static_cast<int64_t>(std::llround(o.train_samples * (1 - o.validation_split)));
    const int64_t steps = o.epochs * ((training_images + o.batch_size - 1) / o.batch_size);
    // Cosine decay of the learning rate over the whole run, after a short linear warm-up.
    auto schedule = std::make_shared<optim::CosineDecay>(1e-4, std::max<int64_t>(1, steps - steps / 20), 0.01, 2e-3,
                                                         steps / 20);
    model.compile({.optimizer = optim::Adam({.learning_rate = schedule}),
                   .loss = losses::SparseCategoricalCrossentropy({.from_logits = true}),
                   .metrics = {"accuracy"}});
    model.summary();

    const auto fit_start = std::chrono::steady_clock::now();
    model.fit(x_train, y_train,
              {.batch_size = o.batch_size,
               .epochs = o.epochs,
               .callbacks = {std::make_shared<LearningCurves>(LearningCurvesOptions{
                                 .filename = out("learning_curves.svg"), .title = "Fashion-MNIST: learning curves"}),
                             std::make_shared<CSVLogger>(out("history.csv"))},
               .validation_split = o.validation_split,
               .seed = o.seed});
    const double fit_seconds = seconds_since(fit_start);

    const auto scores = model.evaluate(x_test, y_test, {.batch_size = 256, .verbose = 0});
    const double accuracy = scores.at("accuracy");
    std::printf("\ntest accuracy %.4f, test loss %.4f on %lld test images; training took %.0f s on %d threads\n",
                accuracy, scores.at("loss"), static_cast<long long>(x_test.dim(0)), fit_seconds, get_num_threads());
    std::printf("published (Fashion-MNIST benchmark, github.com/zalandoresearch/fashion-mnist):\n"
                "  2 Conv+pooling+BN      0.934\n  2 Conv <100K parameters 0.925\n");

    // Save, reload and check that the reloaded model predicts the same numbers.
    const Tensor logits = model.predict(x_test, {.batch_size = 256});
    model.save(out("model.keras"));
    const Model reloaded = load_model(out("model.keras"));
    const Tensor again = reloaded.predict(x_test, {.batch_size = 256});
    double max_difference = 0;
    for (int64_t i = 0; i < logits.size(); ++i)
        max_difference = std::max(max_difference, std::abs(double(logits.data()[i]) - double(again.data()[i])));
    const bool same = max_difference == 0;
    std::printf("saved %s, reloaded it with load_model: predictions on the %lld test images %s (max |difference| %g)\n",
                out("model.keras").c_str(), static_cast<long long>(x_test.dim(0)), same ? "identical" : "DIFFER",
                max_difference);

    fashion_demo::write_confusion_matrix(logits, y_test, out("confusion_matrix.svg"));
    const int mistakes = fashion_demo::write_mistakes(x_test, logits, y_test, 32, out("misclassified.svg"));
    std::printf("pictures (open in a browser):\n  %s\n  %s\n  %s (%d images)\nhistory: %s\n",
                out("learning_curves.svg").c_str(), out("confusion_matrix.svg").c_str(), out("misclassified.svg").c_str(),
                mistakes, out("history.csv").c_str());

    std::ofstream(out("results.json")) << nlohmann::json{{"test_accuracy", accuracy},
                                                         {"test_loss", scores.at("loss")},
                                                         {"test_images", x_test.dim(0)},
                                                         {"epochs", o.epochs},
                                                         {"training_seconds", fit_seconds},
                                                         {"total_seconds", seconds_since(start)},
                                                         {"reload_max_abs_difference", max_difference},
                                                         {"misclassified_shown", mistakes}}
                                                             .dump(2)
                                      << "\n";
    std::printf("total %.0f s\n", seconds_since(start));
    return same ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    const auto parsed = fashion_demo::parse_options(argc, argv);
    if (parsed.exit_status) return *parsed.exit_status;
    try {
        return run(parsed.options);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fashion_mnist: %s\n", e.what());
        return 1;
    }
}
