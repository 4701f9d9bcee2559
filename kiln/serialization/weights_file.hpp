// A model's weights as a Keras 3 weights store in memory: the bytes of a .weights.h5 file, which is also the
// model.weights.h5 member of a .keras archive. Model::save_weights and Model::load_weights (declared in
// kiln/models/model.hpp) are defined with these, in weights_file.cpp.
#pragma once

#include <string>

#include "kiln/models/model.hpp"

namespace kiln::serialization {

// The Keras 3 weights store of `model` (with the optimizer's state when it is compiled), as HDF5 bytes.
std::string save_weights_to_bytes(const Model& model);

// Loads a Keras 3 weights store from HDF5 bytes, strictly (see Model::load_weights).
void load_weights_from_bytes(const Model& model, const std::string& bytes);

}  // namespace kiln::serialization
