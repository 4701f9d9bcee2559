// The model whose weights the weights_h5 and legacy_h5 targets load, and whose files seed their corpora: small,
// with every kind of variable a loader routes (kernels, biases, BatchNormalization's moving statistics, a nested
// model) and compiled with Adam, so that optimizer state is read too.
#pragma once

#include <kiln/kiln.hpp>

namespace kiln::fuzz {

inline Model fuzz_model() {
    const Sequential inner({layers::Input({6, 6, 1}), layers::Conv2D({.filters = 2, .kernel_size = {3, 3}}),
                            layers::BatchNormalization()},
                           "features");
    Sequential model({layers::Input({6, 6, 1}), inner, layers::Flatten(), layers::Dense({.units = 3})}, "fuzz_model");
    model.compile({.optimizer = "adam", .loss = "mse"});
    return model;
}

}  // namespace kiln::fuzz
