// Conv2D: Keras's 2-D convolution layer, activation(conv2d(x, kernel) + bias), over [N,H,W,C] (channels_last) or
// [N,C,H,W] (channels_first) inputs. Weights: "kernel" [kh, kw, C/groups, filters] in both data formats, then
// "bias" [filters] when use_bias. After build the input's channel axis must keep its size.
// Not supported (NotImplementedError): an activity_regularizer, and LoRA (its config keys are accepted only at
// their null defaults).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "kiln/core/ops/conv.hpp"
#include "kiln/layers/layer.hpp"

namespace kiln::layers {

// Keras's int-or-pair arguments (kernel_size, strides, dilation_rate): `3` means {3, 3}; {rows, columns}.
class IntPair {
public:
    IntPair(int64_t both = 0) : values_{both, both} {}
    IntPair(int64_t rows, int64_t cols) : values_{rows, cols} {}
    int64_t operator[](size_t i) const { return values_.at(i); }
    const std::array<int64_t, 2>& values() const { return values_; }

private:
    std::array<int64_t, 2> values_;
};

struct Conv2DOptions {
    std::string name{};
    bool trainable = true;
    int64_t filters = 0;          // required, > 0 and divisible by groups
    IntPair kernel_size{};        // required, each >= 1
    IntPair strides = 1;          // each >= 1; > 1 excludes dilation_rate > 1
    std::string padding = "valid";               // "valid" or "same" (any case)
    std::string data_format = "channels_last";   // or "channels_first" (any case)
    IntPair dilation_rate = 1;    // each >= 1
    int64_t groups = 1;           // >= 1; must divide the input channels and filters
    std::string activation = "linear";  // a name activations::apply knows
    bool use_bias = true;
    InitializerPtr kernel_initializer{};  // default glorot_uniform
    InitializerPtr bias_initializer{};    // default zeros
    RegularizerPtr kernel_regularizer{};
    RegularizerPtr bias_regularizer{};
    RegularizerPtr activity_regularizer{};  // not supported: NotImplementedError when set
    ConstraintPtr kernel_constraint{};
    ConstraintPtr bias_constraint{};
};

class Conv2DLayer : public Layer {
public:
    using Options = Conv2DOptions;
    explicit Conv2DLayer(const Options& options);

    std::string class_name() const override { return "Conv2D"; }
    Shape compute_output_shape(const Shape& input_shape) const override;
    nlohmann::json get_config() const override;
    static std::shared_ptr<Conv2DLayer> from_config(const nlohmann::json& config);
    // The options, with padding and data_format lower-cased and the default initializers filled in.
    const Options& options() const { return options_; }

    // The layer's variables (undefined before build; bias also when use_bias is false).
    Variable kernel() const { return kernel_; }
    Variable bias() const { return bias_; }

protected:
    void build_impl(const Shape& input_shape) override;
    Tensor call(const Tensor& input, const CallContext& ctx) override;

private:
    // The channel axis of a rank-4 input (ShapeError naming the layer for other ranks).
    int64_t channel_axis(const Shape& input_shape) const;

    Options options_{};
    kiln::Conv2DOptions op_{};
    Variable kernel_, bias_{};
};

using Conv2D = LayerHandle<Conv2DLayer>;

}  // namespace kiln::layers
