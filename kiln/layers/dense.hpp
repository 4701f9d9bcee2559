// Dense: Keras's densely-connected layer, activation(x @ kernel + bias), applied to the last axis of an input of
// rank >= 2 ([..., in] -> [..., units]). Weights: "kernel" [in, units], then "bias" [units] when use_bias.
// After build the input's last axis must keep its size. Not supported (NotImplementedError): an
// activity_regularizer, and LoRA or quantization (their config keys are accepted only at their null defaults).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "kiln/layers/layer.hpp"

namespace kiln::layers {

struct DenseOptions {
    std::string name{};
    bool trainable = true;
    int64_t units = 0;                   // required, > 0
    std::string activation = "linear";   // a name activations::apply knows
    bool use_bias = true;
    InitializerPtr kernel_initializer{};  // default glorot_uniform
    InitializerPtr bias_initializer{};    // default zeros
    RegularizerPtr kernel_regularizer{};
    RegularizerPtr bias_regularizer{};
    RegularizerPtr activity_regularizer{};  // not supported: NotImplementedError when set
    ConstraintPtr kernel_constraint{};
    ConstraintPtr bias_constraint{};
};

class DenseLayer : public Layer {
public:
    using Options = DenseOptions;
    explicit DenseLayer(const Options& options);

    std::string class_name() const override { return "Dense"; }
    Shape compute_output_shape(const Shape& input_shape) const override;
    nlohmann::json get_config() const override;
    static std::shared_ptr<DenseLayer> from_config(const nlohmann::json& config);
    const Options& options() const { return options_; }

    // The layer's variables (undefined before build; bias also when use_bias is false).
    Variable kernel() const { return kernel_; }
    Variable bias() const { return bias_; }

protected:
    void build_impl(const Shape& input_shape) override;
    Tensor call(const Tensor& input, const CallContext& ctx) override;

private:
    void check_rank(const Shape& input_shape) const;

    Options options_{};
    Variable kernel_, bias_{};
};

using Dense = LayerHandle<DenseLayer>;

}  // namespace kiln::layers
