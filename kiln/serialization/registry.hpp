// The layer registry: Keras class name -> factory from a config. from_config() of every built-in layer is
// registered here, with the model classes Sequential, Functional and Model (read by model_config.hpp's readers,
// so that nested models round-trip), and users can register their own layers. Configs use the Keras 3 object form:
// {"module": "keras.layers", "class_name": "Dense", "config": {...}, "registered_name": null}.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kiln/layers/layer.hpp"

namespace kiln::serialization {

using LayerFactory = std::function<LayerPtr(const nlohmann::json& config)>;

// Adds or replaces the factory for `class_name`.
void register_layer(const std::string& class_name, LayerFactory factory);
// Every registered class name, sorted.
std::vector<std::string> registered_layers();

// A new layer of class `class_name` from its config; ValueError names an unknown class.
LayerPtr layer_from_config(const std::string& class_name, const nlohmann::json& config);

// The Keras 3 object form of a layer (of a model: serialize_model's form), and back.
nlohmann::json serialize_layer(const Layer& layer);
LayerPtr deserialize_layer(const nlohmann::json& object);

}  // namespace kiln::serialization
