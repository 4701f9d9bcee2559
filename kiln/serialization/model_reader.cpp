// model_from_json / model_from_config: unwrapping the containers Keras, tf.keras and tf.js write around a model
// config and dispatching to the Sequential and Functional readers.
#include "kiln/core/detail/loader_boundary.hpp"
#include "kiln/core/errors.hpp"
#include "kiln/serialization/detail/reading.hpp"
#include "kiln/serialization/model_config.hpp"

namespace kiln {
namespace {

using serialization::detail::check_keys;
using serialization::detail::join_path;

std::shared_ptr<ModelLayer> read_model(const nlohmann::json& j, const std::string& path);

// A model object: {class_name, config} plus the legacy envelope's or the Keras 3 form's keys.
std::shared_ptr<ModelLayer> read_model_object(const nlohmann::json& j, const std::string& path) {
    check_keys(j, path,
               {"class_name", "config", "keras_version", "backend", "module", "registered_name", "build_config",
                "compile_config", "shared_object_id"});
    const nlohmann::json& class_name = j.at("class_name");
    const std::string config_path = join_path(path, "config");
    if (!class_name.is_string() || !serialization::detail::is_model_class(class_name.get<std::string>()))
        throw ValueError(cat(join_path(path, "class_name"), ": expected a model class (Sequential, Functional or "
                                                            "Model), got ",
                             class_name.dump()));
    const nlohmann::json& config = serialization::detail::require(j, path, "config");
    if (class_name == "Sequential") return serialization::detail::sequential_from_config(config, config_path);
    return serialization::detail::functional_from_config(config, config_path);
}

// tf.js model.json: {"modelTopology": {"model_config": {...}, ...}, "weightsManifest": [...], ...}.
std::shared_ptr<ModelLayer> read_tfjs(const nlohmann::json& j, const std::string& path) {
    check_keys(j, path,
               {"modelTopology", "format", "generatedBy", "convertedBy", "weightsManifest", "signature",
                "userDefinedMetadata", "modelInitializer"});
    const std::string topology_path = join_path(path, "modelTopology");
    const nlohmann::json& topology = serialization::detail::require(j, path, "modelTopology");
    if (!topology.is_object() || !topology.contains("model_config")) return read_model(topology, topology_path);
    check_keys(topology, topology_path, {"model_config", "keras_version", "backend", "training_config"});
    return read_model(topology.at("model_config"), join_path(topology_path, "model_config"));
}

std::shared_ptr<ModelLayer> read_model(const nlohmann::json& j, const std::string& path) {
    if (j.is_array()) return serialization::detail::sequential_from_config(j, path);  // Keras 2.0 get_config()
    const std::string where = path.empty() ? "the model config" : path;
    if (!j.is_object()) throw ValueError(cat(where, ": expected a JSON object, got ", j.type_name()));
    if (j.contains("modelTopology")) return read_tfjs(j, path);
    if (j.contains("class_name")) return read_model_object(j, path);
    if (j.contains("layers")) {
        // A bare get_config() dict.
        if (j.contains("input_layers")) return serialization::detail::functional_from_config(j, path);
        return serialization::detail::sequential_from_config(j, path);
    }
    std::string keys;
    for (const auto& [key, value] : j.items()) keys += cat(keys.empty() ? "" : ", ", "'", key, "'");
    throw ValueError(cat(where, ": not a model config (expected 'class_name', 'layers' or 'modelTopology'), got keys ",
                         keys));
}

}  // namespace

Model model_from_config(const nlohmann::json& config) {
    return kiln::detail::guarded_load("model_from_config", [&] {
        serialization::detail::check_json_depth(config, "model_from_config");
        return Model(read_model(config, ""));
    });
}

Model model_from_json(std::string_view text) {
    return kiln::detail::guarded_load("model_from_json", [&] {
        return model_from_config(serialization::detail::parse_json(text, "model_from_json"));
    });
}

}  // namespace kiln
