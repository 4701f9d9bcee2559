// The `kiln` command-line tool:
//   kiln summary FILE                       the summary table and parameter counts of a model config (.json, any
//                                           Keras form) or model file (.keras, legacy .h5)
//   kiln predict MODEL INPUT.npy OUTPUT.npy [--batch-size N]
//                                           runs MODEL (.keras or legacy .h5) in inference mode on a float32 .npy
//                                           array and writes the predictions as float32 .npy (compare with Python)
//   kiln plot LOG.csv OUTPUT.svg            the learning curves of a CSVLogger file as an SVG picture
// Exit status: 0 on success, 1 on an error (printed to stderr), 2 on bad usage.
#include <kiln/kiln.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

using namespace kiln;

namespace {

const char* const usage =
    "usage: kiln summary FILE\n"
    "       kiln predict MODEL INPUT.npy OUTPUT.npy [--batch-size N]\n"
    "       kiln plot LOG.csv OUTPUT.svg\n"
    "FILE: a model config (.json) or a model file (.keras, legacy .h5); MODEL: a model file.\n";

// A JSON config file starts with '{' or '[' after any whitespace; anything else goes to load_model.
bool looks_like_json(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IOError(cat("kiln: cannot open '", path, "'"));
    char c = 0;
    while (in.get(c))
        if (!std::isspace(static_cast<unsigned char>(c))) return c == '{' || c == '[';
    return false;
}

Model open_model(const std::string& path) {
    if (!looks_like_json(path)) return load_model(path);
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return model_from_json(text.str());
}

int summary(const std::vector<std::string>& args) {
    if (args.size() != 1) {
        std::cerr << usage;
        return 2;
    }
    open_model(args[0]).summary(std::cout);
    return 0;
}

int predict(const std::vector<std::string>& args) {
    int64_t batch_size = 32;
    std::vector<std::string> paths;
    for (size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--batch-size" && i + 1 < args.size()) {
            char* end = nullptr;
            batch_size = std::strtoll(args[++i].c_str(), &end, 10);
            if (*end != '\0' || batch_size < 1) throw ValueError(cat("kiln predict: --batch-size must be a positive integer, got '", args[i], "'"));
        } else {
            paths.push_back(args[i]);
        }
    }
    if (paths.size() != 3) {
        std::cerr << usage;
        return 2;
    }
    const Model model = load_model(paths[0]);
    const Tensor input = serialization::load_npy(paths[1]);
    const Tensor output = model.predict(input, {.batch_size = batch_size, .verbose = 0});
    serialization::save_npy(paths[2], output);
    std::cout << "kiln predict: " << paths[1] << " " << input.shape() << " -> " << paths[2] << " " << output.shape() << "\n";
    return 0;
}

int plot_log(const std::vector<std::string>& args) {
    if (args.size() != 2) {
        std::cerr << usage;
        return 2;
    }
    plot_history(read_csv_log(args[0]), args[1], "Learning curves: " + args[0]);
    std::cout << "kiln plot: " << args[0] << " -> " << args[1] << "\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + std::min(argc, 2), argv + argc);
    const std::string command = argc > 1 ? argv[1] : "";
    try {
        if (command == "summary") return summary(args);
        if (command == "predict") return predict(args);
        if (command == "plot") return plot_log(args);
        if (command == "-h" || command == "--help") {
            std::cout << usage;
            return 0;
        }
        std::cerr << usage;
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "kiln " << command << ": " << e.what() << "\n";
        return 1;
    }
}
