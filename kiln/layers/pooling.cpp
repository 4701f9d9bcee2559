#include "kiln/layers/pooling.hpp"

#include <algorithm>
#include <cctype>

#include "kiln/core/errors.hpp"
#include "kiln/core/ops/pool.hpp"
#include "kiln/core/ops/reduce.hpp"
#include "kiln/layers/config_reader.hpp"

namespace kiln::layers {
namespace {

std::string pair_str(const std::array<int64_t, 2>& v) { return cat("(", v[0], ", ", v[1], ")"); }

DataFormat read_data_format(ConfigReader& r) {
    const std::string key = "data_format";
    return parse_data_format(r.string(key, "channels_last"), r.where(key));
}

// The spatial axes (rows, columns) of a rank-4 input in `format`.
std::array<int64_t, 2> spatial_axes(DataFormat format) {
    return format == DataFormat::channels_last ? std::array<int64_t, 2>{1, 2} : std::array<int64_t, 2>{2, 3};
}

}  // namespace

// ---- MaxPooling2D and AveragePooling2D ----

Pooling2DLayer::Pooling2DLayer(const Options& options, PoolingMode mode, std::string_view class_name,
                               std::string_view default_name)
    : Layer(LayerOptions{.name = options.name, .trainable = options.trainable}, default_name),
      options_(options),
      mode_(mode) {
    const std::string who = cat(class_name, " '", name(), "'");
    if (options_.pool_size[0] < 1 || options_.pool_size[1] < 1)
        throw ValueError(cat(who, ": pool_size must be >= 1, got ", pair_str(options_.pool_size)));
    if (options_.strides && ((*options_.strides)[0] < 1 || (*options_.strides)[1] < 1))
        throw ValueError(cat(who, ": strides must be >= 1, got ", pair_str(*options_.strides)));
    set_input_spec(InputSpec{.ndim = 4});
}

Shape Pooling2DLayer::compute_output_shape(const Shape& input_shape) const {
    if (input_shape.rank() != 4)
        throw ShapeError(cat(describe(), ": expected a rank-4 input, got shape ", input_shape));
    Shape out = input_shape;
    const auto axes = spatial_axes(options_.data_format);
    const auto step = strides();
    for (size_t i = 0; i < 2; ++i)
        out[axes[i]] = window_along_axis(input_shape[axes[i]], options_.pool_size[i], step[i], 1, options_.padding,
                                         describe())
                           .output;
    return out;
}

Tensor Pooling2DLayer::call(const Tensor& input, const CallContext&) {
    compute_output_shape(input.shape());  // errors name the layer rather than the op
    const Pool2DOptions pool{.pool_size = options_.pool_size,
                             .strides = strides(),
                             .padding = options_.padding,
                             .data_format = options_.data_format};
    return mode_ == PoolingMode::max ? max_pool2d(input, pool) : avg_pool2d(input, pool);
}

nlohmann::json Pooling2DLayer::get_config() const {
    nlohmann::json config = Layer::get_config();
    config["pool_size"] = options_.pool_size;
    config["padding"] = to_string(options_.padding);
    config["strides"] = strides();
    config["data_format"] = to_string(options_.data_format);
    return config;
}

Pooling2DLayer::Options Pooling2DLayer::options_from_config(const nlohmann::json& config,
                                                            const std::string& class_name) {
    ConfigReader r(config, class_name);
    Options o;
    r.read_base(o.name, o.trainable);
    o.pool_size = r.size_pair("pool_size", o.pool_size);
    if (r.has("strides"))
        o.strides = r.size_pair("strides", o.pool_size);
    else
        r.ignore("strides");  // null: pool_size
    std::string padding = r.string("padding", "valid");
    std::transform(padding.begin(), padding.end(), padding.begin(), [](unsigned char c) { return std::tolower(c); });
    o.padding = parse_padding(padding, r.where("padding"));  // case-insensitive, as Keras
    o.data_format = read_data_format(r);
    r.finish();
    return o;
}

MaxPooling2DLayer::MaxPooling2DLayer(const Options& options)
    : Pooling2DLayer(options, PoolingMode::max, "MaxPooling2D", "max_pooling2d") {}

std::shared_ptr<MaxPooling2DLayer> MaxPooling2DLayer::from_config(const nlohmann::json& config) {
    return std::make_shared<MaxPooling2DLayer>(options_from_config(config, "MaxPooling2D"));
}

AveragePooling2DLayer::AveragePooling2DLayer(const Options& options)
    : Pooling2DLayer(options, PoolingMode::average, "AveragePooling2D", "average_pooling2d") {}

std::shared_ptr<AveragePooling2DLayer> AveragePooling2DLayer::from_config(const nlohmann::json& config) {
    return std::make_shared<AveragePooling2DLayer>(options_from_config(config, "AveragePooling2D"));
}

// ---- GlobalMaxPooling2D and GlobalAveragePooling2D ----

GlobalPooling2DLayer::GlobalPooling2DLayer(const Options& options, PoolingMode mode, std::string_view default_name)
    : Layer(LayerOptions{.name = options.name, .trainable = options.trainable}, default_name),
      options_(options),
      mode_(mode) {
    set_input_spec(InputSpec{.ndim = 4});
}

Shape GlobalPooling2DLayer::compute_output_shape(const Shape& input_shape) const {
    if (input_shape.rank() != 4)
        throw ShapeError(cat(describe(), ": expected a rank-4 input, got shape ", input_shape));
    const bool last = options_.data_format == DataFormat::channels_last;
    const int64_t channels = input_shape[last ? 3 : 1];
    if (!options_.keepdims) return {input_shape[0], channels};
    return last ? Shape{input_shape[0], 1, 1, channels} : Shape{input_shape[0], channels, 1, 1};
}

Tensor GlobalPooling2DLayer::call(const Tensor& input, const CallContext&) {
    const auto axes = spatial_axes(options_.data_format);
    const std::vector<int64_t> reduce_axes(axes.begin(), axes.end());
    return mode_ == PoolingMode::max ? max(input, reduce_axes, options_.keepdims)
                                     : mean(input, reduce_axes, options_.keepdims);
}

nlohmann::json GlobalPooling2DLayer::get_config() const {
    nlohmann::json config = Layer::get_config();
    config["data_format"] = to_string(options_.data_format);
    config["keepdims"] = options_.keepdims;
    return config;
}

GlobalPooling2DLayer::Options GlobalPooling2DLayer::options_from_config(const nlohmann::json& config,
                                                                        const std::string& class_name) {
    ConfigReader r(config, class_name);
    Options o;
    r.read_base(o.name, o.trainable);
    o.data_format = read_data_format(r);
    o.keepdims = r.boolean("keepdims", false);
    r.finish();
    return o;
}

GlobalMaxPooling2DLayer::GlobalMaxPooling2DLayer(const Options& options)
    : GlobalPooling2DLayer(options, PoolingMode::max, "global_max_pooling2d") {}

std::shared_ptr<GlobalMaxPooling2DLayer> GlobalMaxPooling2DLayer::from_config(const nlohmann::json& config) {
    return std::make_shared<GlobalMaxPooling2DLayer>(options_from_config(config, "GlobalMaxPooling2D"));
}

GlobalAveragePooling2DLayer::GlobalAveragePooling2DLayer(const Options& options)
    : GlobalPooling2DLayer(options, PoolingMode::average, "global_average_pooling2d") {}

std::shared_ptr<GlobalAveragePooling2DLayer> GlobalAveragePooling2DLayer::from_config(
    const nlohmann::json& config) {
    return std::make_shared<GlobalAveragePooling2DLayer>(options_from_config(config, "GlobalAveragePooling2D"));
}

}  // namespace kiln::layers
