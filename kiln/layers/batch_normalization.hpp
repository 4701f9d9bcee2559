// BatchNormalization: Keras's layer with every documented argument and behaviour (see
// shared/docs/batchnorm_semantics.md for the decisions kiln takes where Keras versions differ).
//
// Training mode (call with training=true while the layer is trainable): normalizes with the batch's biased
// moments and updates the moving statistics, moving = moving * momentum + batch * (1 - momentum).
// Inference mode (training=false, the default, or trainable=false): normalizes with the moving statistics and
// updates nothing. Masks (rank = input rank - 1) restrict the batch statistics in training. tf.keras extras:
// renorm, virtual_batch_size (ghost batches), adjustment, fused (validated, never changes results), and a list
// of axes. synchronized=true all-reduces the statistics through set_synchronized_all_reduce(); in a single
// process (no hook set) the statistics are local.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "kiln/core/ops/batch_norm.hpp"
#include "kiln/layers/layer.hpp"

namespace kiln::layers {

struct BatchNormalizationOptions {
    std::string name{};
    bool trainable = true;
    // An int (negative allowed) or a list of ints (the tf.keras form).
    std::variant<int64_t, std::vector<int64_t>> axis = int64_t{-1};
    double momentum = 0.99;
    double epsilon = 1e-3;
    bool center = true;
    bool scale = true;
    InitializerPtr beta_initializer{};             // default zeros
    InitializerPtr gamma_initializer{};            // default ones
    InitializerPtr moving_mean_initializer{};      // default zeros
    InitializerPtr moving_variance_initializer{};  // default ones
    RegularizerPtr beta_regularizer{};
    RegularizerPtr gamma_regularizer{};
    ConstraintPtr beta_constraint{};
    ConstraintPtr gamma_constraint{};
    bool synchronized = false;
    bool renorm = false;
    // Keys rmax, rmin, dmax; absent bounds are unbounded. Validated: rmax >= rmin, dmax >= 0.
    std::optional<std::map<std::string, double>> renorm_clipping{};
    double renorm_momentum = 0.99;
    std::optional<bool> fused{};
    std::optional<int64_t> virtual_batch_size{};
    // Called with the input shape in training; returns (scale, bias), per channel or scalars, applied to the
    // normalized value before gamma and beta. Not serializable.
    std::function<std::pair<Tensor, Tensor>(const Shape&)> adjustment{};
};

class BatchNormalizationLayer : public Layer {
public:
    using Options = BatchNormalizationOptions;
    explicit BatchNormalizationLayer(const Options& options = {});

    std::string class_name() const override { return "BatchNormalization"; }
    nlohmann::json get_config() const override;
    static std::shared_ptr<BatchNormalizationLayer> from_config(const nlohmann::json& config);
    const Options& options() const { return options_; }

    // The layer's variables (undefined before build, or when disabled by center/scale/renorm).
    Variable gamma() const { return gamma_; }
    Variable beta() const { return beta_; }
    Variable moving_mean() const { return moving_mean_; }
    Variable moving_variance() const { return moving_variance_; }
    Variable moving_stddev() const { return moving_stddev_; }
    Variable renorm_mean() const { return renorm_mean_; }
    Variable renorm_stddev() const { return renorm_stddev_; }
    // Normalized axes after build, non-negative and sorted.
    const std::vector<int64_t>& axes() const { return axes_; }

protected:
    void build_impl(const Shape& input_shape) override;
    Tensor call(const Tensor& input, const CallContext& ctx) override;

private:
    struct Prepared;
    Prepared prepare(const Tensor& input, const Tensor& mask) const;
    Tensor train(const Prepared& p);
    void update_moving_statistics(const std::vector<double>& mean, const std::vector<double>& variance);

    Options options_{};
    std::vector<int64_t> axes_;
    Shape param_shape_{};
    int64_t channels_ = 0;
    Variable gamma_, beta_, moving_mean_, moving_variance_, moving_stddev_, renorm_mean_, renorm_stddev_{};
};

using BatchNormalization = LayerHandle<BatchNormalizationLayer>;

// The all-reduce a data-parallel runtime installs for synchronized BatchNormalization layers (per-channel
// sums, sums of squares and counts in the forward pass; gradient sums in the backward pass). An empty function
// removes it, and synchronized layers then use local statistics.
void set_synchronized_all_reduce(AllReduceFn all_reduce);

}  // namespace kiln::layers
