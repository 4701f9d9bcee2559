#include "kiln/layers/wrapper.hpp"

#include <utility>

#include "kiln/core/errors.hpp"

namespace kiln::layers {

WrapperLayer::WrapperLayer(const LayerOptions& options, std::string_view class_name, std::string_view default_name,
                           LayerPtr layer)
    : Layer(options, default_name), layer_(std::move(layer)) {
    if (!layer_) throw ValueError(cat(class_name, " '", name(), "': needs a layer to wrap, got none"));
    track_layer(layer_);
}

void WrapperLayer::build_impl(const Shape& input_shape) { layer_->build(input_shape); }

Shape WrapperLayer::compute_output_shape(const Shape& input_shape) const {
    return layer_->compute_output_shape(input_shape);
}

nlohmann::json WrapperLayer::get_config() const {
    nlohmann::json config = Layer::get_config();
    config["layer"] = layer_object_config(*layer_);
    return config;
}

}  // namespace kiln::layers
