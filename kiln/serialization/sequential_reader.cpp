// Reading a Sequential config in its four forms: a bare list (Keras 2.0), a dict without InputLayer whose first
// layer carries batch_input_shape (Keras 2.2), a dict with an InputLayer first (tf.keras) and the Keras 3 dict.
#include "kiln/core/errors.hpp"
#include "kiln/serialization/detail/reading.hpp"

namespace kiln::serialization::detail {
namespace {

Shape to_shape(const BatchShape& batch_shape) {
    Shape shape;
    for (const auto& d : batch_shape) shape.push_back(d ? *d : -1);
    return shape;
}

// The model-level keys of a Sequential dict; a bare list has none.
struct SequentialKeys {
    std::string name{};
    bool trainable = true;
    std::optional<BatchShape> build_input_shape{};
};

SequentialKeys read_sequential_keys(const nlohmann::json& config, const std::string& path) {
    check_keys(config, path, {"name", "trainable", "dtype", "layers", "build_input_shape"});
    SequentialKeys keys;
    keys.name = read_model_name(config, path);
    keys.trainable = read_model_trainable(config, path);
    if (config.contains("build_input_shape") && !config.at("build_input_shape").is_null())
        keys.build_input_shape =
            parse_batch_shape(config.at("build_input_shape"), join_path(path, "build_input_shape"));
    if (!config.contains("layers") || !config.at("layers").is_array())
        throw ValueError(cat(join_path(path, "layers"), ": a Sequential config needs a list of layers"));
    return keys;
}

}  // namespace

std::shared_ptr<SequentialLayer> sequential_from_config(const nlohmann::json& config, const std::string& path) {
    if (!config.is_array() && !config.is_object())
        throw ValueError(cat(path, ": a Sequential config must be a list of layers or an object, got ",
                             config.type_name()));
    const SequentialKeys keys = config.is_object() ? read_sequential_keys(config, path) : SequentialKeys{};
    const nlohmann::json& entries = config.is_object() ? config.at("layers") : config;
    const std::string layers_path = config.is_object() ? join_path(path, "layers") : path;

    auto model = std::make_shared<SequentialLayer>(LayerOptions{.name = keys.name});
    bool has_input = false;
    for (size_t i = 0; i < entries.size(); ++i) {
        const std::string entry_path = index_path(layers_path, i);
        LayerEntry entry = read_layer_entry(entries[i], entry_path, {});
        try {
            if (entry.class_name == "InputLayer") {
                auto input = std::dynamic_pointer_cast<layers::InputLayerLayer>(entry.layer);
                if (i != 0 || !input)
                    throw ValueError("an InputLayer can only be the first layer of a Sequential model");
                model->add(input_tensor(input));
                has_input = true;
                continue;
            }
            // Keras 2 gave the model's input shape to its first layer; tf.keras repeats it after an InputLayer.
            if (!has_input && model->layers().empty() && entry.input_shape) {
                model->add(input_tensor(make_input_layer(*entry.input_shape, cat(entry.layer->name(), "_input"))));
                has_input = true;
            }
            model->add(entry.layer);
        } catch (...) {
            rethrow_with_context(cat(entry_path, " (class '", entry.class_name, "', name '", entry.layer->name(), "')"));
        }
    }
    try {
        if (!has_input && keys.build_input_shape) model->build(to_shape(*keys.build_input_shape));
    } catch (...) {
        rethrow_with_context(join_path(path, "build_input_shape"));
    }
    if (!keys.trainable) model->set_trainable(false);
    return model;
}

}  // namespace kiln::serialization::detail
