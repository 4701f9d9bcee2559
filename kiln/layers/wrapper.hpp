// WrapperLayer: the base of layers that wrap one other layer, as Keras's keras.layers.Wrapper. Building the
// wrapper builds the wrapped layer (when it is not built yet) with the same input shape; the wrapped layer is a
// sublayer, so its weights follow the wrapper's own. The config gets the wrapped layer's Keras 3 object form
// under "layer". In Keras weight files the wrapped layer's variables sit under the attribute name "layer"
// (".../spectral_normalization/layer/vars/0").
#pragma once

#include <string_view>

#include "kiln/layers/layer.hpp"

namespace kiln::layers {

class WrapperLayer : public Layer {
public:
    const LayerPtr& layer() const { return layer_; }
    Shape compute_output_shape(const Shape& input_shape) const override;
    // The base keys, then "layer".
    nlohmann::json get_config() const override;

protected:
    // ValueError naming the wrapper (`class_name`, as class_name() cannot be called yet) when `layer` is null.
    WrapperLayer(const LayerOptions& options, std::string_view class_name, std::string_view default_name,
                 LayerPtr layer);
    void build_impl(const Shape& input_shape) override;

private:
    LayerPtr layer_;
};

}  // namespace kiln::layers
