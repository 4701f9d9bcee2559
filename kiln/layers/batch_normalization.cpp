#include "kiln/layers/batch_normalization.hpp"

#include <algorithm>
#include <cmath>

#include "kiln/core/errors.hpp"
#include "kiln/core/ops.hpp"
#include "kiln/core/tape.hpp"
#include "kiln/layers/detail/layer_config.hpp"

namespace kiln::layers {
namespace {

// Keras adds backend.epsilon() to the count of a masked batch.
constexpr double kMaskCountEpsilon = 1e-7;

AllReduceFn& synchronized_all_reduce() {
    static AllReduceFn fn;
    return fn;
}

// The square root of another initializer's values: moving_stddev and renorm_stddev start at
// sqrt(moving_variance_initializer), as Keras creates them. Only used inside build, never serialized.
class SqrtInitializer : public Initializer {
public:
    explicit SqrtInitializer(InitializerPtr of) : of_(std::move(of)) {}
    Tensor operator()(const Shape& shape) const override { return sqrt((*of_)(shape)); }
    std::string class_name() const override { return "SqrtOf" + of_->class_name(); }
    nlohmann::json get_config() const override { return of_->get_config(); }

private:
    InitializerPtr of_;
};

InitializerPtr or_default(const InitializerPtr& init, const char* name) {
    return init ? init : initializers::get(name);
}

}  // namespace

void set_synchronized_all_reduce(AllReduceFn all_reduce) { synchronized_all_reduce() = std::move(all_reduce); }

BatchNormalizationLayer::BatchNormalizationLayer(const Options& options)
    : Layer(LayerOptions{.name = options.name, .trainable = options.trainable}, "batch_normalization"),
      options_(options) {
    const std::string who = cat("BatchNormalization '", name(), "'");
    if (detail::axis_list(options_.axis).empty()) throw ValueError(cat(who, ": axis must not be an empty list"));
    if (!(options_.momentum >= 0.0 && options_.momentum <= 1.0))
        throw ValueError(cat(who, ": momentum must be in [0, 1], got ", options_.momentum));
    if (!(options_.epsilon >= 0.0) || !std::isfinite(options_.epsilon))
        throw ValueError(cat(who, ": epsilon must be a finite number >= 0, got ", options_.epsilon));
    if (!(options_.renorm_momentum >= 0.0 && options_.renorm_momentum <= 1.0))
        throw ValueError(cat(who, ": renorm_momentum must be in [0, 1], got ", options_.renorm_momentum));
    detail::prepare_gamma_beta_options(options_);
    options_.moving_mean_initializer = or_default(options_.moving_mean_initializer, "zeros");
    options_.moving_variance_initializer = or_default(options_.moving_variance_initializer, "ones");
    if (options_.renorm_clipping) {
        const auto& clip = *options_.renorm_clipping;
        std::string invalid;
        for (const auto& [key, value] : clip)
            if (key != "rmax" && key != "rmin" && key != "dmax") invalid += (invalid.empty() ? "" : ", ") + key;
        if (!invalid.empty())
            throw ValueError(cat(who, ": invalid keys for renorm_clipping: ", invalid, " (allowed: rmax, rmin, dmax)"));
        if (clip.count("rmax") && clip.count("rmin") && clip.at("rmax") < clip.at("rmin"))
            throw ValueError(cat(who, ": renorm_clipping rmax should be greater than or equal to rmin, got rmax=",
                                 clip.at("rmax"), " rmin=", clip.at("rmin")));
        if (clip.count("dmax") && clip.at("dmax") < 0.0)
            throw ValueError(cat(who, ": renorm_clipping dmax should be non-negative, got ", clip.at("dmax")));
    }
    if (options_.virtual_batch_size) {
        if (*options_.virtual_batch_size <= 0)
            throw ValueError(cat(who, ": virtual_batch_size must be a positive integer that divides the batch size, got ",
                                 *options_.virtual_batch_size));
        if (options_.adjustment)
            throw ValueError(cat(who, ": adjustment cannot be specified together with virtual_batch_size"));
    }
    // tf.keras's rules for fused=true; kiln's kernel is the same either way, so fused never changes results.
    if (options_.fused.value_or(false)) {
        const auto axes = detail::axis_list(options_.axis);
        if (options_.renorm) throw ValueError(cat(who, ": passing both fused=true and renorm=true is not supported"));
        if (axes.size() > 1 || (axes[0] != -4 && axes[0] != -3 && axes[0] != -1 && axes[0] != 1 && axes[0] != 3 && axes[0] != 4))
            throw ValueError(cat(who, ": fused=true is only supported when axis is 1 or 3 for input rank 4, or 1 or 4 "
                                      "for input rank 5; got axis=", axes.size() > 1 ? Shape(axes).str() : std::to_string(axes[0])));
        if (options_.virtual_batch_size)
            throw ValueError(cat(who, ": fused=true is not supported when virtual_batch_size is specified"));
        if (options_.adjustment) throw ValueError(cat(who, ": fused=true is not supported when adjustment is specified"));
        if (options_.synchronized)
            throw ValueError(cat(who, ": fused=true is not supported together with synchronized=true"));
    }
}

void BatchNormalizationLayer::build_impl(const Shape& input_shape) {
    const int64_t rank = input_shape.rank();
    axes_.clear();
    for (int64_t a : detail::axis_list(options_.axis)) {
        if (a < -rank || a >= rank)
            throw ValueError(cat(describe(), ": axis ", a, " is out of range for an input of rank ", rank, " (shape ",
                                 input_shape, ")"));
        axes_.push_back(a < 0 ? a + rank : a);
    }
    std::sort(axes_.begin(), axes_.end());
    if (std::adjacent_find(axes_.begin(), axes_.end()) != axes_.end())
        throw ValueError(cat(describe(), ": duplicate axis in ", Shape(detail::axis_list(options_.axis))));
    if (options_.virtual_batch_size && axes_[0] == 0)
        throw ValueError(cat(describe(), ": with virtual_batch_size the batch axis 0 cannot be normalized"));
    if (options_.fused.value_or(false)) {
        if (rank != 4 && rank != 5)
            throw ValueError(cat(describe(), ": fused=true only supports 4D or 5D inputs, got shape ", input_shape));
        const int64_t a = axes_[0];
        if (!(a == 1 || a == rank - 1))
            throw ValueError(cat(describe(), ": fused=true is only possible with axis=1 or axis=", rank - 1,
                                 " for ", rank, "D inputs, got axis=", a));
    }

    channels_ = 1;
    InputSpec spec;
    spec.ndim = rank;
    for (int64_t a : axes_) {
        channels_ *= input_shape[a];
        spec.axes.emplace_back(a, input_shape[a]);
    }
    // One axis: parameters of shape (C,). Several (tf.keras): full rank with 1 on the other axes.
    if (axes_.size() == 1) {
        param_shape_ = Shape{input_shape[axes_[0]]};
    } else {
        param_shape_ = Shape(static_cast<size_t>(rank), 1);
        for (int64_t a : axes_) param_shape_[a] = input_shape[a];
    }
    set_input_spec(spec);

    const InitializerPtr variance_sqrt = std::make_shared<SqrtInitializer>(options_.moving_variance_initializer);
    if (options_.scale)
        gamma_ = add_weight({"gamma", param_shape_, options_.gamma_initializer, true, options_.gamma_regularizer,
                             options_.gamma_constraint});
    if (options_.center)
        beta_ = add_weight({"beta", param_shape_, options_.beta_initializer, true, options_.beta_regularizer,
                            options_.beta_constraint});
    moving_mean_ = add_weight({"moving_mean", param_shape_, options_.moving_mean_initializer, false, {}, {}});
    moving_variance_ = add_weight({"moving_variance", param_shape_, options_.moving_variance_initializer, false, {}, {}});
    if (options_.renorm) {
        moving_stddev_ = add_weight({"moving_stddev", param_shape_, variance_sqrt, false, {}, {}});
        renorm_mean_ = add_weight({"renorm_mean", param_shape_, options_.moving_mean_initializer, false, {}, {}});
        renorm_stddev_ = add_weight({"renorm_stddev", param_shape_, variance_sqrt, false, {}, {}});
    }
}

struct BatchNormalizationLayer::Prepared {
    Tensor x;                          // the input, permuted so that the normalized axes are contiguous
    Tensor mask;                       // broadcast to x's shape, or undefined
    BatchNormLayout layout;
    std::vector<int64_t> permutation;  // empty when the input needed none
};

BatchNormalizationLayer::Prepared BatchNormalizationLayer::prepare(const Tensor& input, const Tensor& mask) const {
    Prepared p;
    const Shape& s = input.shape();
    const bool contiguous = axes_.back() - axes_.front() + 1 == static_cast<int64_t>(axes_.size());
    if (!contiguous) {
        for (int64_t i = 0; i < s.rank(); ++i)
            if (!std::binary_search(axes_.begin(), axes_.end(), i)) p.permutation.push_back(i);
        p.permutation.insert(p.permutation.end(), axes_.begin(), axes_.end());
    }
    p.x = p.permutation.empty() ? input : permute(input, p.permutation);
    const Shape& xs = p.x.shape();
    const int64_t first = p.permutation.empty() ? axes_.front() : xs.rank() - static_cast<int64_t>(axes_.size());
    const int64_t last = first + static_cast<int64_t>(axes_.size()) - 1;
    p.layout.channels = channels_;
    for (int64_t i = 0; i < first; ++i) p.layout.outer *= xs[i];
    for (int64_t i = last + 1; i < xs.rank(); ++i) p.layout.inner *= xs[i];

    if (mask.defined()) {
        // Keras: the mask covers the input without its last axis; expand it there and broadcast.
        if (mask.rank() != s.rank() - 1)
            throw ValueError(cat(describe(), ": the mask must have one dimension less than the input; got mask shape ",
                                 mask.shape(), " for input shape ", s));
        Shape expanded = mask.shape();
        expanded.push_back(1);
        Tensor m = broadcast_to(stop_gradient(mask).reshape(expanded), s);
        p.mask = p.permutation.empty() ? m : permute(m, p.permutation);
    }
    return p;
}

Tensor BatchNormalizationLayer::call(const Tensor& input, const CallContext& ctx) {
    const bool training = ctx.training && trainable();
    Prepared p = prepare(input, training ? ctx.mask : Tensor());
    const Shape flat{channels_};
    auto flat_value = [&flat](const Variable& v) { return v.defined() ? v.value().reshape(flat) : Tensor(); };

    Tensor y;
    if (training) {
        y = train(p);
    } else {
        y = batch_norm_inference(p.x, flat_value(moving_mean_), flat_value(moving_variance_), flat_value(gamma_),
                                 flat_value(beta_), p.layout, options_.epsilon);
    }
    if (p.permutation.empty()) return y;
    std::vector<int64_t> inverse(p.permutation.size());
    for (size_t i = 0; i < p.permutation.size(); ++i) inverse[p.permutation[i]] = static_cast<int64_t>(i);
    return permute(y, inverse);
}

Tensor BatchNormalizationLayer::train(const Prepared& p) {
    BatchNormLayout layout = p.layout;
    const int64_t batch = p.x.shape()[0];
    if (options_.virtual_batch_size) {
        const int64_t v = *options_.virtual_batch_size;
        if (batch % v != 0)
            throw ValueError(cat(describe(), ": virtual_batch_size ", v, " must divide the batch size, got a batch of ",
                                 batch));
        layout.groups = batch / v;
        layout.outer_per_sample = layout.outer / batch;
    }
    const AllReduceFn* all_reduce =
        options_.synchronized && synchronized_all_reduce() ? &synchronized_all_reduce() : nullptr;
    const double count_epsilon = p.mask.defined() ? kMaskCountEpsilon : 0.0;
    const BatchMoments moments = batch_moments(p.x, layout, {p.mask, count_epsilon, all_reduce});

    // Per-channel batch statistics; with ghost batches, the mean of the ghosts' statistics (as tf.keras).
    const int64_t c_count = channels_;
    std::vector<double> mean(c_count, 0.0), variance(c_count, 0.0);
    for (int64_t g = 0; g < layout.groups; ++g)
        for (int64_t c = 0; c < c_count; ++c) {
            mean[c] += moments.mean.data()[g * c_count + c] / static_cast<double>(layout.groups);
            variance[c] += moments.variance.data()[g * c_count + c] / static_cast<double>(layout.groups);
        }

    // z = x_hat * k + h: renorm's r and d, then the adjustment's scale and bias (constants for the gradient).
    std::vector<double> k(c_count, 1.0), h(c_count, 0.0);
    if (options_.renorm) {
        const auto& clip = options_.renorm_clipping ? *options_.renorm_clipping : std::map<std::string, double>{};
        const float* rmean = renorm_mean_.value().data();
        const float* rstd = renorm_stddev_.value().data();
        for (int64_t c = 0; c < c_count; ++c) {
            const double sigma = std::sqrt(variance[c] + options_.epsilon);
            const double denom = std::max<double>(rstd[c], std::sqrt(options_.epsilon));
            double r = sigma / denom;
            double d = (mean[c] - rmean[c]) / denom;
            if (clip.count("rmin")) r = std::max(r, clip.at("rmin"));
            if (clip.count("rmax")) r = std::min(r, clip.at("rmax"));
            if (clip.count("dmax")) d = std::clamp(d, -clip.at("dmax"), clip.at("dmax"));
            k[c] = r;
            h[c] = d;
        }
    }
    if (options_.adjustment) {
        auto [adj_scale, adj_bias] = options_.adjustment(p.x.shape());
        for (auto [t, what] : {std::pair{&adj_scale, "scale"}, std::pair{&adj_bias, "bias"}})
            if (!t->defined() || (t->size() != 1 && t->size() != c_count))
                throw ShapeError(cat(describe(), ": adjustment must return a ", what, " with 1 or ", c_count,
                                     " values, got ", t->defined() ? t->shape().str() : std::string("undefined")));
        for (int64_t c = 0; c < c_count; ++c) {
            const double s = adj_scale.data()[adj_scale.size() == 1 ? 0 : c];
            const double b = adj_bias.data()[adj_bias.size() == 1 ? 0 : c];
            k[c] *= s;
            h[c] = h[c] * s + b;
        }
    }
    const bool plain = !options_.renorm && !options_.adjustment;
    const Shape flat{c_count};
    BatchNormTrainingOptions train_options{.epsilon = options_.epsilon,
                                           .mask = p.mask,
                                           .count_epsilon = count_epsilon,
                                           .scale_factor = plain ? Tensor() : Tensor(std::vector<float>(k.begin(), k.end()), flat),
                                           .shift = plain ? Tensor() : Tensor(std::vector<float>(h.begin(), h.end()), flat),
                                           .all_reduce = all_reduce};
    Tensor y = batch_norm_training(p.x, gamma_.defined() ? gamma_.value().reshape(flat) : Tensor(),
                                   beta_.defined() ? beta_.value().reshape(flat) : Tensor(), moments, layout,
                                   train_options);
    update_moving_statistics(mean, variance);
    return y;
}

void BatchNormalizationLayer::update_moving_statistics(const std::vector<double>& mean,
                                                       const std::vector<double>& variance) {
    // new = old * momentum + batch * (1 - momentum), per channel, written in place.
    auto blend = [](const Variable& v, const std::vector<double>& batch, double momentum) {
        Tensor updated = Tensor::empty(v.shape());
        const float* old = v.value().data();
        for (size_t c = 0; c < batch.size(); ++c)
            updated.data()[c] = static_cast<float>(old[c] * momentum + batch[c] * (1.0 - momentum));
        v.assign(updated);
    };
    if (!options_.renorm) {
        blend(moving_mean_, mean, options_.momentum);
        blend(moving_variance_, variance, options_.momentum);
        return;
    }
    std::vector<double> sigma(mean.size());
    for (size_t c = 0; c < mean.size(); ++c) sigma[c] = std::sqrt(variance[c] + options_.epsilon);
    blend(renorm_mean_, mean, options_.renorm_momentum);
    blend(renorm_stddev_, sigma, options_.renorm_momentum);
    blend(moving_mean_, mean, options_.momentum);
    blend(moving_stddev_, sigma, options_.momentum);
    // The moving variance follows the moving stddev: relu(stddev^2 - eps).
    Tensor derived = Tensor::empty(moving_variance_.shape());
    const float* stddev = moving_stddev_.value().data();
    for (int64_t c = 0; c < derived.size(); ++c)
        derived.data()[c] = static_cast<float>(
            std::max(0.0, static_cast<double>(stddev[c]) * stddev[c] - options_.epsilon));
    moving_variance_.assign(derived);
}

nlohmann::json BatchNormalizationLayer::get_config() const {
    if (options_.adjustment)
        throw NotImplementedError(cat(describe(), ": get_config: the adjustment callable cannot be serialized"));
    nlohmann::json config = Layer::get_config();
    std::visit([&config](const auto& axis) { config["axis"] = axis; }, options_.axis);
    config["momentum"] = options_.momentum;
    config["epsilon"] = options_.epsilon;
    config["center"] = options_.center;
    config["scale"] = options_.scale;
    detail::write_gamma_beta_config(config, options_);
    config["moving_mean_initializer"] = initializers::serialize(*options_.moving_mean_initializer);
    config["moving_variance_initializer"] = initializers::serialize(*options_.moving_variance_initializer);
    config["synchronized"] = options_.synchronized;
    config["renorm"] = options_.renorm;
    if (options_.renorm_clipping)
        config["renorm_clipping"] = *options_.renorm_clipping;
    else
        config["renorm_clipping"] = options_.renorm ? nlohmann::json::object() : nlohmann::json(nullptr);
    config["renorm_momentum"] = options_.renorm_momentum;
    // tf.keras-only arguments are written only when set, so that Keras 3 can read every other config.
    if (options_.virtual_batch_size) config["virtual_batch_size"] = *options_.virtual_batch_size;
    if (options_.fused) config["fused"] = *options_.fused;
    return config;
}

std::shared_ptr<BatchNormalizationLayer> BatchNormalizationLayer::from_config(const nlohmann::json& config) {
    ConfigReader r(config, "BatchNormalization");
    Options o;
    r.read_base(o.name, o.trainable);
    o.axis = r.int_or_list("axis", -1);
    o.momentum = r.number("momentum", o.momentum);
    o.epsilon = r.number("epsilon", o.epsilon);
    o.center = r.boolean("center", o.center);
    o.scale = r.boolean("scale", o.scale);
    detail::read_gamma_beta_config(r, o);
    o.moving_mean_initializer = r.initializer("moving_mean_initializer", "zeros");
    o.moving_variance_initializer = r.initializer("moving_variance_initializer", "ones");
    o.synchronized = r.boolean("synchronized", false);
    o.renorm = r.boolean("renorm", false);
    const auto& clipping = r.raw("renorm_clipping");
    if (clipping.is_object()) {
        std::map<std::string, double> clip;
        for (const auto& [key, value] : clipping.items()) {
            if (value.is_null()) continue;  // tf.keras may write absent bounds as null
            if (!value.is_number()) throw ValueError(cat(r.where("renorm_clipping"), ": ", key, " must be a number"));
            clip[key] = value.get<double>();
        }
        o.renorm_clipping = clip;
    } else if (!clipping.is_null()) {
        throw ValueError(cat(r.where("renorm_clipping"), ": expected an object, got ", clipping.dump()));
    }
    o.renorm_momentum = r.number("renorm_momentum", o.renorm_momentum);
    o.virtual_batch_size = r.optional_integer("virtual_batch_size");
    if (!r.raw("fused").is_null()) o.fused = r.boolean("fused", false);
    r.finish();
    return std::make_shared<BatchNormalizationLayer>(o);
}

}  // namespace kiln::layers
