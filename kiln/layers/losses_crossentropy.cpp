// The crossentropy losses: binary, categorical (one-hot targets) and sparse categorical (integer labels), each
// from logits through log_softmax or the stable sigmoid form, or from probabilities clipped to [eps, 1 - eps].
#include <cmath>

#include "kiln/core/errors.hpp"
#include "kiln/core/ops.hpp"
#include "kiln/layers/losses.hpp"
#include "kiln/layers/losses_shapes.hpp"

namespace kiln::losses {

namespace {

CrossentropyOptions checked(const char* cls, CrossentropyOptions o) {
    if (!(o.label_smoothing >= 0.0 && o.label_smoothing <= 1.0))
        throw ValueError(cat(cls, ": label_smoothing must be in [0, 1], got label_smoothing=", o.label_smoothing));
    return o;
}

nlohmann::json crossentropy_config(nlohmann::json config, const CrossentropyOptions& o) {
    config["from_logits"] = o.from_logits;
    config["label_smoothing"] = o.label_smoothing;
    config["axis"] = o.axis;
    return config;
}

// Probabilities limited to [eps, 1 - eps], so that their logs and the logs of their complements are finite.
Tensor clip_probabilities(const Tensor& p) { return clip(p, kEpsilon, 1.0f - kEpsilon); }

// Binary crossentropy of logits x against targets z: max(x, 0) - x * z + log(1 + exp(-|x|)). max(x, 0) and -|x|
// are selected by x >= 0 so that the gradient at x = 0 is sigmoid(0) - z.
Tensor sigmoid_crossentropy_with_logits(const Tensor& x, const Tensor& z) {
    const Tensor zero = Tensor::scalar(0.0f);
    const Tensor nonnegative = greater_equal(x, zero);
    const Tensor relu_x = where(nonnegative, x, zero);
    const Tensor minus_abs_x = where(nonnegative, neg(x), x);
    return add(sub(relu_x, mul(x, z)), log(add(exp(minus_abs_x), 1.0f)));
}

}  // namespace

BinaryCrossentropy::BinaryCrossentropy(CrossentropyOptions crossentropy, LossOptions options)
    : Loss("BinaryCrossentropy", "binary_crossentropy", std::move(options)),
      options_(checked("BinaryCrossentropy", crossentropy)) {}

Tensor BinaryCrossentropy::call(const Tensor& y_true, const Tensor& y_pred) const {
    const auto [t, p] = same_shape(y_true, y_pred);
    const int64_t axis = normalize_axis(options_.axis, p.rank(), "BinaryCrossentropy");
    const auto s = static_cast<float>(options_.label_smoothing);
    const Tensor z = s == 0.0f ? t : add(mul(t, 1.0f - s), 0.5f * s);
    if (options_.from_logits) return mean(sigmoid_crossentropy_with_logits(p, z), {axis});
    const Tensor q = clip_probabilities(p);
    return mean(neg(add(mul(z, log(q)), mul(1.0f - z, log(1.0f - q)))), {axis});
}

nlohmann::json BinaryCrossentropy::get_config() const { return crossentropy_config(Loss::get_config(), options_); }

CategoricalCrossentropy::CategoricalCrossentropy(CrossentropyOptions crossentropy, LossOptions options)
    : Loss("CategoricalCrossentropy", "categorical_crossentropy", std::move(options)),
      options_(checked("CategoricalCrossentropy", crossentropy)) {}

Tensor CategoricalCrossentropy::call(const Tensor& y_true, const Tensor& y_pred) const {
    const auto [t, p] = same_shape(y_true, y_pred);
    const int64_t axis = normalize_axis(options_.axis, p.rank(), "CategoricalCrossentropy");
    const auto s = static_cast<float>(options_.label_smoothing);
    const Tensor z = s == 0.0f ? t : add(mul(t, 1.0f - s), s / static_cast<float>(p.dim(axis)));
    // Probabilities are renormalized to sum to 1 along the class axis before clipping, as Keras does.
    const Tensor log_q = options_.from_logits
                             ? log_softmax(p, axis)
                             : log(clip_probabilities(div(p, sum(p, {axis}, /*keepdims=*/true))));
    return neg(sum(mul(z, log_q), {axis}));
}

nlohmann::json CategoricalCrossentropy::get_config() const {
    return crossentropy_config(Loss::get_config(), options_);
}

SparseCategoricalCrossentropy::SparseCategoricalCrossentropy(bool from_logits, std::optional<int64_t> ignore_class,
                                                             LossOptions options)
    : Loss("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy", std::move(options)),
      from_logits_(from_logits),
      ignore_class_(ignore_class) {}

std::pair<Tensor, Tensor> SparseCategoricalCrossentropy::aligned(const Tensor& y_true, const Tensor& y_pred) const {
    auto [t, p] = detail::squeeze_or_expand_to_same_rank(y_true, y_pred);
    if (t.rank() == p.rank() && t.rank() > 0 && t.shape().back() == 1) {
        Shape squeezed = t.shape();
        squeezed.pop_back();
        t = t.reshape(squeezed);
    }
    const bool ok = p.rank() >= 1 && t.shape() == Shape(p.shape().begin(), p.shape().end() - 1);
    if (!ok)
        throw ShapeError(cat(class_name(), ": y_true must have the shape of y_pred without its last (class) axis, ",
                             "got y_true ", y_true.shape(), " and y_pred ", y_pred.shape()));
    return {t, p};
}

Tensor SparseCategoricalCrossentropy::call(const Tensor& y_true, const Tensor& y_pred) const {
    const auto [labels, p] = aligned(y_true, y_pred);
    const int64_t classes = p.shape().back();
    const float* pl = labels.data();
    for (int64_t i = 0; i < labels.size(); ++i) {
        const float v = pl[i];
        if (ignore_class_ && static_cast<double>(v) == static_cast<double>(*ignore_class_)) continue;
        if (!(std::isfinite(v) && v == std::round(v) && v >= 0.0f && v < static_cast<float>(classes)))
            throw ValueError(cat(class_name(), ": label ", v, " is not a whole number in [0, ", classes, ") for ",
                                 classes, " classes"));
    }
    const Tensor valid = valid_mask(y_true, y_pred);
    // Ignored entries take label 0 so that one_hot accepts them; their losses are replaced by 0 below.
    const Tensor picked = valid.defined() ? mul(labels, valid) : labels;
    const Tensor log_q = from_logits_ ? log_softmax(p, -1) : log_softmax(log(clip_probabilities(p)), -1);
    const Tensor loss = neg(sum(mul(one_hot(picked, classes), log_q), {-1}));
    return valid.defined() ? where(valid, loss, Tensor::scalar(0.0f)) : loss;
}

Tensor SparseCategoricalCrossentropy::valid_mask(const Tensor& y_true, const Tensor& y_pred) const {
    if (!ignore_class_) return {};
    return not_equal(aligned(y_true, y_pred).first, Tensor::scalar(static_cast<float>(*ignore_class_)));
}

nlohmann::json SparseCategoricalCrossentropy::get_config() const {
    nlohmann::json config = Loss::get_config();
    config["from_logits"] = from_logits_;
    config["ignore_class"] = ignore_class_ ? nlohmann::json(*ignore_class_) : nlohmann::json(nullptr);
    config["axis"] = -1;
    return config;
}

}  // namespace kiln::losses
