// Optimizer lookup by Keras name and the Keras 3 serialized form, as keras.optimizers.get / serialize /
// deserialize. Names are case-insensitive for the built-in classes, as in Keras ("adam", "Adam", "ADAM").
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "kiln/optim/optimizer.hpp"

namespace kiln::optim {

// A default-configured optimizer: "sgd", "adam", "adamw", "rmsprop", "adagrad" in any case (which covers the
// class names SGD, Adam, AdamW, RMSprop, Adagrad). Throws ValueError when unknown.
OptimizerPtr get(std::string_view name);

// From a name string, a Keras 3 dict {"module": "keras.optimizers", "class_name", "config", "registered_name"} or a
// legacy {"class_name", "config"}. The config is read strictly: unknown keys, wrong types and invalid values throw
// ValueError; use_ema=true and any gradient_accumulation_steps throw NotImplementedError.
OptimizerPtr deserialize(const nlohmann::json& j);

// An optimizer of class `class_name` (any case) from its config (Keras's Optimizer.from_config).
OptimizerPtr from_config(std::string_view class_name, const nlohmann::json& config);

// The Keras 3 dict form of `optimizer` (its config, not its state).
nlohmann::json serialize(const Optimizer& optimizer);

}  // namespace kiln::optim
