// The classification metrics: the accuracies (exact, binary, categorical, sparse, top-k) and the binary
// confusion counts behind Precision and Recall.
#include <cmath>

#include "kiln/core/errors.hpp"
#include "kiln/core/ops.hpp"
#include "kiln/layers/losses_shapes.hpp"
#include "kiln/layers/metrics.hpp"

namespace kiln::metrics {

namespace {

// (y_true, y_pred) lined up as Keras does, with equal shapes, else ShapeError naming `owner`.
std::pair<Tensor, Tensor> same_shape(std::string_view owner, const Tensor& y_true, const Tensor& y_pred) {
    auto aligned = losses::detail::squeeze_or_expand_to_same_rank(y_true, y_pred);
    if (aligned.first.shape() != aligned.second.shape())
        throw ShapeError(cat(owner, ": y_true and y_pred must have the same shape, got y_true ", y_true.shape(),
                             " and y_pred ", y_pred.shape()));
    return aligned;
}

// One-hot targets and scores of one shape of rank >= 1, else ShapeError naming `owner`.
void check_categorical(std::string_view owner, const Tensor& y_true, const Tensor& y_pred) {
    if (y_true.shape() != y_pred.shape() || y_pred.rank() == 0)
        throw ShapeError(cat(owner, ": y_true (one-hot) and y_pred must have the same shape of rank >= 1, got y_true ",
                             y_true.shape(), " and y_pred ", y_pred.shape()));
}

// Integer labels with y_pred's shape without its last axis (a trailing size-1 axis of y_true is dropped), else
// ShapeError naming `owner`.
Tensor sparse_labels(std::string_view owner, const Tensor& y_true, const Tensor& y_pred) {
    Tensor labels = y_true;
    if (labels.rank() == y_pred.rank() && labels.rank() > 0 && labels.shape().back() == 1) {
        Shape squeezed = labels.shape();
        squeezed.pop_back();
        labels = labels.reshape(squeezed);
    }
    if (y_pred.rank() == 0 || labels.shape() != Shape(y_pred.shape().begin(), y_pred.shape().end() - 1))
        throw ShapeError(cat(owner, ": y_true must have the shape of y_pred without its last (class) axis, got y_true ",
                             y_true.shape(), " and y_pred ", y_pred.shape()));
    return labels;
}

// 1 where fewer than k scores of a row (the last axis of `scores`) are strictly above the score of that row's
// label, else 0. Labels must be whole numbers in [0, classes), else ValueError naming `owner`.
Tensor in_top_k(std::string_view owner, const Tensor& labels, const Tensor& scores, int64_t k) {
    const int64_t classes = scores.shape().back();
    Tensor out = Tensor::empty(labels.shape());
    const float* pl = labels.data();
    for (int64_t i = 0; i < labels.size(); ++i) {
        const float v = pl[i];
        if (!(std::isfinite(v) && v == std::round(v) && v >= 0.0f && v < static_cast<float>(classes)))
            throw ValueError(cat(owner, ": label ", v, " is not a whole number in [0, ", classes, ") for ", classes,
                                 " classes"));
        const float* row = scores.data() + i * classes;
        const float target = row[static_cast<int64_t>(v)];
        int64_t higher = 0;
        for (int64_t j = 0; j < classes; ++j) higher += row[j] > target ? 1 : 0;
        out.data()[i] = higher < k ? 1.0f : 0.0f;
    }
    return out;
}

int64_t checked_k(const char* cls, int64_t k) {
    if (k < 1) throw ValueError(cat(cls, ": k must be >= 1, got k=", k));
    return k;
}

}  // namespace

Tensor Accuracy::values(const Tensor& y_true, const Tensor& y_pred) const {
    const auto [t, p] = same_shape(class_name(), y_true, y_pred);
    return equal(t, p);
}

BinaryAccuracy::BinaryAccuracy(double threshold, std::string name)
    : MeanMetricWrapper(std::move(name)), threshold_(threshold) {}

Tensor BinaryAccuracy::values(const Tensor& y_true, const Tensor& y_pred) const {
    const auto [t, p] = same_shape(class_name(), y_true, y_pred);
    return equal(t, greater(p, Tensor::scalar(static_cast<float>(threshold_))));
}

nlohmann::json BinaryAccuracy::get_config() const {
    nlohmann::json config = Metric::get_config();
    config["threshold"] = threshold_;
    return config;
}

Tensor CategoricalAccuracy::values(const Tensor& y_true, const Tensor& y_pred) const {
    check_categorical(class_name(), y_true, y_pred);
    return equal(argmax(y_true, -1), argmax(y_pred, -1));
}

Tensor SparseCategoricalAccuracy::values(const Tensor& y_true, const Tensor& y_pred) const {
    return equal(sparse_labels(class_name(), y_true, y_pred), argmax(y_pred, -1));
}

TopKCategoricalAccuracy::TopKCategoricalAccuracy(int64_t k, std::string name)
    : MeanMetricWrapper(std::move(name)), k_(checked_k("TopKCategoricalAccuracy", k)) {}

Tensor TopKCategoricalAccuracy::values(const Tensor& y_true, const Tensor& y_pred) const {
    check_categorical(class_name(), y_true, y_pred);
    return in_top_k(class_name(), argmax(y_true, -1), y_pred, k_);
}

nlohmann::json TopKCategoricalAccuracy::get_config() const {
    nlohmann::json config = Metric::get_config();
    config["k"] = k_;
    return config;
}

SparseTopKCategoricalAccuracy::SparseTopKCategoricalAccuracy(int64_t k, std::string name)
    : MeanMetricWrapper(std::move(name)), k_(checked_k("SparseTopKCategoricalAccuracy", k)) {}

Tensor SparseTopKCategoricalAccuracy::values(const Tensor& y_true, const Tensor& y_pred) const {
    return in_top_k(class_name(), sparse_labels(class_name(), y_true, y_pred), y_pred, k_);
}

nlohmann::json SparseTopKCategoricalAccuracy::get_config() const {
    nlohmann::json config = Metric::get_config();
    config["k"] = k_;
    return config;
}

ConfusionMetric::ConfusionMetric(const char* class_name, std::string name, std::optional<double> thresholds)
    : Metric(std::move(name)), thresholds_(thresholds) {
    if (thresholds_ && !(*thresholds_ >= 0.0 && *thresholds_ <= 1.0))
        throw ValueError(cat(class_name, ": thresholds must be in [0, 1], got thresholds=", *thresholds_));
}

void ConfusionMetric::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
    const auto [p, t] = same_shape(class_name(), y_pred, y_true);
    Tensor w;
    if (sample_weight.defined()) {
        // As Keras: the weights get a trailing axis, which is dropped again when y_true has no matching axis.
        Shape expanded = sample_weight.shape();
        expanded.push_back(1);
        w = losses::detail::squeeze_or_expand_to_same_rank(t, sample_weight.reshape(expanded), false).second;
        if (broadcast_shapes(w.shape(), p.shape(), cat(class_name(), ": sample_weight")) != p.shape())
            throw ShapeError(cat(class_name(), ": sample_weight of shape ", sample_weight.shape(),
                                 " does not broadcast to y_pred of shape ", y_pred.shape()));
        w = broadcast_to(w, p.shape());
    }
    const auto threshold = static_cast<float>(thresholds_.value_or(0.5));
    for (int64_t i = 0; i < p.size(); ++i) {
        const double weight = w.defined() ? w.data()[i] : 1.0;
        const bool predicted = p.data()[i] > threshold;
        const bool actual = t.data()[i] != 0.0f;
        if (predicted && actual) true_positives_ += weight;
        if (predicted && !actual) false_positives_ += weight;
        if (!predicted && actual) false_negatives_ += weight;
    }
}

nlohmann::json ConfusionMetric::get_config() const {
    nlohmann::json config = Metric::get_config();
    config["thresholds"] = thresholds_ ? nlohmann::json(*thresholds_) : nlohmann::json(nullptr);
    config["top_k"] = nullptr;
    config["class_id"] = nullptr;
    return config;
}

}  // namespace kiln::metrics
