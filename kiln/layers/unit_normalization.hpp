// UnitNormalization: Keras's layer that scales each sample to unit L2 norm over `axis` (an int or a list,
// default the last axis): y = x / sqrt(max(sum(x^2), 1e-24)), Keras's ops.normalize with epsilon 1e-12 (so a
// zero vector stays zero with a finite gradient). No weights; masks pass through.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "kiln/layers/layer.hpp"

namespace kiln::layers {

struct UnitNormalizationOptions {
    std::string name{};
    bool trainable = true;
    std::variant<int64_t, std::vector<int64_t>> axis = int64_t{-1};
};

class UnitNormalizationLayer : public Layer {
public:
    using Options = UnitNormalizationOptions;
    explicit UnitNormalizationLayer(const Options& options = {});

    std::string class_name() const override { return "UnitNormalization"; }
    Shape compute_output_shape(const Shape& input_shape) const override;
    nlohmann::json get_config() const override;
    static std::shared_ptr<UnitNormalizationLayer> from_config(const nlohmann::json& config);
    const Options& options() const { return options_; }

protected:
    Tensor call(const Tensor& input, const CallContext& ctx) override;

private:
    std::vector<int64_t> resolve_axes(const Shape& input_shape) const;

    Options options_{};
};

using UnitNormalization = LayerHandle<UnitNormalizationLayer>;

}  // namespace kiln::layers
