// Normalization: Keras's preprocessing layer that shifts and scales features to mean 0 and variance 1:
// y = (x - mean) / max(sqrt(variance), 1e-7), or with invert y = mean + x * max(sqrt(variance), 1e-7) (1e-7 is
// Keras's backend.epsilon()). `axis` lists the axes that keep a mean and a variance per index (default the last
// axis; an empty list is Keras's axis=None: one mean and variance for every element). mean and variance are
// either given (a number or a tensor, aligned with the kept axes from the right and broadcast, as Keras) or
// computed by adapt(data) over every other axis, the variance being the population variance. Adapted values live
// in the non-trainable variables mean and variance (shaped as the kept axes' sizes) and count (a scalar, int64 in
// weight files, left at 0 as Keras 3 does; it exists for older files). Before adapt() they hold Keras's initial
// 0 and 1, so the layer passes its input through, as in Keras 3. Differentiable in the input; masks pass through.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kiln/layers/layer.hpp"

namespace kiln::layers {

struct NormalizationOptions {
    std::string name{};
    bool trainable = true;
    std::vector<int64_t> axis{-1};  // empty: Keras's axis=None
    Tensor mean{};                  // undefined: adapt() computes it; given, variance must be given too
    Tensor variance{};              // the same shape as mean, no negative value
    bool invert = false;
};

class NormalizationLayer : public Layer {
public:
    using Options = NormalizationOptions;
    explicit NormalizationLayer(const Options& options = {});

    std::string class_name() const override { return "Normalization"; }
    nlohmann::json get_config() const override;
    static std::shared_ptr<NormalizationLayer> from_config(const nlohmann::json& config);
    const Options& options() const { return options_; }

    // Sets mean and variance from `data` (building the layer for data's shape first if needed). ValueError naming
    // the layer when it was given mean and variance, when data's rank or kept sizes differ from the built shape,
    // or when data has no element to average.
    void adapt(const Tensor& data);

    // The axes kept, non-negative and sorted (empty before build).
    const std::vector<int64_t>& kept_axes() const { return keep_; }
    // The adapted variables (undefined before build, and when mean and variance were given).
    Variable mean() const { return mean_; }
    Variable variance() const { return variance_; }
    Variable count() const { return count_; }

protected:
    void build_impl(const Shape& input_shape) override;
    Tensor call(const Tensor& input, const CallContext& ctx) override;

private:
    // The given `values` (mean or variance) aligned with the kept axes and broadcast to broadcast_shape_.
    Tensor broadcast_given(const Tensor& values, const Shape& input_shape) const;

    Options options_{};
    Shape build_shape_{};
    std::vector<int64_t> keep_{};
    Shape broadcast_shape_{};  // the input's rank: the kept axes' sizes, 1 elsewhere
    Tensor given_mean_{}, given_variance_{};
    Variable mean_{}, variance_{}, count_{};
};

using Normalization = LayerHandle<NormalizationLayer>;

}  // namespace kiln::layers
