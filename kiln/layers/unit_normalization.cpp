#include "kiln/layers/unit_normalization.hpp"

#include "kiln/core/errors.hpp"
#include "kiln/core/ops.hpp"
#include "kiln/layers/config_reader.hpp"
#include "kiln/layers/detail/layer_config.hpp"

namespace kiln::layers {
namespace {

// Keras's epsilon for the norm, squared: the floor of the sum of squares.
constexpr float kMinSquaredNorm = 1e-24f;

}  // namespace

UnitNormalizationLayer::UnitNormalizationLayer(const Options& options)
    : Layer(LayerOptions{.name = options.name, .trainable = options.trainable}, "unit_normalization"),
      options_(options) {
    if (detail::axis_list(options_.axis).empty())
        throw ValueError(cat("UnitNormalization '", name(), "': axis must not be an empty list"));
}

std::vector<int64_t> UnitNormalizationLayer::resolve_axes(const Shape& input_shape) const {
    return normalize_axes(detail::axis_list(options_.axis), input_shape.rank(), describe());
}

Tensor UnitNormalizationLayer::call(const Tensor& input, const CallContext&) {
    const Tensor squares = sum(square(input), resolve_axes(input.shape()), true);
    return input * rsqrt(maximum(squares, Tensor::scalar(kMinSquaredNorm)));
}

Shape UnitNormalizationLayer::compute_output_shape(const Shape& input_shape) const {
    resolve_axes(input_shape);
    return input_shape;
}

nlohmann::json UnitNormalizationLayer::get_config() const {
    nlohmann::json config = Layer::get_config();
    std::visit([&config](const auto& axis) { config["axis"] = axis; }, options_.axis);
    return config;
}

std::shared_ptr<UnitNormalizationLayer> UnitNormalizationLayer::from_config(const nlohmann::json& config) {
    ConfigReader r(config, "UnitNormalization");
    Options o;
    r.read_base(o.name, o.trainable);
    o.axis = r.int_or_list("axis", -1);
    r.finish();
    return std::make_shared<UnitNormalizationLayer>(o);
}

}  // namespace kiln::layers
