// Losses: the training objectives of keras.losses (Keras 3 names, defaults, formulas, reductions and configs).
//
// A loss is called as loss(y_true, y_pred, sample_weight). call() gives the per-sample losses (the class axis or
// the last axis reduced), computed with differentiable kiln ops; operator() then weights and reduces them as
// Keras 3 does:
//   1. y_true and y_pred are lined up first: when their ranks differ by one and the longer shape ends in 1, that
//      axis is dropped (or, for a rank-1 partner, a size-1 axis is added to the partner). Both must then have the
//      same shape (SparseCategoricalCrossentropy: y_pred has one more axis, the classes), else ShapeError.
//   2. sample_weight is lined up with the per-sample losses the same way, then multiplies them with broadcasting.
//   3. "sum_over_batch_size" (and its alias "mean") divides the sum by the number of elements of the weighted
//      losses, whatever the weights (a zero weight still counts); "sum" is the plain sum; "mean_with_sample_weight"
//      divides by the sum of the weights (0 when that is 0); "none" returns the weighted losses.
// SparseCategoricalCrossentropy with ignore_class leaves out the ignored entries: they get loss 0 and, for the
// mean reductions, the divisor is the number of the other entries.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "kiln/core/shape.hpp"
#include "kiln/core/tensor.hpp"

namespace kiln::losses {

// Keras's backend.epsilon(): probabilities are clipped to [epsilon, 1 - epsilon] before taking logs.
inline constexpr float kEpsilon = 1e-7f;

// Arguments every loss takes.
struct LossOptions {
    std::string reduction = "sum_over_batch_size";  // or "mean", "sum", "mean_with_sample_weight", "none"
    std::string name{};                             // empty: the class's Keras default name
};

// Base of every loss: a stateless function of (y_true, y_pred), with a Keras reduction, name and config.
class Loss {
public:
    virtual ~Loss() = default;
    // The unreduced losses: y_pred's shape without its last (class) axis.
    virtual Tensor call(const Tensor& y_true, const Tensor& y_pred) const = 0;
    // The losses of call(), weighted by `sample_weight` (optional) and reduced by reduction().
    Tensor operator()(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = {}) const;
    // The instance name, e.g. "mean_squared_error".
    const std::string& name() const { return name_; }
    // The reduction name, one of those of LossOptions.
    const std::string& reduction() const { return reduction_; }
    // The Keras 3 class name, e.g. "MeanSquaredError".
    virtual std::string class_name() const = 0;
    // The Keras 3 config dict: {"name", "reduction"} plus the class's own arguments.
    virtual nlohmann::json get_config() const;

protected:
    // `default_name` is used when options.name is empty; throws ValueError for an unknown reduction.
    Loss(std::string_view class_name, std::string_view default_name, LossOptions options);
    // 1 where an entry of call()'s result counts and 0 where it is left out; undefined when every entry counts.
    virtual Tensor valid_mask(const Tensor& y_true, const Tensor& y_pred) const;
    // y_true and y_pred lined up as step 1 above; ShapeError (naming the loss and both shapes) unless the
    // shapes are then equal with rank >= 1.
    std::pair<Tensor, Tensor> same_shape(const Tensor& y_true, const Tensor& y_pred) const;

private:
    std::string name_;
    std::string reduction_;
};

using LossPtr = std::shared_ptr<const Loss>;

// mean((y_true - y_pred)^2) over the last axis.
class MeanSquaredError : public Loss {
public:
    explicit MeanSquaredError(LossOptions options = {});
    Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
    std::string class_name() const override { return "MeanSquaredError"; }
};

// mean(|y_true - y_pred|) over the last axis.
class MeanAbsoluteError : public Loss {
public:
    explicit MeanAbsoluteError(LossOptions options = {});
    Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
    std::string class_name() const override { return "MeanAbsoluteError"; }
};

// With e = y_pred - y_true: mean over the last axis of e^2 / 2 where |e| <= delta, else delta * |e| - delta^2 / 2.
// delta must be a finite number >= 0. Default name "huber_loss".
class Huber : public Loss {
public:
    explicit Huber(double delta = 1.0, LossOptions options = {});
    Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
    std::string class_name() const override { return "Huber"; }
    nlohmann::json get_config() const override;
    double delta() const { return delta_; }

private:
    double delta_;
};

// Arguments of BinaryCrossentropy and CategoricalCrossentropy.
struct CrossentropyOptions {
    bool from_logits = false;     // y_pred holds logits instead of probabilities
    double label_smoothing = 0.0;  // in [0, 1]: targets move towards 0.5 (binary) or 1 / classes (categorical)
    int64_t axis = -1;            // binary: the axis averaged over; categorical: the class axis
};

// Per element, with targets z (smoothed to z * (1 - s) + s / 2): from logits x, the stable
// max(x, 0) - x * z + log(1 + exp(-|x|)); from probabilities p clipped to [eps, 1 - eps],
// -(z * log(p) + (1 - z) * log(1 - p)). Then the mean over `axis`.
class BinaryCrossentropy : public Loss {
public:
    explicit BinaryCrossentropy(CrossentropyOptions crossentropy = {}, LossOptions options = {});
    Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
    std::string class_name() const override { return "BinaryCrossentropy"; }
    nlohmann::json get_config() const override;
    const CrossentropyOptions& options() const { return options_; }

private:
    CrossentropyOptions options_;
};

// -sum(z * log q) over the class axis, with one-hot targets z smoothed to z * (1 - s) + s / classes and q either
// log_softmax(logits) or the probabilities divided by their sum and clipped to [eps, 1 - eps].
class CategoricalCrossentropy : public Loss {
public:
    explicit CategoricalCrossentropy(CrossentropyOptions crossentropy = {}, LossOptions options = {});
    Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
    std::string class_name() const override { return "CategoricalCrossentropy"; }
    nlohmann::json get_config() const override;
    const CrossentropyOptions& options() const { return options_; }

private:
    CrossentropyOptions options_;
};

// Arguments of SparseCategoricalCrossentropy in one aggregate: SparseCategoricalCrossentropy({.from_logits = true}).
struct SparseCategoricalCrossentropyOptions {
    bool from_logits = false;
    std::optional<int64_t> ignore_class{};
    LossOptions loss{};
};

// -log q[label] with integer labels y_true of y_pred's shape without the last (class) axis (a trailing size-1
// axis is dropped), and q the log_softmax of the logits or of the logs of the probabilities clipped to
// [eps, 1 - eps]. Labels must be whole numbers in [0, classes) (ValueError otherwise, checked before computing),
// except that entries equal to `ignore_class` are left out (see the top of this file). The class axis is the last.
class SparseCategoricalCrossentropy : public Loss {
public:
    explicit SparseCategoricalCrossentropy(bool from_logits = false, std::optional<int64_t> ignore_class = std::nullopt,
                                           LossOptions options = {});
    explicit SparseCategoricalCrossentropy(const SparseCategoricalCrossentropyOptions& options)
        : SparseCategoricalCrossentropy(options.from_logits, options.ignore_class, options.loss) {}
    Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
    std::string class_name() const override { return "SparseCategoricalCrossentropy"; }
    nlohmann::json get_config() const override;
    bool from_logits() const { return from_logits_; }
    const std::optional<int64_t>& ignore_class() const { return ignore_class_; }

protected:
    Tensor valid_mask(const Tensor& y_true, const Tensor& y_pred) const override;

private:
    // (labels, y_pred) lined up: the labels with y_pred's shape without the class axis, else ShapeError.
    std::pair<Tensor, Tensor> aligned(const Tensor& y_true, const Tensor& y_pred) const;

