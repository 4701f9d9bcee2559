// layers::Input: the start of a model, as keras.Input. It creates an InputLayer and returns the symbolic tensor
// that layer produces; use it as the first item of a Sequential model or as a Functional model's input.
#pragma once

#include <optional>
#include <string>

#include "kiln/layers/symbolic.hpp"

namespace kiln::layers {

struct InputOptions {
    std::optional<int64_t> batch_size{};
    std::string name{};
};

// `shape` excludes the batch axis; -1 marks a size that is not fixed.
SymbolicTensor Input(const Shape& shape, const InputOptions& options = {});

}  // namespace kiln::layers
