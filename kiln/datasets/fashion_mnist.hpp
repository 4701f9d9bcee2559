// Fashion-MNIST (Zalando's 28x28 grayscale clothing images in 10 classes), as keras.datasets.fashion_mnist, read
// from the gzip'd IDX files that Debian's dataset-fashion-mnist package installs.
#pragma once

#include <string>
#include <vector>

#include "kiln/core/tensor.hpp"

namespace kiln::datasets {

// The Fashion-MNIST training and test sets.
struct FashionMnist {
    Tensor x_train{};  // [60000, 28, 28, 1] pixels scaled to [0, 1]
    Tensor y_train{};  // [60000] labels 0..9 as floats
    Tensor x_test{};   // [10000, 28, 28, 1] pixels scaled to [0, 1]
    Tensor y_test{};   // [10000] labels 0..9 as floats
};

// Where Debian's dataset-fashion-mnist package puts the files.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// Loads the four files {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz from `dir`. A missing file raises Error
// naming it and the package that provides it; a malformed one raises the errors of read_idx, or ValueError when
// the shapes or labels are not those of Fashion-MNIST.
FashionMnist load_fashion_mnist(const std::string& dir = kFashionMnistDir);

// The names of the 10 classes, indexed by label ("T-shirt/top", "Trouser", ..., "Ankle boot").
const std::vector<std::string>& class_names();

}  // namespace kiln::datasets
