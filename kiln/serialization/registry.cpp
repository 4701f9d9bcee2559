#include "kiln/serialization/registry.hpp"

#include <map>
#include <mutex>

#include "kiln/core/errors.hpp"
#include "kiln/layers/activations.hpp"
#include "kiln/layers/batch_normalization.hpp"
#include "kiln/layers/conv2d.hpp"
#include "kiln/layers/dense.hpp"
#include "kiln/layers/dropout.hpp"
#include "kiln/layers/group_normalization.hpp"
#include "kiln/layers/input_layer.hpp"
#include "kiln/layers/layer_normalization.hpp"
#include "kiln/layers/masking.hpp"
#include "kiln/layers/merging.hpp"
#include "kiln/layers/pooling.hpp"
#include "kiln/layers/preprocessing/normalization.hpp"
#include "kiln/layers/preprocessing/random_flip.hpp"
#include "kiln/layers/preprocessing/random_rotation.hpp"
#include "kiln/layers/preprocessing/random_translation.hpp"
#include "kiln/layers/preprocessing/random_zoom.hpp"
#include "kiln/layers/preprocessing/rescaling.hpp"
#include "kiln/layers/reshaping.hpp"
#include "kiln/layers/spectral_normalization.hpp"
#include "kiln/layers/unit_normalization.hpp"
#include "kiln/serialization/detail/reading.hpp"
#include "kiln/serialization/model_config.hpp"

namespace kiln::serialization {
namespace {

template <class L>
LayerFactory factory_of() {
    return [](const nlohmann::json& config) -> LayerPtr { return L::from_config(config); };
}

// Models nest as layers; their configs are read by the model-config readers.
LayerPtr sequential_factory(const nlohmann::json& config) { return detail::sequential_from_config(config, "config"); }
LayerPtr functional_factory(const nlohmann::json& config) { return detail::functional_from_config(config, "config"); }

// A wrapper's "layer" is a layer entry of its own, read as the model readers read one (legacy forms included).
LayerPtr spectral_normalization_factory(const nlohmann::json& config) {
    if (!config.is_object() || !config.contains("layer") || config.at("layer").is_null())
        throw ValueError("SpectralNormalization config key 'layer': required (the wrapped layer)");
    LayerPtr layer = detail::read_layer_entry(config.at("layer"), "layer", {}).layer;
    return layers::SpectralNormalizationLayer::from_config(config, std::move(layer));
}

struct Registry {
    std::mutex mutex;
    std::map<std::string, LayerFactory> factories{
        {"Activation", factory_of<layers::ActivationLayer>()},
        {"BatchNormalization", factory_of<layers::BatchNormalizationLayer>()},
        {"Add", factory_of<layers::AddLayer>()},
        {"AveragePooling2D", factory_of<layers::AveragePooling2DLayer>()},
        {"Concatenate", factory_of<layers::ConcatenateLayer>()},
        {"Conv2D", factory_of<layers::Conv2DLayer>()},
        {"Dense", factory_of<layers::DenseLayer>()},
        {"Dropout", factory_of<layers::DropoutLayer>()},
        {"Flatten", factory_of<layers::FlattenLayer>()},
        {"Functional", functional_factory},
        {"GlobalAveragePooling2D", factory_of<layers::GlobalAveragePooling2DLayer>()},
        {"GlobalMaxPooling2D", factory_of<layers::GlobalMaxPooling2DLayer>()},
        {"GroupNormalization", factory_of<layers::GroupNormalizationLayer>()},
        {"InputLayer", factory_of<layers::InputLayerLayer>()},
        {"LayerNormalization", factory_of<layers::LayerNormalizationLayer>()},
        {"LeakyReLU", factory_of<layers::LeakyReLULayer>()},
        {"Masking", factory_of<layers::MaskingLayer>()},
        {"MaxPooling2D", factory_of<layers::MaxPooling2DLayer>()},
        {"Model", functional_factory},
        {"Normalization", factory_of<layers::NormalizationLayer>()},
        {"RandomFlip", factory_of<layers::RandomFlipLayer>()},
        {"RandomRotation", factory_of<layers::RandomRotationLayer>()},
        {"RandomTranslation", factory_of<layers::RandomTranslationLayer>()},
        {"RandomZoom", factory_of<layers::RandomZoomLayer>()},
        {"ReLU", factory_of<layers::ReLULayer>()},
        {"Rescaling", factory_of<layers::RescalingLayer>()},
        {"Reshape", factory_of<layers::ReshapeLayer>()},
        {"Sequential", sequential_factory},
        {"Softmax", factory_of<layers::SoftmaxLayer>()},
        {"SpectralNormalization", spectral_normalization_factory},
        {"UnitNormalization", factory_of<layers::UnitNormalizationLayer>()},
        {"ZeroPadding2D", factory_of<layers::ZeroPadding2DLayer>()},
    };
};

Registry& registry() {
    static Registry r;
    return r;
}

}  // namespace

void register_layer(const std::string& class_name, LayerFactory factory) {
    if (class_name.empty() || !factory) throw ValueError("register_layer: needs a class name and a factory");
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    r.factories[class_name] = std::move(factory);
}

std::vector<std::string> registered_layers() {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    std::vector<std::string> names;
    for (const auto& [name, factory] : r.factories) names.push_back(name);
    return names;
}

LayerPtr layer_from_config(const std::string& class_name, const nlohmann::json& config) {
    LayerFactory factory;
    {
        Registry& r = registry();
        std::lock_guard lock(r.mutex);
        auto found = r.factories.find(class_name);
        if (found == r.factories.end())
            throw ValueError(cat("Unknown layer class '", class_name, "': it is not a built-in kiln layer and was not "
                                 "registered with kiln::serialization::register_layer"));
        factory = found->second;
    }
    return factory(config);
}

nlohmann::json serialize_layer(const Layer& layer) {
    if (const auto* model = dynamic_cast<const ModelLayer*>(&layer)) return serialize_model(*model);
    return layer_object_config(layer);
}

LayerPtr deserialize_layer(const nlohmann::json& object) {
    if (!object.is_object() || !object.contains("class_name") || !object.at("class_name").is_string())
        throw ValueError(cat("deserialize_layer: expected an object with a string 'class_name', got ",
                             object.dump().substr(0, 200)));
    const nlohmann::json& config = object.contains("config") ? object.at("config") : nlohmann::json::object();
    return layer_from_config(object.at("class_name").get<std::string>(), config);
}

}  // namespace kiln::serialization
