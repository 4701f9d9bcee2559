// Metrics: the streaming training metrics of keras.metrics (Keras 3 names, defaults, formulas and configs).
//
// A metric accumulates over batches: update_state(y_true, y_pred, sample_weight) adds one batch, result() gives
// the value over every batch since the last reset_state(), so batches of unequal sizes weigh by their sizes.
// Totals are kept in double. The averaging metrics (accuracies, MeanSquaredError, MeanAbsoluteError) compute a
// value per element, average it over every axis after the first to get one value per sample, and keep
// total = sum(w_i * v_i) and count = sum(w_i) (the number of samples without weights), as Keras's Mean does.
// Sample weights are lined up with the values as in Keras (a trailing size-1 axis dropped or added); values
// with more axes than the weights are first averaged over the extra axes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "kiln/core/shape.hpp"
#include "kiln/core/tensor.hpp"
#include "kiln/layers/losses.hpp"

namespace kiln::metrics {

// Base of every metric: streaming state, a result, a name (the key under which fit's History reports it) and a
// Keras config.
class Metric {
public:
    virtual ~Metric() = default;
    // Adds one batch of targets and predictions, with optional sample weights.
    virtual void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = {}) = 0;
    // The value over every batch since the last reset (0 before any update).
    virtual float result() const = 0;
    // Forgets every batch.
    virtual void reset_state() = 0;
    // The instance name, e.g. "binary_accuracy" or, as resolved by compile, "accuracy".
    const std::string& name() const { return name_; }
    // The Keras 3 class name, e.g. "BinaryAccuracy".
    virtual std::string class_name() const = 0;
    // The Keras 3 config dict: {"name", "dtype": "float32"} plus the class's own arguments.
    virtual nlohmann::json get_config() const;

protected:
    explicit Metric(std::string name) : name_(std::move(name)) {}

private:
    std::string name_;
};

using MetricPtr = std::shared_ptr<Metric>;

namespace detail {

// The running weighted mean of per-sample values, as Keras's Mean: totals in double.
class MeanState {
public:
    // Adds `values` weighted by `sample_weight` (optional); `owner` names the metric in ShapeError messages.
    void add(const Tensor& values, const Tensor& sample_weight, std::string_view owner);
    // total / count, 0 when count is 0.
    float result() const { return count_ == 0.0 ? 0.0f : static_cast<float>(total_ / count_); }
    void reset() { total_ = count_ = 0.0; }
    double total() const { return total_; }
    double count() const { return count_; }

private:
    double total_ = 0.0;
    double count_ = 0.0;
};

}  // namespace detail

// The weighted mean of given values: update_state(values, sample_weight). It has no (y_true, y_pred) form: that
// overload raises ValueError, as calling a Keras Mean with targets and predictions fails.
class Mean : public Metric {
public:
    explicit Mean(std::string name = "mean") : Metric(std::move(name)) {}
    // Adds `values` (any shape; averaged per sample) with optional `sample_weight`.
    void update_state(const Tensor& values, const Tensor& sample_weight = {});
    // Always raises ValueError (see the class comment).
    void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override;
    float result() const override { return state_.result(); }
    void reset_state() override { state_.reset(); }
    std::string class_name() const override { return "Mean"; }
    double total() const { return state_.total(); }
    double count() const { return state_.count(); }

protected:
    detail::MeanState state_;
};

// The running loss of fit(), as Keras's Mean(name="loss"): each batch's (already reduced) loss weighted by the
// batch size, so the epoch value is the mean over samples.
class LossTracker : public Mean {
public:
    explicit LossTracker(std::string name = "loss") : Mean(std::move(name)) {}
    // Adds one batch's loss for `batch_size` samples.
    void add_batch(float loss, int64_t batch_size);
};

// Base of the metrics that average a per-element value of (y_true, y_pred), as Keras's MeanMetricWrapper.
class MeanMetricWrapper : public Metric {
public:
    void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = {}) override;
    float result() const override { return state_.result(); }
    void reset_state() override { state_.reset(); }

