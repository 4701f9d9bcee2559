#include "kiln/layers/activations.hpp"

#include <numbers>

#include "kiln/core/errors.hpp"
#include "kiln/core/ops.hpp"
#include "kiln/core/ops/special.hpp"
#include "kiln/core/tape.hpp"
#include "kiln/layers/config_reader.hpp"

namespace kiln {
namespace activations {
namespace {

// Keras's selu constants.
constexpr float kSeluAlpha = 1.67326324f;
constexpr float kSeluScale = 1.05070098f;

Tensor relu6(const Tensor& x) { return clip(x, 0.0f, 6.0f); }

Tensor silu(const Tensor& x) { return x * sigmoid(x); }

// log(1 + exp(x)) without overflow: log(exp(x - m) + exp(-m)) + m for any constant m; m = max(x, 0).
Tensor softplus(const Tensor& x) {
    const Tensor m = stop_gradient(relu(x));
    return log(exp(x - m) + exp(neg(m))) + m;
}

struct Entry {
    std::string_view name;       // what users may write
    std::string_view canonical;  // what Keras 3 writes in configs
    Tensor (*fn)(const Tensor&);
};

const Entry kActivations[] = {
    {"linear", "linear", [](const Tensor& x) { return x; }},
    {"relu", "relu", [](const Tensor& x) { return relu(x); }},
    {"sigmoid", "sigmoid", [](const Tensor& x) { return sigmoid(x); }},
    {"tanh", "tanh", [](const Tensor& x) { return kiln::tanh(x); }},
    {"softmax", "softmax", [](const Tensor& x) { return softmax(x, -1); }},
    {"elu", "elu", [](const Tensor& x) { return elu(x, 1.0f); }},
    {"selu", "selu", [](const Tensor& x) { return elu(x, kSeluAlpha) * kSeluScale; }},
    {"gelu", "gelu",
     [](const Tensor& x) { return x * (erf(x * static_cast<float>(1.0 / std::numbers::sqrt2)) + 1.0f) * 0.5f; }},
    {"silu", "silu", silu},
    {"swish", "silu", silu},
    {"leaky_relu", "leaky_relu", [](const Tensor& x) { return leaky_relu(x, 0.2f); }},
    {"softplus", "softplus", softplus},
    {"relu6", "relu6", relu6},
    {"hard_sigmoid", "hard_sigmoid", [](const Tensor& x) { return relu6(x + 3.0f) / 6.0f; }},
    {"exponential", "exponential", [](const Tensor& x) { return exp(x); }},
};

const Entry& find(std::string_view name, std::string_view context) {
    for (const Entry& e : kActivations)
        if (e.name == name) return e;
    std::string known;
    for (const Entry& e : kActivations) known += cat(known.empty() ? "" : ", ", e.name);
    throw ValueError(cat(context, ": unknown activation '", name, "' (known: ", known, ")"));
}

}  // namespace

std::string canonical_name(std::string_view name, std::string_view context) {
    return std::string(find(name, context).canonical);
}

Tensor apply(std::string_view name, const Tensor& x) { return find(name, "activations.apply").fn(x); }

}  // namespace activations

namespace layers {
namespace {

// What Keras 3 puts in place of masked logits before a softmax (float32).
constexpr float kMaskedLogit = -1e9f;

// "ReLU 'name'" for errors raised while constructing (describe() needs the finished object).
std::string who(std::string_view class_name, const std::string& name) { return cat(class_name, " '", name, "'"); }

}  // namespace

// ---- Activation -------------------------------------------------------------------------------------------

ActivationLayer::ActivationLayer(const Options& options)
    : Layer(LayerOptions{.name = options.name, .trainable = options.trainable}, "activation"), options_(options) {
    options_.activation = activations::canonical_name(options_.activation, who("Activation", name()));
}

Tensor ActivationLayer::call(const Tensor& input, const CallContext&) {
    return activations::apply(options_.activation, input);
}

nlohmann::json ActivationLayer::get_config() const {
    nlohmann::json config = Layer::get_config();
    config["activation"] = options_.activation;
    return config;
}

std::shared_ptr<ActivationLayer> ActivationLayer::from_config(const nlohmann::json& config) {
    ConfigReader r(config, "Activation");
    Options o;
    r.read_base(o.name, o.trainable);
    o.activation = r.string("activation", o.activation);
    r.finish();
    return std::make_shared<ActivationLayer>(o);
}

// ---- ReLU -------------------------------------------------------------------------------------------------

ReLULayer::ReLULayer(const Options& options)
    : Layer(LayerOptions{.name = options.name, .trainable = options.trainable}, "re_lu"), options_(options) {
    const std::string w = who("ReLU", name());
    if (options_.max_value && !(*options_.max_value >= 0.0))
        throw ValueError(cat(w, ": max_value cannot be negative, got ", *options_.max_value));
    if (!(options_.negative_slope >= 0.0))
        throw ValueError(cat(w, ": negative_slope cannot be negative, got ", options_.negative_slope));
    if (!(options_.threshold >= 0.0))
        throw ValueError(cat(w, ": threshold cannot be negative, got ", options_.threshold));
}

Tensor ReLULayer::call(const Tensor& input, const CallContext&) {
    // As Keras computes it: x * (x > threshold), capped at max_value, minus negative_slope * relu(threshold - x).
    const float threshold = static_cast<float>(options_.threshold);
    if (threshold == 0.0f && !options_.max_value && options_.negative_slope == 0.0) return relu(input);
    Tensor y = input * greater(input, Tensor::scalar(threshold));
    if (options_.max_value) y = clip(y, 0.0f, static_cast<float>(*options_.max_value));
    if (options_.negative_slope != 0.0)
        y = y - relu(threshold - input) * static_cast<float>(options_.negative_slope);
    return y;
}

nlohmann::json ReLULayer::get_config() const {
    nlohmann::json config = Layer::get_config();
    config["max_value"] = options_.max_value ? nlohmann::json(*options_.max_value) : nlohmann::json(nullptr);
    config["negative_slope"] = options_.negative_slope;
    config["threshold"] = options_.threshold;
    return config;
}

std::shared_ptr<ReLULayer> ReLULayer::from_config(const nlohmann::json& config) {
    ConfigReader r(config, "ReLU");
    Options o;
    r.read_base(o.name, o.trainable);
    o.max_value = r.optional_number("max_value");
    o.negative_slope = r.number("negative_slope", o.negative_slope);
    o.threshold = r.number("threshold", o.threshold);
    r.finish();
    return std::make_shared<ReLULayer>(o);
}

// ---- LeakyReLU --------------------------------------------------------------------------------------------

LeakyReLULayer::LeakyReLULayer(const Options& options)
    : Layer(LayerOptions{.name = options.name, .trainable = options.trainable}, "leaky_re_lu"), options_(options) {
    if (!(options_.negative_slope >= 0.0))
        throw ValueError(cat(who("LeakyReLU", name()), ": negative_slope cannot be negative, got ",
                             options_.negative_slope));
}

Tensor LeakyReLULayer::call(const Tensor& input, const CallContext&) {
    return leaky_relu(input, static_cast<float>(options_.negative_slope));
}

nlohmann::json LeakyReLULayer::get_config() const {
    nlohmann::json config = Layer::get_config();
    config["negative_slope"] = options_.negative_slope;
    return config;
}

std::shared_ptr<LeakyReLULayer> LeakyReLULayer::from_config(const nlohmann::json& config) {
    ConfigReader r(config, "LeakyReLU");
    Options o;
    r.read_base(o.name, o.trainable);
    o.negative_slope = r.number("negative_slope", o.negative_slope);
    // Keras 2 wrote "alpha"; Keras 3 still accepts it, and it wins over negative_slope.
    if (const auto alpha = r.optional_number("alpha")) o.negative_slope = *alpha;
    r.finish();
    return std::make_shared<LeakyReLULayer>(o);
}

// ---- Softmax ----------------------------------------------------------------------------------------------

SoftmaxLayer::SoftmaxLayer(const Options& options)
    : Layer(LayerOptions{.name = options.name, .trainable = options.trainable}, "softmax"), options_(options) {
    if (const auto* axes = std::get_if<std::vector<int64_t>>(&options_.axis); axes && axes->empty())
        throw ValueError(cat(who("Softmax", name()), ": axis must not be an empty list"));
}

Tensor SoftmaxLayer::call(const Tensor& input, const CallContext& ctx) {
    Tensor logits = input;
    if (ctx.mask.defined())
        logits = where(greater(ctx.mask, Tensor::scalar(0.5f)), logits, Tensor::scalar(kMaskedLogit));
    if (const auto* axis = std::get_if<int64_t>(&options_.axis))
        return softmax(logits, normalize_axis(*axis, logits.rank(), describe()));
    // Several axes normalized together: exp(x - max) / sum(exp(x - max)) over all of them.
    const auto axes = normalize_axes(std::get<std::vector<int64_t>>(options_.axis), logits.rank(), describe());
    const Tensor e = exp(logits - stop_gradient(max(logits, axes, true)));
    return e / sum(e, axes, true);
}

nlohmann::json SoftmaxLayer::get_config() const {
    nlohmann::json config = Layer::get_config();
    std::visit([&config](const auto& axis) { config["axis"] = axis; }, options_.axis);
    return config;
}

std::shared_ptr<SoftmaxLayer> SoftmaxLayer::from_config(const nlohmann::json& config) {
    ConfigReader r(config, "Softmax");
    Options o;
    r.read_base(o.name, o.trainable);
    o.axis = r.int_or_list("axis", -1);
    r.finish();
    return std::make_shared<SoftmaxLayer>(o);
}

}  // namespace layers
}  // namespace kiln
