// GroupNormalization: Keras's layer (Wu et al., 2018). The channels of `axis` (default the last) split into
// `groups` equal groups, and each sample is normalized per group over that group's channels and every other
// non-batch axis: y = (x - mean) / sqrt(var + epsilon) * gamma + beta, gamma and beta per channel. groups = -1
// means one group per channel (instance normalization); after build get_config writes the resolved count, as
// Keras does. The groups must divide the channels (ValueError otherwise). Same in training and inference;
// masks pass through. Weights: "gamma" (when scale), then "beta" (when center), each [channels].
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "kiln/layers/layer.hpp"

namespace kiln::layers {

struct GroupNormalizationOptions {
    std::string name{};
    bool trainable = true;
    int64_t groups = 32;  // > 0, or -1 for instance normalization
    int64_t axis = -1;    // the channel axis; not the batch axis
    double epsilon = 1e-3;
    bool center = true;
    bool scale = true;
    InitializerPtr beta_initializer{};   // default zeros
    InitializerPtr gamma_initializer{};  // default ones
    RegularizerPtr beta_regularizer{};
    RegularizerPtr gamma_regularizer{};
    ConstraintPtr beta_constraint{};
    ConstraintPtr gamma_constraint{};
};

class GroupNormalizationLayer : public Layer {
public:
    using Options = GroupNormalizationOptions;
    explicit GroupNormalizationLayer(const Options& options = {});

    std::string class_name() const override { return "GroupNormalization"; }
    Shape compute_output_shape(const Shape& input_shape) const override;
    nlohmann::json get_config() const override;
    static std::shared_ptr<GroupNormalizationLayer> from_config(const nlohmann::json& config);
    const Options& options() const { return options_; }

    Variable gamma() const { return gamma_; }
    Variable beta() const { return beta_; }
    // The number of groups: options().groups, or the channel count after build when it was -1.
    int64_t groups() const { return groups_; }

protected:
    void build_impl(const Shape& input_shape) override;
    Tensor call(const Tensor& input, const CallContext& ctx) override;

private:
    int64_t channel_axis(const Shape& input_shape) const;

    Options options_{};
    int64_t groups_ = 0;
    Variable gamma_, beta_{};
};

using GroupNormalization = LayerHandle<GroupNormalizationLayer>;

}  // namespace kiln::layers
