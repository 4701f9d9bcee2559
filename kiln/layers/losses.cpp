// Losses: the Loss base (weighting and reduction), the regression losses, and the Keras name registry.
#include "kiln/layers/losses.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "kiln/core/errors.hpp"
#include "kiln/core/ops.hpp"
#include "kiln/core/detail/registry.hpp"
#include "kiln/layers/losses_shapes.hpp"

namespace kiln::losses {

namespace {

bool is_mean_reduction(const std::string& reduction) {
    return reduction == "sum_over_batch_size" || reduction == "mean";
}

std::string checked_reduction(std::string_view class_name, std::string reduction) {
    if (!is_mean_reduction(reduction) && reduction != "sum" && reduction != "mean_with_sample_weight" &&
        reduction != "none")
        throw ValueError(cat(class_name, ": reduction must be one of sum_over_batch_size, mean, sum, "
                             "mean_with_sample_weight, none, got reduction='", reduction, "'"));
    return reduction;
}

// `total / divisor`, or 0 (still on the tape) when the divisor is 0, as Keras's divide_no_nan.
Tensor divide_no_nan(const Tensor& total, double divisor) {
    return mul(total, divisor == 0.0 ? 0.0f : static_cast<float>(1.0 / divisor));
}

// Merges the mask of the left-out entries into the sample weights, as Keras's apply_mask: for the mean reductions
// the kept entries weigh (number of entries) / (number kept), so that dividing by the number of entries divides
// by the number kept.
Tensor masked_weights(Tensor mask, const Tensor& sample_weight, const std::string& reduction) {
    if (is_mean_reduction(reduction)) {
        const double kept = sum(mask).item();
        mask = mul(mask, kept == 0.0 ? 0.0f : static_cast<float>(static_cast<double>(mask.size()) / kept));
    }
    if (!sample_weight.defined()) return mask;
    const auto [m, w] = detail::squeeze_or_expand_to_same_rank(mask, sample_weight);
    return mul(w, m);
}

// mean(f(y_true - y_pred)) over the last axis, for the losses that compare element by element.
template <class F>
Tensor mean_of_difference(const std::pair<Tensor, Tensor>& aligned, F f) {
    return mean(f(sub(aligned.first, aligned.second)), {-1});
}

}  // namespace

Loss::Loss(std::string_view class_name, std::string_view default_name, LossOptions options)
    : name_(options.name.empty() ? std::string(default_name) : std::move(options.name)),
      reduction_(checked_reduction(class_name, std::move(options.reduction))) {}

Tensor Loss::operator()(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) const {
    if (!y_true.defined() || !y_pred.defined())
        throw ValueError(cat(class_name(), ": y_true and y_pred must be defined tensors"));
    Tensor values = call(y_true, y_pred);
    Tensor weights = sample_weight;
    if (const Tensor mask = valid_mask(y_true, y_pred); mask.defined())
        weights = masked_weights(mask, sample_weight, reduction_);
    if (weights.defined()) {
        auto [v, w] = detail::squeeze_or_expand_to_same_rank(values, weights);
        broadcast_shapes(v.shape(), w.shape(), cat(class_name(), ": sample_weight against the losses"));
        values = mul(v, w);
        weights = w;
    }
    if (reduction_ == "none") return values;
    const Tensor total = sum(values);
    if (reduction_ == "sum") return total;
    if (reduction_ == "mean_with_sample_weight" && weights.defined())
        return divide_no_nan(total, sum(weights).item());
    return divide_no_nan(total, static_cast<double>(values.size()));
}

nlohmann::json Loss::get_config() const { return {{"name", name_}, {"reduction", reduction_}}; }

Tensor Loss::valid_mask(const Tensor&, const Tensor&) const { return {}; }

std::pair<Tensor, Tensor> Loss::same_shape(const Tensor& y_true, const Tensor& y_pred) const {
    auto aligned = detail::squeeze_or_expand_to_same_rank(y_true, y_pred);
    if (aligned.first.shape() != aligned.second.shape() || aligned.first.rank() == 0)
        throw ShapeError(cat(class_name(), ": y_true and y_pred must have the same shape of rank >= 1, got y_true ",
                             y_true.shape(), " and y_pred ", y_pred.shape()));
    return aligned;
}

MeanSquaredError::MeanSquaredError(LossOptions options)
    : Loss("MeanSquaredError", "mean_squared_error", std::move(options)) {}

Tensor MeanSquaredError::call(const Tensor& y_true, const Tensor& y_pred) const {
    return mean_of_difference(same_shape(y_true, y_pred), [](const Tensor& d) { return square(d); });
}

MeanAbsoluteError::MeanAbsoluteError(LossOptions options)
    : Loss("MeanAbsoluteError", "mean_absolute_error", std::move(options)) {}

Tensor MeanAbsoluteError::call(const Tensor& y_true, const Tensor& y_pred) const {
    return mean_of_difference(same_shape(y_true, y_pred), [](const Tensor& d) { return abs(d); });
}

Huber::Huber(double delta, LossOptions options) : Loss("Huber", "huber_loss", std::move(options)), delta_(delta) {
    if (!(std::isfinite(delta) && delta >= 0.0))
        throw ValueError(cat("Huber: delta must be a finite number >= 0, got delta=", delta));
}

Tensor Huber::call(const Tensor& y_true, const Tensor& y_pred) const {
    const auto d = static_cast<float>(delta_);
    return mean_of_difference(same_shape(y_true, y_pred), [d](const Tensor& e) {
        const Tensor abs_e = abs(e);
        const Tensor quadratic = mul(square(e), 0.5f);
        const Tensor linear = add(mul(abs_e, d), -0.5f * d * d);
        return where(less_equal(abs_e, Tensor::scalar(d)), quadratic, linear);
    });
}

nlohmann::json Huber::get_config() const {
    nlohmann::json config = Loss::get_config();
    config["delta"] = delta_;
    return config;
}

namespace {

using kiln::detail::ConfigReader;

// The arguments every loss config has: name, reduction (null means "none") and dtype (null or float32 only).
LossOptions loss_options(ConfigReader& r) {
    LossOptions options;
    options.name = r.string("name", "");
    if (const nlohmann::json* v = r.find("reduction"); v && !v->is_null()) {
        if (!v->is_string()) r.wrong_type("reduction", "a string or null", *v);
        options.reduction = v->get<std::string>();
    } else if (v) {
        options.reduction = "none";
    }
    if (const nlohmann::json* v = r.find("dtype"); v && !v->is_null() && *v != "float32")
        r.wrong_type("dtype", "null or \"float32\"", *v);
    return options;
}

bool boolean(ConfigReader& r, std::string_view key, bool fallback) {
    const nlohmann::json* v = r.find(key);
    if (!v) return fallback;
    if (!v->is_boolean()) r.wrong_type(key, "a boolean", *v);
    return v->get<bool>();
}

// The class axis of SparseCategoricalCrossentropy: absent or -1.
void check_last_axis(ConfigReader& r) {
    const nlohmann::json* v = r.find("axis");
    if (v && r.integer_value("axis", *v) != -1)
        throw NotImplementedError(cat("SparseCategoricalCrossentropy: only axis=-1 is supported, got axis=", *v));
}

std::optional<int64_t> optional_integer(ConfigReader& r, std::string_view key) {
    const nlohmann::json* v = r.find(key);
    if (!v || v->is_null()) return std::nullopt;
    return r.integer_value(key, *v);
}

CrossentropyOptions crossentropy_options(ConfigReader& r) {
    CrossentropyOptions o;
    o.from_logits = boolean(r, "from_logits", false);
    o.label_smoothing = r.number("label_smoothing", 0.0);
    if (const nlohmann::json* v = r.find("axis")) o.axis = r.integer_value("axis", *v);
    return o;
}

template <class T>
LossPtr make_plain(ConfigReader& r) {
    return std::make_shared<T>(loss_options(r));
}

template <class T>
LossPtr make_crossentropy(ConfigReader& r) {
    const CrossentropyOptions o = crossentropy_options(r);
    return std::make_shared<T>(o, loss_options(r));
}

const kiln::detail::Registry<Loss>& registry() {
    static const kiln::detail::Registry<Loss> instance(
        "loss", "keras.losses",
        {
            {"MeanSquaredError", {"mean_squared_error", "mse", "MSE"}, make_plain<MeanSquaredError>},
            {"MeanAbsoluteError", {"mean_absolute_error", "mae", "MAE"}, make_plain<MeanAbsoluteError>},
            {"Huber",
             {"huber"},
             [](ConfigReader& r) -> LossPtr {
                 const double delta = r.number("delta", 1.0);
                 return std::make_shared<Huber>(delta, loss_options(r));
             }},
            {"BinaryCrossentropy", {"binary_crossentropy", "bce", "BCE"}, make_crossentropy<BinaryCrossentropy>},
            {"CategoricalCrossentropy", {"categorical_crossentropy"}, make_crossentropy<CategoricalCrossentropy>},
            {"SparseCategoricalCrossentropy",
             {"sparse_categorical_crossentropy"},
             [](ConfigReader& r) -> LossPtr {
                 const bool from_logits = boolean(r, "from_logits", false);
                 const std::optional<int64_t> ignore_class = optional_integer(r, "ignore_class");
                 check_last_axis(r);
                 return std::make_shared<SparseCategoricalCrossentropy>(
                     from_logits, ignore_class, loss_options(r));
             }},
        });
    return instance;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

}  // namespace

LossPtr get(std::string_view name) { return registry().get(name); }

LossPtr resolve(std::string_view name, const Shape& y_true, const Shape& y_pred) {
    const std::string key = lower(name);
    if (key != "crossentropy" && key != "ce") return get(name);
    const detail::TargetKind kind = detail::classify_targets(y_true, y_pred);
    const LossOptions options{"sum_over_batch_size", std::string(name)};
    if (kind.binary) return std::make_shared<BinaryCrossentropy>(CrossentropyOptions{}, options);
    if (kind.sparse_categorical) return std::make_shared<SparseCategoricalCrossentropy>(false, std::nullopt, options);
    return std::make_shared<CategoricalCrossentropy>(CrossentropyOptions{}, options);
}

LossPtr deserialize(const nlohmann::json& j) { return registry().deserialize(j); }
nlohmann::json serialize(const Loss& loss) { return registry().serialize(loss); }

}  // namespace kiln::losses
