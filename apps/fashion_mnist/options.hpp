// The demo's command line: every option, its default, and the parser (CLI11) that checks them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace fashion_demo {

struct Options {
    int epochs = 0;                 // 0: the default for the mode (kDefaultEpochs, or kQuickEpochs with --quick)
    int64_t batch_size = 64;
    int64_t train_samples = 60000;  // the first N of the 60,000 training images (the last 10% validate)
    int64_t test_samples = 10000;
    double validation_split = 0.1;
    bool quick = false;
    std::string out_dir = "fashion_mnist_out";
    std::string data_dir{};         // empty: where dataset-fashion-mnist installs the files
    int threads = 0;                // 0: all cores
    uint64_t seed = 42;
};

inline constexpr int kDefaultEpochs = 15;
inline constexpr int kQuickEpochs = 2;
inline constexpr int64_t kQuickTrainSamples = 6000;
inline constexpr int64_t kQuickTestSamples = 2000;

// The parsed options, or the exit status when the program should stop here (0 after --help, 2 after a bad option,
// with the message printed).
struct Parsed {
    Options options{};
    std::optional<int> exit_status{};
};

Parsed parse_options(int argc, char** argv);

}  // namespace fashion_demo
