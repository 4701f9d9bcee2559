// Legacy Keras HDF5 files (Keras 1/2, tf.keras 2.x, and Keras 3's model.save("x.h5")): the full-model file, with
// the architecture as JSON in root attributes and the weights in the model_weights group, and the weights-only
// file, with the same weights layout at the root.
#pragma once

#include <optional>
#include <string>

#include "kiln/models/model.hpp"

namespace kiln::serialization {

// What a legacy full-model file says besides its weights.
struct LegacyH5Model {
    std::string model_config{};                   // JSON {"class_name": ..., "config": ...}
    std::optional<std::string> training_config{};  // JSON, present when the model was saved compiled
    std::string keras_version{};                  // empty when absent
    std::string backend{};                        // empty when absent
};

// Reads the root attributes of a legacy full-model file; IOError names the path when it has no model_config.
LegacyH5Model read_legacy_h5_model(const std::string& path);

// Loads the weights of a legacy file, full-model or weights-only, as Keras does: the saved layers that have
// weights, in layer_names order, go positionally to the model's layers that have weights; within a layer, the
// saved weight_names order is the layer's trainable then non-trainable weights. A nested model is one saved layer
// holding all its sublayers' weights, trainable ones first; they are routed to the sublayers by the layer name in
// each weight's path when those match, else split by counts. Strict and all-or-nothing like Model::load_weights.
// The optimizer_weights group of a full-model file is not read.
void load_legacy_weights(const Model& model, const std::string& path);

}  // namespace kiln::serialization
