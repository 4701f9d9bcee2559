#include "kiln/layers/datasets/fashion_mnist.hpp"

#include <filesystem>
#include <span>

#include "kiln/core/errors.hpp"
#include "kiln/layers/datasets/idx.hpp"

namespace kiln::datasets {

namespace {

constexpr int64_t kSide = 28;
constexpr int64_t kClasses = 10;

// The path of `name` in `dir`; Error with the install hint when the file is not there.
std::string existing_file(const std::string& dir, const char* name) {
    const std::filesystem::path path = std::filesystem::path(dir) / name;
    if (!std::filesystem::exists(path)) {
        throw Error(cat("load_fashion_mnist: missing file ", path.string(),
                        "; `apt-get install dataset-fashion-mnist` provides it"));
    }
    return path.string();
}

// Reads one part's images file into x [N, 28, 28, 1] scaled to [0, 1] and its labels file into y [N].
void load_part(const std::string& dir, const char* images_name, const char* labels_name, Tensor& x, Tensor& y) {
    const std::string images_path = existing_file(dir, images_name);
    const std::string labels_path = existing_file(dir, labels_name);
    const Tensor images = read_idx(images_path);
    if (images.rank() != 3 || images.dim(1) != kSide || images.dim(2) != kSide) {
        throw ValueError(cat("load_fashion_mnist: ", images_path, " holds shape ", images.shape().str(),
                             ", expected [N,28,28]"));
    }
    const Tensor labels = read_idx(labels_path);
    if (labels.rank() != 1 || labels.dim(0) != images.dim(0)) {
        throw ValueError(cat("load_fashion_mnist: ", labels_path, " holds shape ", labels.shape().str(),
                             ", expected [", images.dim(0), "] to match ", images_path));
    }
    for (int64_t i = 0; i < labels.size(); ++i) {
        if (labels.data()[i] >= kClasses) {
            throw ValueError(cat("load_fashion_mnist: ", labels_path, ": label ", labels.data()[i], " at index ", i,
                                 " is not in 0..9"));
        }
    }
    x = images.reshape({images.dim(0), kSide, kSide, 1});
    for (float& v : std::span(x.data(), static_cast<size_t>(x.size()))) v /= 255.0f;
    y = labels;
}

}  // namespace

FashionMnist load_fashion_mnist(const std::string& dir) {
    FashionMnist data;
    load_part(dir, "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", data.x_train, data.y_train);
    load_part(dir, "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", data.x_test, data.y_test);
    return data;
}

const std::vector<std::string>& class_names() {
    static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                   "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    return names;
}

}  // namespace kiln::datasets
