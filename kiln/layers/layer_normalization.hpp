// LayerNormalization: Keras's layer (Ba et al., 2016). Each sample is normalized over `axis` (an int or a list,
// default the last axis) with its own mean and biased variance, y = (x - mean) / sqrt(var + epsilon) * gamma +
// beta, gamma and beta spanning the normalized axes. Same in training and inference; masks pass through.
// Weights: "gamma" (when scale or rms_scaling), then "beta" (when center and not rms_scaling).
// rms_scaling (deprecated in Keras 3, kept for its files) is Keras's own formula: y = x / sqrt(var + epsilon) *
// gamma, the variance still taken about the mean and no mean subtracted from x.
// After build, get_config writes axis as Keras does then: the sorted list of non-negative axes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "kiln/layers/layer.hpp"

namespace kiln::layers {

struct LayerNormalizationOptions {
    std::string name{};
    bool trainable = true;
    std::variant<int64_t, std::vector<int64_t>> axis = int64_t{-1};
    double epsilon = 1e-3;
    bool center = true;
    bool scale = true;
    bool rms_scaling = false;
    InitializerPtr beta_initializer{};   // default zeros
    InitializerPtr gamma_initializer{};  // default ones
    RegularizerPtr beta_regularizer{};
    RegularizerPtr gamma_regularizer{};
    ConstraintPtr beta_constraint{};
    ConstraintPtr gamma_constraint{};
};

class LayerNormalizationLayer : public Layer {
public:
    using Options = LayerNormalizationOptions;
    explicit LayerNormalizationLayer(const Options& options = {});

    std::string class_name() const override { return "LayerNormalization"; }
    Shape compute_output_shape(const Shape& input_shape) const override;
    nlohmann::json get_config() const override;
    static std::shared_ptr<LayerNormalizationLayer> from_config(const nlohmann::json& config);
    const Options& options() const { return options_; }

    // The layer's variables (undefined before build or when disabled).
    Variable gamma() const { return gamma_; }
    Variable beta() const { return beta_; }
    // The normalized axes after build, non-negative and sorted.
    const std::vector<int64_t>& axes() const { return axes_; }

protected:
    void build_impl(const Shape& input_shape) override;
    Tensor call(const Tensor& input, const CallContext& ctx) override;

private:
    std::vector<int64_t> resolve_axes(const Shape& input_shape) const;

    Options options_{};
    std::vector<int64_t> axes_;
    Variable gamma_, beta_{};
};

using LayerNormalization = LayerHandle<LayerNormalizationLayer>;

}  // namespace kiln::layers
