#include "kiln/layers/dropout.hpp"

#include "kiln/core/errors.hpp"
#include "kiln/core/ops/elementwise.hpp"
#include "kiln/layers/config_reader.hpp"

namespace kiln::layers {
namespace {

// "(None, 1, 4)": a noise shape as Keras prints it.
std::string noise_shape_str(const std::vector<std::optional<int64_t>>& shape) {
    std::string out = "(";
    for (size_t i = 0; i < shape.size(); ++i) out += cat(i ? ", " : "", shape[i] ? std::to_string(*shape[i]) : "None");
    return out + ")";
}

}  // namespace

DropoutLayer::DropoutLayer(const Options& options)
    : Layer(LayerOptions{.name = options.name, .trainable = options.trainable}, "dropout"),
      options_(options),
      rng_(options.seed ? *options.seed : next_random_seed()) {
    if (!(options_.rate >= 0.0 && options_.rate < 1.0))
        throw ValueError(cat(describe(), ": rate must be in [0, 1), got ", options_.rate));
    if (options_.noise_shape)
        for (const auto& d : *options_.noise_shape)
            if (d && *d <= 0)
                throw ValueError(cat(describe(), ": noise_shape entries must be positive or None, got ",
                                     noise_shape_str(*options_.noise_shape)));
}

Shape DropoutLayer::noise_shape_for(const Shape& input_shape) const {
    if (!options_.noise_shape) return input_shape;
    const auto& noise = *options_.noise_shape;
    if (static_cast<int64_t>(noise.size()) != input_shape.rank())
        throw ShapeError(cat(describe(), ": noise_shape ", noise_shape_str(noise), " must have the rank of the input ",
                             input_shape));
    Shape out;
    for (size_t i = 0; i < noise.size(); ++i) {
        const int64_t d = noise[i].value_or(input_shape[i]);
        if (d != 1 && d != input_shape[i])
            throw ShapeError(cat(describe(), ": noise_shape ", noise_shape_str(noise),
                                 " does not broadcast to the input shape ", input_shape));
        out.push_back(d);
    }
    return out;
}

Tensor DropoutLayer::call(const Tensor& input, const CallContext& ctx) {
    if (!ctx.training || options_.rate == 0.0) return input;
    const Shape shape = noise_shape_for(input.shape());
    const float rate = static_cast<float>(options_.rate);
    const float scale = static_cast<float>(1.0 / (1.0 - options_.rate));
    Tensor mask = Tensor::empty(shape);
    float* m = mask.data();
    for (int64_t i = 0; i < mask.size(); ++i) m[i] = rng_.uniform() < rate ? 0.0f : scale;
    return input * mask;
}

nlohmann::json DropoutLayer::get_config() const {
    nlohmann::json config = Layer::get_config();
    config["rate"] = options_.rate;
    config["seed"] = options_.seed ? nlohmann::json(*options_.seed) : nlohmann::json(nullptr);
    if (options_.noise_shape) {
        nlohmann::json shape = nlohmann::json::array();
        for (const auto& d : *options_.noise_shape) shape.push_back(d ? nlohmann::json(*d) : nlohmann::json(nullptr));
        config["noise_shape"] = shape;
    } else {
        config["noise_shape"] = nullptr;
    }
    return config;
}

std::shared_ptr<DropoutLayer> DropoutLayer::from_config(const nlohmann::json& config) {
    ConfigReader r(config, "Dropout");
    Options o;
    r.read_base(o.name, o.trainable);
    if (!r.has("rate")) throw ValueError(cat(r.where("rate"), ": required"));
    o.rate = r.number("rate", 0.0);
    if (const auto seed = r.optional_integer("seed")) {
        if (*seed < 0) throw ValueError(cat(r.where("seed"), ": expected null or an integer >= 0, got ", *seed));
        o.seed = static_cast<uint64_t>(*seed);
    }
    const nlohmann::json& noise = r.raw("noise_shape");
    // Keras never reads noise_shape when rate is 0, so it keeps whatever was given (a real Keras 3.5 file holds
    // Dropout(0, 2), i.e. noise_shape=2); kiln drops such a value rather than refuse a file Keras loads.
    const bool unused = o.rate == 0.0 && !noise.is_array();
    if (!noise.is_null() && !unused) {
        if (!noise.is_array())
            throw ValueError(cat(r.where("noise_shape"), ": expected null or a list, got ", noise.dump()));
        std::vector<std::optional<int64_t>> shape;
        for (const auto& d : noise) {
            if (!d.is_null() && !d.is_number_integer())
                throw ValueError(cat(r.where("noise_shape"), ": expected integers or nulls, got ", noise.dump()));
            shape.push_back(d.is_null() ? std::nullopt : std::optional<int64_t>(d.get<int64_t>()));
        }
        o.noise_shape = shape;
    }
    r.finish();
    return std::make_shared<DropoutLayer>(o);
}

}  // namespace kiln::layers
