#include "kiln/layers/preprocessing/rescaling.hpp"

#include "kiln/core/errors.hpp"
#include "kiln/core/ops/elementwise.hpp"
#include "kiln/layers/config_reader.hpp"

namespace kiln::layers {
namespace {

// A number or a list of numbers: plain JSON, or Keras 3's {"class_name": "__numpy__", "config": {"value": ...}}
// for a NumPy array (only 0-D and 1-D arrays are supported).
ChannelValues read_channel_values(ConfigReader& r, const std::string& key, double fallback) {
    const nlohmann::json& raw = r.raw(key);
    if (raw.is_null()) return fallback;
    const bool numpy = raw.is_object() && raw.value("class_name", "") == "__numpy__";
    const nlohmann::json& v = numpy && raw.contains("config") ? raw.at("config").value("value", nlohmann::json()) : raw;
    if (v.is_number()) return v.get<double>();
    if (v.is_array() && !v.empty()) {
        std::vector<double> values;
        for (const auto& item : v) {
            if (item.is_array())
                throw NotImplementedError(
                    cat(r.where(key), ": only a number or a 1-D list is supported, got ", raw.dump()));
            if (!item.is_number()) break;
            values.push_back(item.get<double>());
        }
        if (values.size() == v.size()) return ChannelValues(values);
    }
    throw ValueError(cat(r.where(key), ": expected a number or a list of numbers, got ", raw.dump()));
}

}  // namespace

nlohmann::json ChannelValues::to_json() const { return list_ ? nlohmann::json(values_) : nlohmann::json(values_[0]); }

RescalingLayer::RescalingLayer(const Options& options)
    : Layer(LayerOptions{.name = options.name, .trainable = options.trainable}, "rescaling"), options_(options) {
    for (const auto* values : {&options_.scale, &options_.offset})
        if (values->values().empty())
            throw ValueError(
                cat(describe(), ": ", values == &options_.scale ? "scale" : "offset", " needs at least one value"));
}

Tensor RescalingLayer::apply(const Tensor& x, const ChannelValues& values, const char* key, bool multiply) const {
    const std::vector<double>& v = values.values();
    if (!values.is_list()) return multiply ? x * static_cast<float>(v[0]) : x + static_cast<float>(v[0]);
    const int64_t channels = x.rank() > 0 ? x.dim(-1) : 1;
    if (v.size() != 1 && static_cast<int64_t>(v.size()) != channels)
        throw ShapeError(cat(describe(), ": ", key, " has ", v.size(), " values but the input's last axis has size ",
                             channels, " (input shape ", x.shape(), ")"));
    std::vector<float> f(v.begin(), v.end());
    const Tensor t(std::move(f), Shape{static_cast<int64_t>(v.size())});
    return multiply ? x * t : x + t;
}

Tensor RescalingLayer::call(const Tensor& input, const CallContext&) {
    return apply(apply(input, options_.scale, "scale", true), options_.offset, "offset", false);
}

nlohmann::json RescalingLayer::get_config() const {
    nlohmann::json config = Layer::get_config();
    config["scale"] = options_.scale.to_json();
    config["offset"] = options_.offset.to_json();
    return config;
}

std::shared_ptr<RescalingLayer> RescalingLayer::from_config(const nlohmann::json& config) {
    ConfigReader r(config, "Rescaling");
    Options o;
    r.read_base(o.name, o.trainable);
    if (!r.has("scale")) throw ValueError(cat(r.where("scale"), ": required"));
    o.scale = read_channel_values(r, "scale", 1.0);
    o.offset = read_channel_values(r, "offset", 0.0);
    r.finish();
    return std::make_shared<RescalingLayer>(o);
}

}  // namespace kiln::layers
