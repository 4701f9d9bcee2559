#include "kiln/datasets/fashion_mnist.hpp"

#include <filesystem>
#include <span>

#include "kiln/core/errors.hpp"
#include "kiln/datasets/idx.hpp"
#include "kiln/datasets/toy.hpp"

namespace kiln::datasets {

namespace {

constexpr int64_t kSide = 28;
constexpr int64_t kClasses = 10;

// The path of `name` in `dir`; Error with the install hint when the file is not there.
std::string existing_file(const std::string& dir, const char* name) {
    const std::filesystem::path path = std::filesystem::path(dir) / name;
    if (!std::filesystem::exists(path)) {
        throw IOError(cat("load_fashion_mnist: missing file ", path.string(),
                        "; `apt-get install dataset-fashion-mnist` provides it"));
    }
    return path.string();
}

// One part: the images file as x [N, 28, 28, 1] scaled to [0, 1] and the labels file as y [N].
Dataset load_part(const std::string& images_path, const std::string& labels_path) {
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
    Tensor x = images.reshape({images.dim(0), kSide, kSide, 1});
    for (float& v : std::span(x.data(), static_cast<size_t>(x.size()))) v /= 255.0f;
    return {x, labels};
}

}  // namespace

FashionMnist load_fashion_mnist(const std::string& dir) {
    // Every file is looked for before any is read, so that a missing one is reported at once.
    const std::string train_images = existing_file(dir, "train-images-idx3-ubyte.gz");
    const std::string train_labels = existing_file(dir, "train-labels-idx1-ubyte.gz");
    const std::string test_images = existing_file(dir, "t10k-images-idx3-ubyte.gz");
    const std::string test_labels = existing_file(dir, "t10k-labels-idx1-ubyte.gz");
    auto [x_train, y_train] = load_part(train_images, train_labels);
    auto [x_test, y_test] = load_part(test_images, test_labels);
    return {x_train, y_train, x_test, y_test};
}

const std::vector<std::string>& class_names() {
    static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                   "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    return names;
}

}  // namespace kiln::datasets
