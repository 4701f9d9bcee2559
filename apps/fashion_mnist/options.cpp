#include "options.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>

namespace fashion_demo {

Parsed parse_options(int argc, char** argv) {
    Parsed parsed;
    Options& o = parsed.options;
    CLI::App app{
        "kiln's main demo: a CNN with BatchNormalization trained on Fashion-MNIST (Debian's dataset-fashion-mnist),\n"
        "evaluated on the 10,000 test images, saved as .keras, reloaded and checked, with SVG pictures of the run.",
        "fashion_mnist"};
    app.add_option("--epochs", o.epochs, "Training epochs (default " + std::to_string(kDefaultEpochs) + ", " +
                                             std::to_string(kQuickEpochs) + " with --quick)")
        ->check(CLI::PositiveNumber);
    app.add_option("--batch-size", o.batch_size, "Images per training step")->capture_default_str()->check(CLI::PositiveNumber);
    app.add_option("--train-samples", o.train_samples,
                   "Use the first N of the 60,000 training images (default all; " + std::to_string(kQuickTrainSamples) +
                       " with --quick)")
        ->check(CLI::Range(int64_t{10}, int64_t{60000}));
    app.add_option("--validation-split", o.validation_split, "Fraction of the training images held out for validation")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 0.5));
    app.add_flag("--quick", o.quick,
                 "A smoke run under a minute: " + std::to_string(kQuickEpochs) + " epochs on " +
                     std::to_string(kQuickTrainSamples) + " images, tested on " + std::to_string(kQuickTestSamples));
    app.add_option("--out", o.out_dir, "Folder for the model, the history and the SVG pictures")->capture_default_str();
    app.add_option("--data-dir", o.data_dir, "Folder with the four gzip'd IDX files (default /usr/share/datasets/fashion-mnist)");
    app.add_option("--threads", o.threads, "Threads for the kernels (default: all cores)")->check(CLI::Range(1, 1024));
    app.add_option("--seed", o.seed, "Seed for the initial weights, shuffling and augmentation")->capture_default_str();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        parsed.exit_status = app.exit(e);  // prints the help (status 0) or the error and a hint (status 2)
        if (*parsed.exit_status != 0) parsed.exit_status = 2;
        return parsed;
    }
    if (o.epochs == 0) o.epochs = o.quick ? kQuickEpochs : kDefaultEpochs;
    if (o.quick) {
        if (app.count("--train-samples") == 0) o.train_samples = kQuickTrainSamples;
        o.test_samples = kQuickTestSamples;
    }
    return parsed;
}

}  // namespace fashion_demo
