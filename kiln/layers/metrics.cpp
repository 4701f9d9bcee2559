// Metrics: the Metric base, the running weighted mean behind Mean and the averaging metrics, and the Keras name
// registry with compile()'s resolution of "accuracy".
#include "kiln/layers/metrics.hpp"

#include <algorithm>
#include <cctype>
#include <numeric>
#include <tuple>
#include <vector>

#include "kiln/core/errors.hpp"
#include "kiln/core/ops.hpp"
#include "kiln/core/detail/registry.hpp"
#include "kiln/layers/losses_shapes.hpp"

namespace kiln::metrics {

namespace {

// Axes [first, rank).
std::vector<int64_t> axes_from(int64_t first, int64_t rank) {
    std::vector<int64_t> axes(static_cast<size_t>(std::max<int64_t>(rank - first, 0)));
    std::iota(axes.begin(), axes.end(), first);
    return axes;
}

// The sum of the elements in double.
double sum_double(const Tensor& t) {
    double total = 0.0;
    const float* p = t.data();
    for (int64_t i = 0; i < t.size(); ++i) total += p[i];
    return total;
}

}  // namespace

nlohmann::json Metric::get_config() const { return {{"name", name_}, {"dtype", "float32"}}; }

void detail::MeanState::add(const Tensor& values, const Tensor& sample_weight, std::string_view owner) {
    Tensor v = values;
    Tensor w = sample_weight;
    if (w.defined()) {
        std::tie(v, w) = losses::detail::squeeze_or_expand_to_same_rank(v, w);
        const int64_t weight_rank = w.rank();
        if (v.rank() > weight_rank) v = mean(v, axes_from(weight_rank, v.rank()));
        if (broadcast_shapes(w.shape(), v.shape(), cat(owner, ": sample_weight")) != v.shape())
            throw ShapeError(cat(owner, ": sample_weight of shape ", sample_weight.shape(),
                                 " does not broadcast to the values of shape ", values.shape()));
        w = broadcast_to(w, v.shape());
        v = mul(v, w);
        if (weight_rank > 1) w = mean(w, axes_from(1, w.rank()));
    }
    if (v.rank() > 1) v = mean(v, axes_from(1, v.rank()));
    total_ += sum_double(v);
    count_ += w.defined() ? sum_double(w) : static_cast<double>(v.rank() >= 1 ? v.dim(0) : 1);
}

void Mean::update_state(const Tensor& values, const Tensor& sample_weight) {
    state_.add(values, sample_weight, class_name());
}

void Mean::update_state(const Tensor&, const Tensor&, const Tensor&) {
    throw ValueError(cat("Mean '", name(), "': update_state takes (values, sample_weight), not (y_true, y_pred, "
                         "sample_weight); use a metric of targets and predictions instead"));
}

void LossTracker::add_batch(float loss, int64_t batch_size) {
    update_state(Tensor::scalar(loss), Tensor::scalar(static_cast<float>(batch_size)));
}

void MeanMetricWrapper::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
    state_.add(values(y_true, y_pred), sample_weight, class_name());
}

Tensor MeanSquaredError::values(const Tensor& y_true, const Tensor& y_pred) const {
    return losses::MeanSquaredError().call(y_true, y_pred);
}

Tensor MeanAbsoluteError::values(const Tensor& y_true, const Tensor& y_pred) const {
    return losses::MeanAbsoluteError().call(y_true, y_pred);
}

