// A model's weights as a Keras 3 weights store in memory: the bytes of a .weights.h5 file, which is also the
// model.weights.h5 member of a .keras archive. Model::save_weights and Model::load_weights (declared in
// kiln/models/model.hpp) are defined with these, in weights_file.cpp.
#pragma once

#include <string>

#include "kiln/models/model.hpp"

namespace kiln::serialization {

// The Keras 3 weights store of `model` (with the optimizer's state when it is compiled), as HDF5 bytes.
std::string save_weights_to_bytes(const Model& model);

// What loading does with optimizer state whose variable count differs from the compiled optimizer's (another
// optimizer, or another configuration of it).
enum class OptimizerMismatch {
    refuse,             // an error, like any weight that does not fit (Model::load_weights)
    skip_with_warning,  // the model weights load and the optimizer keeps its own state, as Keras does (load_model)
};

// Loads a Keras 3 weights store from HDF5 bytes, strictly (see Model::load_weights).
void load_weights_from_bytes(const Model& model, const std::string& bytes,
                             OptimizerMismatch optimizer_mismatch = OptimizerMismatch::refuse);

}  // namespace kiln::serialization
