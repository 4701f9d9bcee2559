// Normalizing one layer config read from a model config: legacy keys, object markers and dtype policies.
#include "kiln/serialization/legacy_config.hpp"

#include "kiln/core/errors.hpp"

namespace kiln::serialization::detail {
namespace {

bool ends_with(const std::string& text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// TF1-era tf.keras wrote the variable dtype into initializer configs.
void strip_initializer_dtype(const std::string& key, nlohmann::json& initializer, const std::string& path) {
    if (!initializer.is_object() || !initializer.contains("config") || !initializer.at("config").is_object()) return;
    nlohmann::json& config = initializer.at("config");
    if (!config.contains("dtype")) return;
    if (config.at("dtype") != "float32")
        throw NotImplementedError(cat(join_path(path, key), ": initializer dtype ", config.at("dtype").dump(),
                                      " is not supported; kiln creates float32 variables"));
    config.erase("dtype");
}

// Takes the legacy input-shape keys out of a config that is not an InputLayer's.
std::optional<BatchShape> take_input_shape(nlohmann::json& config, const std::string& path) {
    std::optional<BatchShape> shape;
    if (config.contains("batch_input_shape") && !config.at("batch_input_shape").is_null())
        shape = parse_batch_shape(config.at("batch_input_shape"), join_path(path, "batch_input_shape"));
    if (config.contains("input_shape") && !config.at("input_shape").is_null() && !shape) {
        nlohmann::json batch = nlohmann::json::array({nullptr});
        if (!config.at("input_shape").is_array())
            throw ValueError(cat(join_path(path, "input_shape"), ": expected a list, got ",
                                 config.at("input_shape").dump()));
        for (const auto& d : config.at("input_shape")) batch.push_back(d);
        shape = parse_batch_shape(batch, join_path(path, "input_shape"));
    }
    config.erase("batch_input_shape");
    config.erase("input_shape");
    return shape;
}

// An InputLayer's input_shape (Keras's shape argument) as the batch_shape its from_config reads.
void input_shape_to_batch_shape(nlohmann::json& config, const std::string& path) {
    if (!config.contains("input_shape")) return;
    const nlohmann::json input_shape = config.at("input_shape");
    config.erase("input_shape");
    if (input_shape.is_null()) return;
    const bool has_batch_shape = (config.contains("batch_shape") && !config.at("batch_shape").is_null()) ||
                                 (config.contains("batch_input_shape") && !config.at("batch_input_shape").is_null());
    if (has_batch_shape || !input_shape.is_array())
        throw ValueError(cat(join_path(path, "input_shape"), ": expected a list given instead of batch_shape, got ",
                             input_shape.dump()));
    nlohmann::json batch = nlohmann::json::array({nullptr});
    for (const auto& d : input_shape) batch.push_back(d);
    config["batch_shape"] = batch;
}

}  // namespace

std::optional<std::string> dtype_name(const nlohmann::json& dtype) {
    if (dtype.is_string()) return dtype.get<std::string>();
    if (!dtype.is_object()) return std::nullopt;
    const nlohmann::json& inner = dtype.contains("config") ? dtype.at("config") : dtype;
    if (inner.is_object() && inner.contains("name") && inner.at("name").is_string())
        return inner.at("name").get<std::string>();
    return std::nullopt;
}

void strip_object_markers(nlohmann::json& object) {
    if (!object.is_object()) return;
    object.erase("shared_object_id");
    object.erase("__passive_serialization__");
}

nlohmann::json normalize_dtype(const nlohmann::json& dtype) {
    const auto name = dtype_name(dtype);
    if (name && (*name == "mixed_float16" || *name == "mixed_bfloat16")) return "float32";
    nlohmann::json out = dtype;
    strip_object_markers(out);
    return out;
}

NormalizedConfig normalize_layer_config(const std::string& class_name, nlohmann::json config,
                                        const std::string& path) {
    if (!config.is_object()) throw ValueError(cat(path, ": a layer config must be an object, got ", config.dump()));
    for (auto& [key, value] : config.items()) {
        strip_object_markers(value);
        if (ends_with(key, "_initializer")) strip_initializer_dtype(key, value, path);
    }
    if (config.contains("dtype")) config["dtype"] = normalize_dtype(config.at("dtype"));
    NormalizedConfig out;
    if (class_name == "InputLayer")
        input_shape_to_batch_shape(config, path);
    else
        out.input_shape = take_input_shape(config, path);
    out.config = std::move(config);
    return out;
}

}  // namespace kiln::serialization::detail