namespace {

using kiln::detail::ConfigReader;
using Registry = kiln::detail::Registry<Metric>;

// The "name" key (nullopt when absent or null: the class's default name); also checks "dtype".
std::optional<std::string> read_name(ConfigReader& r) {
    if (const nlohmann::json* v = r.find("dtype"); v && !v->is_null() && *v != "float32")
        r.wrong_type("dtype", "null or \"float32\"", *v);
    const nlohmann::json* v = r.find("name");
    if (!v || v->is_null()) return std::nullopt;
    if (!v->is_string()) r.wrong_type("name", "a string", *v);
    return v->get<std::string>();
}

// A metric whose constructor takes its name last, after `args`.
template <class T, class... Args>
Registry::Ptr make(ConfigReader& r, Args... args) {
    const std::optional<std::string> name = read_name(r);
    return name ? std::make_shared<T>(args..., *name) : std::make_shared<T>(args...);
}

template <class T>
Registry::Ptr make_plain(ConfigReader& r) {
    return make<T>(r);
}

int64_t read_k(ConfigReader& r) {
    const nlohmann::json* v = r.find("k");
    return v ? r.integer_value("k", *v) : 5;
}

// Precision and Recall: "thresholds" null or one number; "top_k" and "class_id" only null.
template <class T>
Registry::Ptr make_confusion(ConfigReader& r) {
    for (const char* key : {"top_k", "class_id"})
        if (const nlohmann::json* v = r.find(key); v && !v->is_null())
            r.wrong_type(key, "null (kiln's Precision and Recall are binary)", *v);
    std::optional<double> thresholds;
    if (const nlohmann::json* v = r.find("thresholds"); v && !v->is_null()) {
        if (!v->is_number()) r.wrong_type("thresholds", "null or a number (lists are not supported)", *v);
        thresholds = v->get<double>();
    }
    return make<T>(r, thresholds);
}

const Registry& registry() {
    static const Registry instance(
        "metric", "keras.metrics",
        {
            {"Mean", {"mean"}, make_plain<Mean>},
            {"Accuracy", {"accuracy"}, make_plain<Accuracy>},
            {"BinaryAccuracy",
             {"binary_accuracy"},
             [](ConfigReader& r) { return make<BinaryAccuracy>(r, r.number("threshold", 0.5)); }},
            {"CategoricalAccuracy", {"categorical_accuracy"}, make_plain<CategoricalAccuracy>},
            {"SparseCategoricalAccuracy", {"sparse_categorical_accuracy"}, make_plain<SparseCategoricalAccuracy>},
            {"TopKCategoricalAccuracy",
             {"top_k_categorical_accuracy"},
             [](ConfigReader& r) { return make<TopKCategoricalAccuracy>(r, read_k(r)); }},
            {"SparseTopKCategoricalAccuracy",
             {"sparse_top_k_categorical_accuracy"},
             [](ConfigReader& r) {
                 if (const nlohmann::json* sorted = r.find("from_sorted_ids"); sorted && *sorted != false)
                     r.wrong_type("from_sorted_ids", "false (sorted ids are not supported)", *sorted);
                 return make<SparseTopKCategoricalAccuracy>(r, read_k(r));
             }},
            {"MeanSquaredError", {"mean_squared_error", "mse", "MSE"}, make_plain<MeanSquaredError>},
            {"MeanAbsoluteError", {"mean_absolute_error", "mae", "MAE"}, make_plain<MeanAbsoluteError>},
            {"Precision", {"precision"}, make_confusion<Precision>},
            {"Recall", {"recall"}, make_confusion<Recall>},
        });
    return instance;
}

// The registry builds every metric with make_shared of a non-const class, so removing the const it adds to the
// pointer is well defined; metrics are stateful and callers need them mutable.
MetricPtr mutable_metric(const Registry::Ptr& metric) { return std::const_pointer_cast<Metric>(metric); }

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

}  // namespace

MetricPtr get(std::string_view name) { return mutable_metric(registry().get(name)); }

MetricPtr resolve(std::string_view name, const Shape& y_true, const Shape& y_pred) {
    const std::string key = lower(name);
    const std::string given(name);
    if (key != "accuracy" && key != "acc")
        return deserialize(nlohmann::json{{"class_name", given}, {"config", {{"name", given}}}});
    const losses::detail::TargetKind kind = losses::detail::classify_targets(y_true, y_pred);
    if (kind.binary) return std::make_shared<BinaryAccuracy>(0.5, given);
    if (kind.sparse_categorical) return std::make_shared<SparseCategoricalAccuracy>(given);
    return std::make_shared<CategoricalAccuracy>(given);
}

MetricPtr deserialize(const nlohmann::json& j) { return mutable_metric(registry().deserialize(j)); }
nlohmann::json serialize(const Metric& metric) { return registry().serialize(metric); }

}  // namespace kiln::metrics
