#include "kiln/layers/masking.hpp"

#include "kiln/core/errors.hpp"
#include "kiln/core/ops/compare.hpp"
#include "kiln/core/ops/elementwise.hpp"
#include "kiln/core/ops/reduce.hpp"
#include "kiln/core/tape.hpp"
#include "kiln/layers/config_reader.hpp"

namespace kiln::layers {

MaskingLayer::MaskingLayer(const Options& options)
    : Layer(LayerOptions{.name = options.name, .trainable = options.trainable}, "masking"), options_(options) {
    set_input_spec(InputSpec{.min_ndim = 1});
}

Tensor MaskingLayer::keep_mask(const Tensor& input) const {
    if (input.rank() < 1) throw ShapeError(cat(describe(), ": expected an input of rank >= 1, got a scalar"));
    const Tensor differs = not_equal(stop_gradient(input), Tensor::scalar(static_cast<float>(options_.mask_value)));
    return max(differs, {-1}, true);
}

Tensor MaskingLayer::compute_mask(const Tensor& input, const Tensor&) const {
    Shape without_features = input.shape();
    without_features.pop_back();
    return keep_mask(input).reshape(without_features);
}

Tensor MaskingLayer::call(const Tensor& input, const CallContext&) { return input * keep_mask(input); }

nlohmann::json MaskingLayer::get_config() const {
    nlohmann::json config = Layer::get_config();
    config["mask_value"] = options_.mask_value;
    return config;
}

std::shared_ptr<MaskingLayer> MaskingLayer::from_config(const nlohmann::json& config) {
    ConfigReader r(config, "Masking");
    Options o;
    r.read_base(o.name, o.trainable);
    o.mask_value = r.number("mask_value", o.mask_value);
    r.finish();
    return std::make_shared<MaskingLayer>(o);
}

}  // namespace kiln::layers
