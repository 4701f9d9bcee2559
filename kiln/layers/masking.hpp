// Masking, as Keras 3: marks the timesteps whose features all equal `mask_value` as masked. The output is the
// input with those timesteps zeroed, and compute_mask() gives the mask downstream layers take (1 where any
// feature differs from mask_value), of shape input.shape[:-1], the form BatchNormalization consumes.
#pragma once

#include <memory>
#include <string>

#include "kiln/layers/layer.hpp"

namespace kiln::layers {

struct MaskingOptions {
    std::string name{};
    bool trainable = true;
    double mask_value = 0.0;
};

class MaskingLayer : public Layer {
public:
    using Options = MaskingOptions;
    explicit MaskingLayer(const Options& options = {});

    std::string class_name() const override { return "Masking"; }
    // 1.0 where any feature (last axis) of `input` differs from mask_value, else 0.0; the input mask is ignored.
    Tensor compute_mask(const Tensor& input, const Tensor& mask) const override;
    nlohmann::json get_config() const override;
    static std::shared_ptr<MaskingLayer> from_config(const nlohmann::json& config);
    const Options& options() const { return options_; }

protected:
    Tensor call(const Tensor& input, const CallContext& ctx) override;

private:
    // compute_mask with the last axis kept (size 1), ready to broadcast over the features.
    Tensor keep_mask(const Tensor& input) const;

    Options options_{};
};

using Masking = LayerHandle<MaskingLayer>;

}  // namespace kiln::layers