    bool from_logits_;
    std::optional<int64_t> ignore_class_;
};

// A default-configured loss by Keras name: a class name ("MeanSquaredError"), a function name
// ("mean_squared_error", "mean_absolute_error", "huber", "binary_crossentropy", "categorical_crossentropy",
// "sparse_categorical_crossentropy") or an alias ("mse", "MSE", "mae", "MAE", "bce", "BCE"). ValueError when unknown.
LossPtr get(std::string_view name);

// As Keras 3 compile() resolves a loss name for targets of shape `y_true` and predictions of shape `y_pred`:
// "crossentropy" and "ce" (any case) become, named as given, BinaryCrossentropy when y_pred ends in a size-1 axis,
// else SparseCategoricalCrossentropy when y_true has lower rank than y_pred or ends in 1, else
// CategoricalCrossentropy. Every other name goes to get().
LossPtr resolve(std::string_view name, const Shape& y_true, const Shape& y_pred);

// From a name string, a Keras 3 dict {"module": "keras.losses", "class_name", "config", "registered_name"} or a
// legacy Keras 2 dict {"class_name", "config"}. Throws ValueError on unknown names, config keys or values.
LossPtr deserialize(const nlohmann::json& j);

// The Keras 3 dict form of `loss`.
nlohmann::json serialize(const Loss& loss);

}  // namespace kiln::losses
