#include "kiln/layers/input_layer.hpp"

#include "kiln/core/errors.hpp"
#include "kiln/core/limits.hpp"
#include "kiln/layers/config_reader.hpp"
#include "kiln/layers/detail/layer_config.hpp"

namespace kiln::layers {
namespace {

nlohmann::json dim_json(const std::optional<int64_t>& dim) {
    return dim ? nlohmann::json(*dim) : nlohmann::json(nullptr);
}

// A batch shape from a config: a list of nulls or sizes from 0 to max_variable_elements(), batch first.
std::vector<std::optional<int64_t>> read_batch_shape(ConfigReader& r, const std::string& key) {
    const nlohmann::json& v = r.raw(key);
    if (!v.is_array() || v.empty())
        throw ValueError(cat(r.where(key), ": expected a non-empty list of integers or nulls, got ", v.dump()));
    std::vector<std::optional<int64_t>> dims;
    for (const auto& item : v) {
        if (item.is_null())
            dims.emplace_back();
        else if (item.is_number_integer() && item.get<int64_t>() >= 0 && item.get<int64_t>() <= max_variable_elements())
            dims.emplace_back(item.get<int64_t>());
        else
            throw ValueError(cat(r.where(key), ": expected sizes from 0 to ", max_variable_elements(),
                                 " (kiln::set_max_variable_elements raises the limit) or nulls, got ", v.dump()));
    }
    return dims;
}

}  // namespace

InputLayerLayer::InputLayerLayer(const Options& options)
    : Layer(LayerOptions{.name = options.name}, "input_layer"), options_(options) {
    const std::string who = cat("InputLayer '", name(), "'");
    auto negative = [](const std::optional<int64_t>& d) { return d && *d < 0; };
    if (negative(options_.batch_size))
        throw ValueError(cat(who, ": batch_size must be >= 0, got ", *options_.batch_size));
    InputSpec spec;
    spec.ndim = static_cast<int64_t>(options_.shape.size()) + 1;
    for (size_t i = 0; i < options_.shape.size(); ++i) {
        if (negative(options_.shape[i]))
            throw ValueError(cat(who, ": shape dimensions must be >= 0 or unknown, got ", *options_.shape[i],
                                 " at index ", i));
        if (options_.shape[i]) spec.axes.emplace_back(static_cast<int64_t>(i) + 1, *options_.shape[i]);
    }
    set_input_spec(spec);
}

Tensor InputLayerLayer::call(const Tensor& input, const CallContext&) { return input; }

nlohmann::json InputLayerLayer::get_config() const {
    nlohmann::json batch_shape = nlohmann::json::array({dim_json(options_.batch_size)});
    for (const auto& dim : options_.shape) batch_shape.push_back(dim_json(dim));
    return {{"batch_shape", batch_shape}, {"dtype", "float32"}, {"sparse", false}, {"name", name()}};
}

std::shared_ptr<InputLayerLayer> InputLayerLayer::from_config(const nlohmann::json& config) {
    ConfigReader r(config, "InputLayer");
    Options o;
    bool trainable = true;  // Keras never writes it for InputLayer; accepted and ignored (there are no weights)
    r.read_base(o.name, trainable);
    const bool legacy = r.has("batch_input_shape");
    if (legacy == r.has("batch_shape"))
        throw ValueError("InputLayer config: expected exactly one of 'batch_shape' and 'batch_input_shape'");
    r.ignore(legacy ? "batch_shape" : "batch_input_shape");  // absent or null
    const auto batch_shape = read_batch_shape(r, legacy ? "batch_input_shape" : "batch_shape");
    o.batch_size = batch_shape.front();
    o.shape.assign(batch_shape.begin() + 1, batch_shape.end());
    for (const char* key : {"sparse", "ragged", "optional"}) detail::read_unsupported(r, key, false);
    r.finish();
    return std::make_shared<InputLayerLayer>(o);
}

}  // namespace kiln::layers
