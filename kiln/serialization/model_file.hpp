// Whole-model files: Model::save writes the Keras 3 .keras archive (config.json with the compile config,
// metadata.json, model.weights.h5 with the optimizer state); load_model reads that archive and legacy Keras 1/2 /
// tf.keras full-model .h5 files.
#pragma once

#include <string>

#include "kiln/models/model.hpp"

namespace kiln {

struct LoadModelOptions {
    // Compile the model from the archive's compile_config (as Keras's compile=True), restoring the optimizer state,
    // so that training continues exactly where it stopped.
    bool compile = true;
};

// The model in `path`: a .keras archive, or a legacy full-model .h5 file (its training_config is not read: the
// model comes back uncompiled). Weights are loaded strictly (Model::load_weights). Files are told apart by
// content, not by extension; a weights-only file raises IOError saying that it holds no architecture.
Model load_model(const std::string& path, const LoadModelOptions& options = {});

}  // namespace kiln
