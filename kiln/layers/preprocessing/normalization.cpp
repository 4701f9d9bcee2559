#include "kiln/layers/preprocessing/normalization.hpp"

#include <algorithm>
#include <charconv>

#include "kiln/core/errors.hpp"
#include "kiln/core/ops.hpp"
#include "kiln/core/tape.hpp"
#include "kiln/layers/config_reader.hpp"
#include "kiln/layers/initializers.hpp"

namespace kiln::layers {
namespace {

// Keras's backend.epsilon(): the floor of the standard deviation.
constexpr float kEpsilon = 1e-7f;

// The double with the shortest decimal form that reads back as `f`, so that a mean of 0.2 is written 0.2 in a
// config, not 0.20000000298023224.
double shortest_double(float f) {
    char buffer[32];
    const auto written = std::to_chars(buffer, buffer + sizeof buffer, f);
    double out = f;
    std::from_chars(buffer, written.ptr, out);
    return out;
}

// A number, or nested lists for a tensor of rank >= 1, as NumPy's tolist() gives.
nlohmann::json nested_list(const float* data, const Shape& shape, int64_t axis) {
    if (axis == shape.rank()) return shortest_double(*data);
    int64_t stride = 1;
    for (int64_t d = axis + 1; d < shape.rank(); ++d) stride *= shape[d];
    nlohmann::json out = nlohmann::json::array();
    for (int64_t i = 0; i < shape[axis]; ++i) out.push_back(nested_list(data + i * stride, shape, axis + 1));
    return out;
}

nlohmann::json to_json(const Tensor& t) { return t.defined() ? nested_list(t.data(), t.shape(), 0) : nullptr; }

// Appends the numbers of `v`, which must be nested lists of `shape` from `axis` on (numbers at the bottom).
bool flatten(const nlohmann::json& v, const Shape& shape, int64_t axis, std::vector<float>& out) {
    if (axis == shape.rank()) {
        if (!v.is_number()) return false;
        out.push_back(v.get<float>());
        return true;
    }
    if (!v.is_array() || static_cast<int64_t>(v.size()) != shape[axis]) return false;
    return std::all_of(v.begin(), v.end(), [&](const nlohmann::json& item) { return flatten(item, shape, axis + 1, out); });
}

// A number or rectangular nested lists of numbers as a tensor; undefined for null.
Tensor read_values(ConfigReader& r, const std::string& key) {
    const nlohmann::json& v = r.raw(key);
    if (v.is_null()) return {};
    Shape shape;
    for (const nlohmann::json* level = &v; level->is_array(); level = &level->front()) {
        shape.push_back(static_cast<int64_t>(level->size()));
        if (level->empty()) break;
    }
    std::vector<float> values;
    if (!flatten(v, shape, 0, values))
        throw ValueError(cat(r.where(key), ": expected a number or nested lists of numbers of one shape, got ",
                             v.dump().substr(0, 200)));
    return Tensor(std::move(values), shape);
}

}  // namespace

NormalizationLayer::NormalizationLayer(const Options& options)
    : Layer(LayerOptions{.name = options.name, .trainable = options.trainable}, "normalization"), options_(options) {
    const std::string who = cat("Normalization '", name(), "'");
    const Tensor& m = options_.mean;
    const Tensor& v = options_.variance;
    if (m.defined() != v.defined())
        throw ValueError(cat(who, ": when setting values directly, both mean and variance must be set, got mean=",
                             to_json(m).dump(), " and variance=", to_json(v).dump()));
    if (!m.defined()) return;
    if (m.shape() != v.shape())
        throw ValueError(cat(who, ": mean and variance must have the same shape, got mean shape ", m.shape(),
                             " and variance shape ", v.shape()));
    if (m.rank() > static_cast<int64_t>(options_.axis.size()))
        throw ValueError(cat(who, ": the rank of mean must be at most the number of axes (",
                             options_.axis.size(), "), got mean shape ", m.shape(), " for axis ",
                             nlohmann::json(options_.axis).dump()));
    if (std::any_of(v.data(), v.data() + v.size(), [](float x) { return !(x >= 0.0f); }))
        throw ValueError(cat(who, ": variance must not be negative (or NaN), got ", to_json(v).dump()));
}

void NormalizationLayer::build_impl(const Shape& input_shape) {
    const int64_t ndim = input_shape.rank();
    for (int64_t a : options_.axis)
        if (a < -ndim || a >= ndim)
            throw ValueError(cat(describe(), ": every axis must be in [-ndim, ndim), got axis ",
                                 nlohmann::json(options_.axis).dump(), " for inputs of shape ", input_shape));
    keep_ = normalize_axes(options_.axis, ndim, describe());
    if (options_.axis.empty()) keep_.clear();  // normalize_axes reads an empty list as every axis
    broadcast_shape_ = Shape(std::vector<int64_t>(static_cast<size_t>(ndim), 1));
    Shape kept;
    for (int64_t d : keep_) {
        if (input_shape[d] < 0)
            throw ValueError(cat(describe(), ": the axes kept must have a known size, axis ", d,
                                 " of the input shape ", input_shape, " has none"));
        broadcast_shape_[d] = input_shape[d];
        kept.push_back(input_shape[d]);
    }
    build_shape_ = input_shape;
    InputSpec spec{.ndim = ndim};
    for (int64_t d : keep_) spec.axes.emplace_back(d, input_shape[d]);
    set_input_spec(spec);
    if (options_.mean.defined()) {
        given_mean_ = broadcast_given(options_.mean, input_shape);
        given_variance_ = broadcast_given(options_.variance, input_shape);
        return;
    }
    mean_ = add_weight({.name = "mean", .shape = kept, .initializer = initializers::get("zeros"), .trainable = false});
    variance_ =
        add_weight({.name = "variance", .shape = kept, .initializer = initializers::get("ones"), .trainable = false});
    count_ = add_weight({.name = "count",
                         .shape = Shape{},
                         .initializer = initializers::get("zeros"),
                         .trainable = false,
                         .dtype = "int64"});
}

Tensor NormalizationLayer::broadcast_given(const Tensor& values, const Shape& input_shape) const {
    // Keras aligns the given dimensions with the kept axes from the right; each must be 1 or the axis's size.
    Shape expanded(std::vector<int64_t>(static_cast<size_t>(input_shape.rank()), 1));
    for (int64_t i = 1; i <= values.rank(); ++i) {
        const int64_t axis = keep_[keep_.size() - static_cast<size_t>(i)];
        const int64_t size = values.dim(-i);
        if (size != 1 && size != input_shape[axis])
            throw ValueError(cat(describe(), ": mean and variance of shape ", values.shape(),
                                 " do not broadcast onto the kept axes ", Shape(keep_), " of the input shape ",
                                 input_shape));
        expanded[axis] = size;
    }
    return broadcast_to(values.reshape(expanded), broadcast_shape_);
}

void NormalizationLayer::adapt(const Tensor& data) {
    if (options_.mean.defined())
        throw ValueError(cat(describe(), ": adapt() computes mean and variance, but this layer was given them"));
    if (!data.defined()) throw ValueError(cat(describe(), ": adapt() got an undefined tensor"));
    build(data.shape());
    bool compatible = data.rank() == build_shape_.rank();
    for (int64_t d : keep_) compatible = compatible && data.dim(d) == build_shape_[d];
    if (!compatible)
        throw ValueError(cat(describe(), ": the layer was built for inputs of shape ", build_shape_,
                             ", but adapt() got data of an incompatible shape ", data.shape()));
    // The reduced axes first, the kept ones last: a [samples, features] matrix, averaged in double.
    std::vector<int64_t> order;
    for (int64_t d = 0; d < data.rank(); ++d)
        if (std::find(keep_.begin(), keep_.end(), d) == keep_.end()) order.push_back(d);
    order.insert(order.end(), keep_.begin(), keep_.end());
    const Tensor rows = permute(stop_gradient(data), order);
    const auto features = static_cast<size_t>(mean_.shape().numel());
    const size_t samples = features == 0 ? 0 : static_cast<size_t>(data.size()) / features;
    if (samples == 0)
        throw ValueError(cat(describe(), ": adapt() needs at least one sample, got data of shape ", data.shape()));
    const float* x = rows.data();
    std::vector<double> means(features), squares(features);
    for (size_t i = 0; i < samples * features; ++i) means[i % features] += x[i];
    for (double& m : means) m /= static_cast<double>(samples);
    for (size_t i = 0; i < samples * features; ++i) {
        const double d = x[i] - means[i % features];
        squares[i % features] += d * d;
    }
    std::vector<float> mean(features), variance(features);
    for (size_t f = 0; f < features; ++f) {
        mean[f] = static_cast<float>(means[f]);
        variance[f] = static_cast<float>(squares[f] / static_cast<double>(samples));
    }
    mean_.assign(Tensor(std::move(mean), mean_.shape()));
    variance_.assign(Tensor(std::move(variance), variance_.shape()));
}

Tensor NormalizationLayer::call(const Tensor& input, const CallContext&) {
    const bool given = options_.mean.defined();
    const Tensor mean = given ? given_mean_ : mean_.value().reshape(broadcast_shape_);
    const Tensor variance = given ? given_variance_ : variance_.value().reshape(broadcast_shape_);
    const Tensor scale = maximum(sqrt(variance), Tensor::scalar(kEpsilon));
    return options_.invert ? mean + input * scale : (input - mean) / scale;
}

nlohmann::json NormalizationLayer::get_config() const {
    nlohmann::json config = Layer::get_config();
    config["axis"] = options_.axis;
    config["invert"] = options_.invert;
    config["mean"] = to_json(options_.mean);
    config["variance"] = to_json(options_.variance);
    return config;
}

std::shared_ptr<NormalizationLayer> NormalizationLayer::from_config(const nlohmann::json& config) {
    ConfigReader r(config, "Normalization");
    Options o;
    r.read_base(o.name, o.trainable);
    // Absent: the default last axis; null: Keras's None, which Keras itself writes as [].
    o.axis = r.int_list("axis", config.contains("axis") ? std::vector<int64_t>{} : std::vector<int64_t>{-1});
    o.invert = r.boolean("invert", false);
    o.mean = read_values(r, "mean");
    o.variance = read_values(r, "variance");
    r.finish();
    return std::make_shared<NormalizationLayer>(o);
}

}  // namespace kiln::layers
