// Activations: the Keras 3 activation functions by name (composed from kiln ops, so they are differentiable),
// and the activation layers Activation, ReLU, LeakyReLU and Softmax.
//
// Names: linear, relu, sigmoid, tanh, softmax (last axis), elu (alpha 1), selu, gelu (exact erf form, Keras 3's
// default approximate=false), silu (alias swish), leaky_relu (negative_slope 0.2, as keras.activations),
// softplus, relu6, hard_sigmoid (relu6(x + 3) / 6, Keras 3's formula) and exponential.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "kiln/layers/layer.hpp"

namespace kiln {

namespace activations {

// The name Keras 3 writes in configs for activation `name` ("swish" -> "silu"); ValueError naming `name` and
// `context` when it is not a known activation.
std::string canonical_name(std::string_view name, std::string_view context = "activations");
// activation(x) for a known name; ValueError naming it otherwise.
Tensor apply(std::string_view name, const Tensor& x);

}  // namespace activations

namespace layers {

struct ActivationOptions {
    std::string name{};
    bool trainable = true;
    std::string activation = "linear";  // any name activations::apply knows
};

// Applies a named activation; no weights.
class ActivationLayer : public Layer {
public:
    using Options = ActivationOptions;
    explicit ActivationLayer(const Options& options = {});

    std::string class_name() const override { return "Activation"; }
    nlohmann::json get_config() const override;
    static std::shared_ptr<ActivationLayer> from_config(const nlohmann::json& config);
    const Options& options() const { return options_; }

protected:
    Tensor call(const Tensor& input, const CallContext& ctx) override;

private:
    Options options_{};
};

struct ReLUOptions {
    std::string name{};
    bool trainable = true;
    std::optional<double> max_value{};  // none: unbounded; else >= 0
    double negative_slope = 0.0;        // >= 0
    double threshold = 0.0;             // >= 0
};

// Keras's ReLU layer: max_value for x >= max_value, x for threshold <= x < max_value, and
// negative_slope * (x - threshold) below the threshold.
class ReLULayer : public Layer {
public:
    using Options = ReLUOptions;
    explicit ReLULayer(const Options& options = {});

    std::string class_name() const override { return "ReLU"; }
    nlohmann::json get_config() const override;
    static std::shared_ptr<ReLULayer> from_config(const nlohmann::json& config);
    const Options& options() const { return options_; }

protected:
    Tensor call(const Tensor& input, const CallContext& ctx) override;

private:
    Options options_{};
};

struct LeakyReLUOptions {
    std::string name{};
    bool trainable = true;
    double negative_slope = 0.3;  // >= 0; Keras 2 configs call it "alpha"
};

// x for x > 0, negative_slope * x otherwise.
class LeakyReLULayer : public Layer {
public:
    using Options = LeakyReLUOptions;
    explicit LeakyReLULayer(const Options& options = {});

    std::string class_name() const override { return "LeakyReLU"; }
    nlohmann::json get_config() const override;
    static std::shared_ptr<LeakyReLULayer> from_config(const nlohmann::json& config);
    const Options& options() const { return options_; }

protected:
    Tensor call(const Tensor& input, const CallContext& ctx) override;

private:
    Options options_{};
};

struct SoftmaxOptions {
    std::string name{};
    bool trainable = true;
    // An axis (negative counts from the end) or a list of axes normalized together.
    std::variant<int64_t, std::vector<int64_t>> axis = int64_t{-1};
};

// Softmax along `axis`. With a mask (broadcastable to the input; entries > 0.5 keep), the dropped logits are
// replaced by -1e9 first, as Keras 3 does, so they get zero probability (a fully masked row becomes uniform).
class SoftmaxLayer : public Layer {
public:
    using Options = SoftmaxOptions;
    explicit SoftmaxLayer(const Options& options = {});

    std::string class_name() const override { return "Softmax"; }
    nlohmann::json get_config() const override;
    static std::shared_ptr<SoftmaxLayer> from_config(const nlohmann::json& config);
    const Options& options() const { return options_; }

protected:
    Tensor call(const Tensor& input, const CallContext& ctx) override;

private:
    Options options_{};
};

using Activation = LayerHandle<ActivationLayer>;
using ReLU = LayerHandle<ReLULayer>;
using LeakyReLU = LayerHandle<LeakyReLULayer>;
using Softmax = LayerHandle<SoftmaxLayer>;

}  // namespace layers

}  // namespace kiln
