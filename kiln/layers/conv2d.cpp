#include "kiln/layers/conv2d.hpp"

#include <algorithm>
#include <cctype>

#include "kiln/core/errors.hpp"
#include "kiln/core/ops/elementwise.hpp"
#include "kiln/layers/activations.hpp"
#include "kiln/layers/detail/layer_config.hpp"

namespace kiln::layers {
namespace {

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
}

void check_positive(const IntPair& pair, const char* what, const std::string& who) {
    if (pair[0] < 1 || pair[1] < 1)
        throw ValueError(cat(who, ": ", what, " must be positive integers, got [", pair[0], ", ", pair[1], "]"));
}

IntPair read_pair(ConfigReader& r, const std::string& key, const IntPair& fallback) {
    const std::array<int64_t, 2> pair = r.size_pair(key, {fallback[0], fallback[1]});
    return IntPair(pair[0], pair[1]);
}

nlohmann::json pair_json(const IntPair& pair) { return nlohmann::json::array({pair[0], pair[1]}); }

}  // namespace

Conv2DLayer::Conv2DLayer(const Options& options)
    : Layer(LayerOptions{.name = options.name, .trainable = options.trainable}, "conv2d"), options_(options) {
    const std::string who = cat("Conv2D '", name(), "'");
    if (options_.filters <= 0)
        throw ValueError(cat(who, ": filters must be a positive integer, got ", options_.filters));
    check_positive(options_.kernel_size, "kernel_size", who);
    check_positive(options_.strides, "strides", who);
    check_positive(options_.dilation_rate, "dilation_rate", who);
    if (options_.groups <= 0) throw ValueError(cat(who, ": groups must be a positive integer, got ", options_.groups));
    if (options_.filters % options_.groups != 0)
        throw ValueError(cat(who, ": the number of filters must be divisible by groups, got filters=",
                             options_.filters, " and groups=", options_.groups));
    const auto& s = options_.strides;
    const auto& d = options_.dilation_rate;
    if (std::max(s[0], s[1]) > 1 && std::max(d[0], d[1]) > 1)
        throw ValueError(cat(who, ": strides > 1 is not supported together with dilation_rate > 1, got strides=[",
                             s[0], ", ", s[1], "] and dilation_rate=[", d[0], ", ", d[1], "]"));
    options_.padding = lower(options_.padding);
    options_.data_format = lower(options_.data_format);
    op_ = kiln::Conv2DOptions{.strides = s.values(),
                              .padding = parse_padding(options_.padding, who),
                              .dilation = d.values(),
                              .groups = options_.groups,
                              .data_format = parse_data_format(options_.data_format, who)};
    detail::prepare_kernel_bias_options(options_, who);
}

int64_t Conv2DLayer::channel_axis(const Shape& input_shape) const {
    if (input_shape.rank() != 4)
        throw ShapeError(cat(describe(), ": expected an input of rank 4, got shape ", input_shape));
    return op_.data_format == DataFormat::channels_last ? 3 : 1;
}

void Conv2DLayer::build_impl(const Shape& input_shape) {
    const int64_t axis = channel_axis(input_shape);
    const int64_t channels = input_shape[axis];
    if (channels % options_.groups != 0)
        throw ValueError(cat(describe(), ": the input channels must be divisible by groups, got groups=",
                             options_.groups, " for input shape ", input_shape));
    const auto& k = options_.kernel_size;
    kernel_ = add_weight({"kernel", Shape{k[0], k[1], channels / options_.groups, options_.filters},
                          options_.kernel_initializer, true, options_.kernel_regularizer, options_.kernel_constraint});
    if (options_.use_bias)
        bias_ = add_weight({"bias", Shape{options_.filters}, options_.bias_initializer, true,
                            options_.bias_regularizer, options_.bias_constraint});
    set_input_spec({.ndim = 4, .axes = {{axis, channels}}});
}

Tensor Conv2DLayer::call(const Tensor& input, const CallContext&) {
    Tensor y = conv2d(input, kernel_.value(), op_);
    if (options_.use_bias) {
        const bool last = op_.data_format == DataFormat::channels_last;
        y = y + (last ? bias_.value() : bias_.value().reshape({options_.filters, 1, 1}));
    }
    return activations::apply(options_.activation, y);
}

Shape Conv2DLayer::compute_output_shape(const Shape& input_shape) const {
    const int64_t axis = channel_axis(input_shape);
    const int64_t first_spatial = axis == 3 ? 1 : 2;
    Shape out = input_shape;
    out[axis] = options_.filters;
    for (size_t i = 0; i < 2; ++i) {
        const int64_t a = first_spatial + static_cast<int64_t>(i);
        out[a] = window_along_axis(input_shape[a], options_.kernel_size[i], options_.strides[i],
                                   options_.dilation_rate[i], op_.padding, describe())
                     .output;
    }
    return out;
}

nlohmann::json Conv2DLayer::get_config() const {
    nlohmann::json config = Layer::get_config();
    config["filters"] = options_.filters;
    config["kernel_size"] = pair_json(options_.kernel_size);
    config["strides"] = pair_json(options_.strides);
    config["padding"] = options_.padding;
    config["data_format"] = options_.data_format;
    config["dilation_rate"] = pair_json(options_.dilation_rate);
    config["groups"] = options_.groups;
    detail::write_kernel_bias_config(config, options_, true);
    return config;
}

std::shared_ptr<Conv2DLayer> Conv2DLayer::from_config(const nlohmann::json& config) {
    ConfigReader r(config, "Conv2D");
    Options o;
    r.read_base(o.name, o.trainable);
    for (const char* key : {"filters", "kernel_size"})
        if (!r.has(key)) throw ValueError(cat(r.where(key), ": required"));
    o.filters = r.size("filters", 0);
    o.kernel_size = read_pair(r, "kernel_size", o.kernel_size);
    o.strides = read_pair(r, "strides", o.strides);
    o.padding = r.string("padding", o.padding);
    o.data_format = r.string("data_format", o.data_format);
    o.dilation_rate = read_pair(r, "dilation_rate", o.dilation_rate);
    o.groups = r.size("groups", o.groups);
    detail::read_kernel_bias_config(r, o);
    r.finish();
    return std::make_shared<Conv2DLayer>(o);
}

}  // namespace kiln::layers