protected:
    using Metric::Metric;
    // The per-element (or per-sample) values of one batch.
    virtual Tensor values(const Tensor& y_true, const Tensor& y_pred) const = 0;

private:
    detail::MeanState state_;
};

// How often y_pred equals y_true exactly (same shapes after lining up).
class Accuracy : public MeanMetricWrapper {
public:
    explicit Accuracy(std::string name = "accuracy") : MeanMetricWrapper(std::move(name)) {}
    std::string class_name() const override { return "Accuracy"; }

protected:
    Tensor values(const Tensor& y_true, const Tensor& y_pred) const override;
};

// How often (y_pred > threshold) equals y_true, element by element (same shapes after lining up).
class BinaryAccuracy : public MeanMetricWrapper {
public:
    explicit BinaryAccuracy(double threshold = 0.5, std::string name = "binary_accuracy");
    std::string class_name() const override { return "BinaryAccuracy"; }
    nlohmann::json get_config() const override;
    double threshold() const { return threshold_; }

protected:
    Tensor values(const Tensor& y_true, const Tensor& y_pred) const override;

private:
    double threshold_;
};

// How often argmax(y_pred) equals argmax(y_true) over the last axis (one-hot targets, same shapes; the first
// maximum wins at ties).
class CategoricalAccuracy : public MeanMetricWrapper {
public:
    explicit CategoricalAccuracy(std::string name = "categorical_accuracy") : MeanMetricWrapper(std::move(name)) {}
    std::string class_name() const override { return "CategoricalAccuracy"; }

protected:
    Tensor values(const Tensor& y_true, const Tensor& y_pred) const override;
};

// How often argmax(y_pred) over the last axis equals the integer label y_true (y_pred's shape without the last
// axis, or with it of size 1).
class SparseCategoricalAccuracy : public MeanMetricWrapper {
public:
    explicit SparseCategoricalAccuracy(std::string name = "sparse_categorical_accuracy")
        : MeanMetricWrapper(std::move(name)) {}
    std::string class_name() const override { return "SparseCategoricalAccuracy"; }

protected:
    Tensor values(const Tensor& y_true, const Tensor& y_pred) const override;
};

// How often the target class is among the k highest predictions: fewer than k classes score strictly higher
// than it, so classes tied with the k-th highest all count as in the top k (as tf.math.in_top_k).
class TopKCategoricalAccuracy : public MeanMetricWrapper {
public:
    // k must be >= 1.
    explicit TopKCategoricalAccuracy(int64_t k = 5, std::string name = "top_k_categorical_accuracy");
    std::string class_name() const override { return "TopKCategoricalAccuracy"; }
    nlohmann::json get_config() const override;
    int64_t k() const { return k_; }

protected:
    // One-hot targets; the target class is argmax(y_true).
    Tensor values(const Tensor& y_true, const Tensor& y_pred) const override;

private:
    int64_t k_;
};

// TopKCategoricalAccuracy with integer labels (y_pred's shape without the last axis, or with it of size 1);
// a label outside [0, classes) or not whole raises ValueError.
class SparseTopKCategoricalAccuracy : public MeanMetricWrapper {
public:
    // k must be >= 1.
    explicit SparseTopKCategoricalAccuracy(int64_t k = 5, std::string name = "sparse_top_k_categorical_accuracy");
    std::string class_name() const override { return "SparseTopKCategoricalAccuracy"; }
    nlohmann::json get_config() const override;
    int64_t k() const { return k_; }

protected:
    Tensor values(const Tensor& y_true, const Tensor& y_pred) const override;

private:
    int64_t k_;
};

// The running mean of losses::MeanSquaredError's per-sample values.
class MeanSquaredError : public MeanMetricWrapper {
public:
    explicit MeanSquaredError(std::string name = "mean_squared_error") : MeanMetricWrapper(std::move(name)) {}
    std::string class_name() const override { return "MeanSquaredError"; }

protected:
    Tensor values(const Tensor& y_true, const Tensor& y_pred) const override;
};

