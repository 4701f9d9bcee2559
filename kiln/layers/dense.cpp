#include "kiln/layers/dense.hpp"

#include "kiln/core/errors.hpp"
#include "kiln/core/ops/elementwise.hpp"
#include "kiln/core/ops/linalg.hpp"
#include "kiln/layers/activations.hpp"
#include "kiln/layers/detail/layer_config.hpp"

namespace kiln::layers {

DenseLayer::DenseLayer(const Options& options)
    : Layer(LayerOptions{.name = options.name, .trainable = options.trainable}, "dense"), options_(options) {
    const std::string who = cat("Dense '", name(), "'");
    if (options_.units <= 0) throw ValueError(cat(who, ": units must be a positive integer, got ", options_.units));
    detail::prepare_kernel_bias_options(options_, who);
}

void DenseLayer::check_rank(const Shape& input_shape) const {
    if (input_shape.rank() < 2)
        throw ShapeError(cat(describe(), ": expected an input of rank >= 2, got shape ", input_shape));
}

void DenseLayer::build_impl(const Shape& input_shape) {
    check_rank(input_shape);
    const int64_t in = input_shape.dim(-1);
    kernel_ = add_weight({"kernel", Shape{in, options_.units}, options_.kernel_initializer, true,
                          options_.kernel_regularizer, options_.kernel_constraint});
    if (options_.use_bias)
        bias_ = add_weight({"bias", Shape{options_.units}, options_.bias_initializer, true, options_.bias_regularizer,
                            options_.bias_constraint});
    set_input_spec({.min_ndim = 2, .axes = {{-1, in}}});
}

Tensor DenseLayer::call(const Tensor& input, const CallContext&) {
    // [..., in] -> [rows, in] @ [in, units] -> [..., units]: one matrix product whatever the rank.
    Shape out_shape = input.shape();
    out_shape.back() = options_.units;
    Tensor y = matmul(input.reshape({-1, input.dim(-1)}), kernel_.value()).reshape(out_shape);
    if (options_.use_bias) y = y + bias_.value();
    return activations::apply(options_.activation, y);
}

Shape DenseLayer::compute_output_shape(const Shape& input_shape) const {
    check_rank(input_shape);
    Shape out = input_shape;
    out.back() = options_.units;
    return out;
}

nlohmann::json DenseLayer::get_config() const {
    nlohmann::json config = Layer::get_config();
    config["units"] = options_.units;
    detail::write_kernel_bias_config(config, options_, false);
    return config;
}

std::shared_ptr<DenseLayer> DenseLayer::from_config(const nlohmann::json& config) {
    ConfigReader r(config, "Dense");
    Options o;
    r.read_base(o.name, o.trainable);
    if (!r.has("units")) throw ValueError(cat(r.where("units"), ": required"));
    o.units = r.size("units", 0);
    detail::read_kernel_bias_config(r, o);
    detail::read_unsupported(r, "quantization_config");
    r.finish();
    return std::make_shared<DenseLayer>(o);
}

}  // namespace kiln::layers
