#include "kiln/layers/group_normalization.hpp"

#include <cmath>

#include "kiln/core/errors.hpp"
#include "kiln/core/ops/group_norm.hpp"
#include "kiln/layers/detail/layer_config.hpp"

namespace kiln::layers {

GroupNormalizationLayer::GroupNormalizationLayer(const Options& options)
    : Layer(LayerOptions{.name = options.name, .trainable = options.trainable}, "group_normalization"),
      options_(options), groups_(options.groups) {
    const std::string who = cat("GroupNormalization '", name(), "'");
    if (options_.groups <= 0 && options_.groups != -1)
        throw ValueError(cat(who, ": groups must be a positive integer (or -1 for instance normalization), got ",
                             options_.groups));
    if (!(options_.epsilon >= 0.0) || !std::isfinite(options_.epsilon))
        throw ValueError(cat(who, ": epsilon must be a finite number >= 0, got ", options_.epsilon));
    detail::prepare_gamma_beta_options(options_);
}

int64_t GroupNormalizationLayer::channel_axis(const Shape& input_shape) const {
    const int64_t axis = normalize_axis(options_.axis, input_shape.rank(), describe());
    if (axis == 0) throw ValueError(cat(describe(), ": axis ", options_.axis, " is the batch axis of input ", input_shape));
    return axis;
}

void GroupNormalizationLayer::build_impl(const Shape& input_shape) {
    const int64_t axis = channel_axis(input_shape);
    const int64_t channels = input_shape[axis];
    const int64_t groups = options_.groups == -1 ? channels : options_.groups;
    if (channels < groups)
        throw ValueError(cat(describe(), ": the number of groups (", groups, ") cannot be more than the number of "
                             "channels (", channels, ") of input ", input_shape));
    if (channels % groups != 0)
        throw ValueError(cat(describe(), ": the number of groups (", groups, ") must divide the number of channels (",
                             channels, ") of input ", input_shape));
    groups_ = groups;
    const Options& o = options_;
    if (o.scale)
        gamma_ = add_weight({"gamma", Shape{channels}, o.gamma_initializer, true, o.gamma_regularizer, o.gamma_constraint});
    if (o.center)
        beta_ = add_weight({"beta", Shape{channels}, o.beta_initializer, true, o.beta_regularizer, o.beta_constraint});
    set_input_spec({.ndim = input_shape.rank(), .axes = {{axis, channels}}});
}

Tensor GroupNormalizationLayer::call(const Tensor& input, const CallContext&) {
    const Shape& shape = input.shape();
    const int64_t axis = channel_axis(shape);
    GroupNormLayout layout;
    layout.samples = shape[0];
    for (int64_t a = 1; a < axis; ++a) layout.spatial *= shape[a];
    layout.channels = shape[axis];
    for (int64_t a = axis + 1; a < shape.rank(); ++a) layout.trailing *= shape[a];
    layout.groups = groups_;
    return group_norm(input, gamma_.defined() ? gamma_.value() : Tensor(), beta_.defined() ? beta_.value() : Tensor(),
                      layout, options_.epsilon);
}

Shape GroupNormalizationLayer::compute_output_shape(const Shape& input_shape) const {
    channel_axis(input_shape);
    return input_shape;
}

nlohmann::json GroupNormalizationLayer::get_config() const {
    nlohmann::json config = Layer::get_config();
    config["groups"] = groups_;
    config["axis"] = options_.axis;
    config["epsilon"] = options_.epsilon;
    config["center"] = options_.center;
    config["scale"] = options_.scale;
    detail::write_gamma_beta_config(config, options_);
    return config;
}

std::shared_ptr<GroupNormalizationLayer> GroupNormalizationLayer::from_config(const nlohmann::json& config) {
    ConfigReader r(config, "GroupNormalization");
    Options o;
    r.read_base(o.name, o.trainable);
    o.groups = r.integer("groups", o.groups);
    o.axis = r.integer("axis", o.axis);
    o.epsilon = r.number("epsilon", o.epsilon);
    o.center = r.boolean("center", o.center);
    o.scale = r.boolean("scale", o.scale);
    detail::read_gamma_beta_config(r, o);
    r.finish();
    return std::make_shared<GroupNormalizationLayer>(o);
}

}  // namespace kiln::layers