// The running mean of losses::MeanAbsoluteError's per-sample values.
class MeanAbsoluteError : public MeanMetricWrapper {
public:
    explicit MeanAbsoluteError(std::string name = "mean_absolute_error") : MeanMetricWrapper(std::move(name)) {}
    std::string class_name() const override { return "MeanAbsoluteError"; }

protected:
    Tensor values(const Tensor& y_true, const Tensor& y_pred) const override;
};

// Base of Precision and Recall: weighted counts of true positives, false positives and false negatives, with a
// prediction positive when y_pred > threshold (0.5 unless `thresholds` is given, which must be in [0, 1]) and a
// target positive when y_true is nonzero. Every element counts; sample weights broadcast to y_pred's shape.
class ConfusionMetric : public Metric {
public:
    void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = {}) override;
    void reset_state() override { true_positives_ = false_positives_ = false_negatives_ = 0.0; }
    // {"name", "dtype", "thresholds", "top_k": null, "class_id": null}.
    nlohmann::json get_config() const override;
    const std::optional<double>& thresholds() const { return thresholds_; }

protected:
    // `class_name` names the class in the ValueError for a threshold outside [0, 1].
    ConfusionMetric(const char* class_name, std::string name, std::optional<double> thresholds);
    // a / (a + b), 0 when a + b is 0 (Keras's divide_no_nan).
    static float ratio(double a, double b) { return a + b == 0.0 ? 0.0f : static_cast<float>(a / (a + b)); }

    double true_positives_ = 0.0;
    double false_positives_ = 0.0;
    double false_negatives_ = 0.0;

private:
    std::optional<double> thresholds_;
};

// true positives / (true positives + false positives), 0 when nothing was predicted positive.
class Precision : public ConfusionMetric {
public:
    explicit Precision(std::optional<double> thresholds = std::nullopt, std::string name = "precision")
        : ConfusionMetric("Precision", std::move(name), thresholds) {}
    float result() const override { return ratio(true_positives_, false_positives_); }
    std::string class_name() const override { return "Precision"; }
};

// true positives / (true positives + false negatives), 0 when no target was positive.
class Recall : public ConfusionMetric {
public:
    explicit Recall(std::optional<double> thresholds = std::nullopt, std::string name = "recall")
        : ConfusionMetric("Recall", std::move(name), thresholds) {}
    float result() const override { return ratio(true_positives_, false_negatives_); }
    std::string class_name() const override { return "Recall"; }
};

// A fresh default-configured metric by Keras name: a class name ("BinaryAccuracy"), its snake_case form
// ("binary_accuracy", "top_k_categorical_accuracy", "mean_squared_error", "precision", "recall", "mean", ...)
// or an alias ("mse", "MSE", "mae", "MAE"). ValueError when unknown.
MetricPtr get(std::string_view name);

// A fresh metric for a compile() metric name and targets/predictions of shapes `y_true` and `y_pred`, as Keras 3
// resolves it. "accuracy" and "acc" (any case) become BinaryAccuracy when y_pred's last axis has size 1, else
// SparseCategoricalAccuracy when y_true has lower rank than y_pred or its last axis has size 1 (and y_pred's does
// not), else CategoricalAccuracy. Any other name goes to get(). Either way the metric is named `name` as given,
// which is the key fit's History uses ("accuracy" stays "accuracy", "mse" stays "mse"). Keras 3 does not look at
// the loss for this (Keras 2 did), and neither does kiln.
MetricPtr resolve(std::string_view name, const Shape& y_true, const Shape& y_pred);

// From a name string, a Keras 3 dict {"module": "keras.metrics", "class_name", "config", "registered_name"} or a
// legacy Keras 2 dict {"class_name", "config"}. Throws ValueError on unknown names, config keys or values.
MetricPtr deserialize(const nlohmann::json& j);

// The Keras 3 dict form of `metric`.
nlohmann::json serialize(const Metric& metric);

}  // namespace kiln::metrics
