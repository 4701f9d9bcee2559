// Test support for the weights-file tests: small models of each structure the files must handle, built the same
// way on every call (so a saved model can be loaded into a fresh twin), and seeded random weights.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <kiln/kiln.hpp>

namespace kiln::testing {

using ModelFactory = std::function<Model()>;

// Every weight of `model` set to seeded values in [0.5, 1.5) (positive, so BatchNormalization variances stay
// valid); different seeds give different models.
inline void randomize(const Model& model, uint64_t seed) {
    std::vector<Tensor> values;
    for (const Variable& v : model.weights()) values.push_back(Tensor::random_uniform(v.shape(), 0.5f, 1.5f, seed++));
    model.set_weights(values);
}

// Input(4) -> Dense(3, relu) "ftr0" -> BatchNormalization "bn0" -> Dropout -> Dense(2).
inline Model dense_bn_sequential() {
    return Sequential({layers::Input({4}), layers::Dense({.name = "ftr0", .units = 3, .activation = "relu"}),
                       layers::BatchNormalization({.name = "bn0"}), layers::Dropout({.rate = 0.5}),
                       layers::Dense({.units = 2})});
}

// A residual block: x + Dense(x), then BatchNormalization and a Dense head.
inline Model residual_functional() {
    const SymbolicTensor in = layers::Input({4});
    const SymbolicTensor sum = layers::Add()({in, layers::Dense({.units = 4, .activation = "tanh"})(in)});
    return Model(in, layers::Dense({.units = 2})(layers::BatchNormalization()(sum)));
}

// A Sequential holding a Sequential (Dense, BatchNormalization) and a Functional model (Dense), then a Dense.
inline Model nested_models() {
    Sequential inner({layers::Input({4}), layers::Dense({.units = 5}), layers::BatchNormalization()});
    const SymbolicTensor in = layers::Input({5});
    Model branch(in, layers::Dense({.units = 3, .activation = "relu"})(in));
    return Sequential({layers::Input({4}), inner, branch, layers::Dense({.units = 2})});
}

// BatchNormalization on axis 1 of [N, 3, 4, 2] with batch renormalization (seven variables), then a Dense head.
inline Model renorm_axis1() {
    return Sequential({layers::Input({3, 4, 2}), layers::BatchNormalization({.axis = int64_t{1}, .renorm = true}),
                       layers::Flatten(), layers::Dense({.units = 2})});
}

}  // namespace kiln::testing
