#include "kiln/layers/layer_normalization.hpp"

#include <cmath>

#include "kiln/core/errors.hpp"
#include "kiln/core/ops.hpp"
#include "kiln/layers/detail/layer_config.hpp"

namespace kiln::layers {
LayerNormalizationLayer::LayerNormalizationLayer(const Options& options)
    : Layer(LayerOptions{.name = options.name, .trainable = options.trainable}, "layer_normalization"),
      options_(options) {
    const std::string who = cat("LayerNormalization '", name(), "'");
    if (detail::axis_list(options_.axis).empty()) throw ValueError(cat(who, ": axis must not be an empty list"));
    if (!(options_.epsilon >= 0.0) || !std::isfinite(options_.epsilon))
        throw ValueError(cat(who, ": epsilon must be a finite number >= 0, got ", options_.epsilon));
    detail::prepare_gamma_beta_options(options_);
}

std::vector<int64_t> LayerNormalizationLayer::resolve_axes(const Shape& input_shape) const {
    return normalize_axes(detail::axis_list(options_.axis), input_shape.rank(), describe());
}

void LayerNormalizationLayer::build_impl(const Shape& input_shape) {
    axes_ = resolve_axes(input_shape);
    Shape param_shape;
    InputSpec spec;
    spec.ndim = input_shape.rank();
    for (int64_t a : axes_) {
        param_shape.push_back(input_shape[a]);
        spec.axes.emplace_back(a, input_shape[a]);
    }
    const Options& o = options_;
    if (o.scale || o.rms_scaling)
        gamma_ = add_weight({"gamma", param_shape, o.gamma_initializer, true, o.gamma_regularizer, o.gamma_constraint});
    if (o.center && !o.rms_scaling)
        beta_ = add_weight({"beta", param_shape, o.beta_initializer, true, o.beta_regularizer, o.beta_constraint});
    set_input_spec(spec);
}

Tensor LayerNormalizationLayer::call(const Tensor& input, const CallContext&) {
    const Shape& shape = input.shape();
    const int64_t rank = shape.rank();
    const Tensor gamma = gamma_.defined() ? gamma_.value() : Tensor();
    const Tensor beta = beta_.defined() ? beta_.value() : Tensor();
    const bool trailing = axes_.back() == rank - 1 && axes_.back() - axes_.front() + 1 == static_cast<int64_t>(axes_.size());
    if (trailing && !options_.rms_scaling) {
        // Each row of the leading axes is one sample of the fused op, the trailing block its channels.
        GroupNormLayout layout;
        for (int64_t a = 0; a < axes_.front(); ++a) layout.samples *= shape[a];
        for (int64_t a : axes_) layout.channels *= shape[a];
        if (layout.channels > 0) return group_norm(input, gamma, beta, layout, options_.epsilon);
    }
    // Other axes, and rms_scaling: the same formula from composite ops.
    Shape broadcast(std::vector<int64_t>(static_cast<size_t>(rank), 1));
    for (int64_t a : axes_) broadcast[a] = shape[a];
    const Tensor mu = mean(input, axes_, true);
    const Tensor centered = input - mu;
    const Tensor inv = rsqrt(mean(square(centered), axes_, true) + static_cast<float>(options_.epsilon));
    Tensor y = options_.rms_scaling ? input * inv : centered * inv;
    if (gamma.defined()) y = y * gamma.reshape(broadcast);
    if (beta.defined()) y = y + beta.reshape(broadcast);
    return y;
}

Shape LayerNormalizationLayer::compute_output_shape(const Shape& input_shape) const {
    resolve_axes(input_shape);
    return input_shape;
}

nlohmann::json LayerNormalizationLayer::get_config() const {
    nlohmann::json config = Layer::get_config();
    if (built())
        config["axis"] = axes_;
    else
        std::visit([&config](const auto& axis) { config["axis"] = axis; }, options_.axis);
    config["epsilon"] = options_.epsilon;
    config["center"] = options_.center;
    config["scale"] = options_.scale;
    config["rms_scaling"] = options_.rms_scaling;
    detail::write_gamma_beta_config(config, options_);
    return config;
}

std::shared_ptr<LayerNormalizationLayer> LayerNormalizationLayer::from_config(const nlohmann::json& config) {
    ConfigReader r(config, "LayerNormalization");
    Options o;
    r.read_base(o.name, o.trainable);
    o.axis = r.int_or_list("axis", -1);
    o.epsilon = r.number("epsilon", o.epsilon);
    o.center = r.boolean("center", o.center);
    o.scale = r.boolean("scale", o.scale);
    o.rms_scaling = r.boolean("rms_scaling", o.rms_scaling);
    detail::read_gamma_beta_config(r, o);
    r.finish();
    return std::make_shared<LayerNormalizationLayer>(o);
}

}  // namespace kiln::layers
