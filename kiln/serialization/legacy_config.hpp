// Internal: the legacy (Keras 1/2, tf.keras) and writer-specific forms found inside one layer's config, turned into
// what the layers' from_config reads. Every key handled here is listed in model_config.hpp's table of ignored keys.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "kiln/serialization/detail/reading.hpp"

namespace kiln::serialization::detail {

// A layer config ready for from_config, and the input shape a legacy key gave.
struct NormalizedConfig {
    nlohmann::json config;
    std::optional<BatchShape> input_shape{};
};

// For a layer of class `class_name` whose config sits at `path`:
// - nested objects lose their shared_object_id and __passive_serialization__ markers;
// - legacy initializer configs lose a "dtype": "float32" (any other dtype: NotImplementedError);
// - a mixed_float16 / mixed_bfloat16 dtype policy becomes "float32";
// - batch_input_shape and input_shape (without the batch axis) are taken out into `input_shape`, except for an
//   InputLayer, whose input_shape becomes its batch_shape.
NormalizedConfig normalize_layer_config(const std::string& class_name, nlohmann::json config, const std::string& path);

// A dtype value (string or policy dict) with the mixed-precision policies replaced by "float32".
nlohmann::json normalize_dtype(const nlohmann::json& dtype);
// The policy name of a dtype value: the string itself, or config.name of a DTypePolicy/Policy dict.
std::optional<std::string> dtype_name(const nlohmann::json& dtype);

// Removes the writers' object markers (shared_object_id, __passive_serialization__) from an object's outer dict.
void strip_object_markers(nlohmann::json& object);

}  // namespace kiln::serialization::detail
