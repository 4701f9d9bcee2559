#include "kiln/models/model_layer.hpp"

#include "kiln/core/errors.hpp"
#include "kiln/models/training_state.hpp"

namespace kiln {

ModelLayer::ModelLayer(const LayerOptions& options, std::string_view default_name) : Layer(options, default_name) {}

ModelLayer::~ModelLayer() = default;

LayerPtr ModelLayer::get_layer(const std::string& name) const {
    std::string known;
    for (const LayerPtr& layer : layers_) {
        if (layer->name() == name) return layer;
        known += (known.empty() ? "" : ", ") + layer->name();
    }
    throw ValueError(cat(describe(), ": no layer named '", name, "' (layers: ", known, ")"));
}

void ModelLayer::add_layer(LayerPtr layer) {
    if (!layer) throw ValueError(cat(describe(), ": cannot add a null layer"));
    for (const LayerPtr& existing : layers_)
        if (existing != layer && existing->name() == layer->name())
            throw ValueError(cat(describe(), ": all layers in a model must have unique names; '", layer->name(),
                                 "' is used twice"));
    layers_.push_back(layer);
    track_layer(std::move(layer));
}

void ModelLayer::remove_last_layer() {
    if (layers_.empty()) throw ValueError(cat(describe(), ": there is no layer to remove"));
    untrack_layer(layers_.back());
    layers_.pop_back();
}

}  // namespace kiln
