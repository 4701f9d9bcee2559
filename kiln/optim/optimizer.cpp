// Optimizer: argument checks, gradient processing, the apply sequence, slots, state and the common config.
#include "kiln/optim/optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_set>

#include "kiln/core/detail/kernels.hpp"
#include "kiln/core/errors.hpp"
#include "kiln/optim/detail/config.hpp"
#include "kiln/optim/detail/kernel.hpp"

namespace kiln::optim {

namespace {

using detail::require;

// A Keras config value: null or the number.
template <class T>
nlohmann::json nullable(const std::optional<T>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

// A clipping threshold: absent, or a number >= 0 (0 disables clipping, as in Keras).
void check_clip(std::string_view cls, std::string_view key, const std::optional<double>& v) {
    if (v) require(*v >= 0.0, cls, key, ">= 0", *v);
}

// The learning rate `value`, checked to be a finite number >= 0.
double checked_learning_rate(std::string_view cls, double value) {
    require(std::isfinite(value) && value >= 0.0, cls, "learning_rate", "a finite number >= 0", value);
    return value;
}

// Sum of squares in double precision.
double squared_norm(const Tensor& t) {
    const float* p = t.data();
    double sum = 0.0;
    for (int64_t i = 0; i < t.size(); ++i) sum += static_cast<double>(p[i]) * p[i];
    return sum;
}

Tensor scaled(const Tensor& t, double factor) {
    const auto f = static_cast<float>(factor);
    return kiln::detail::map_unary(t, [f](float x) { return x * f; });
}

// Keras's name of a slot: the variable path with '/' as '_', then '_' and the slot name.
std::string slot_name(const std::string& path, const std::string& slot) {
    std::string name = path;
    std::replace(name.begin(), name.end(), '/', '_');
    return name + "_" + slot;
}

}  // namespace

Optimizer::Optimizer(std::string_view cls, std::string_view default_name, LearningRate learning_rate,
                     OptimizerOptions options)
    : name_(options.name.empty() ? std::string(default_name) : options.name),
      learning_rate_(std::move(learning_rate)),
      options_(std::move(options)) {
    if (const double* lr = std::get_if<double>(&learning_rate_)) checked_learning_rate(cls, *lr);
    else if (!std::get<LearningRateSchedulePtr>(learning_rate_))
        throw ValueError(cat(cls, ": learning_rate is a null schedule"));
    const OptimizerOptions& o = options_;
    if (o.weight_decay)
        require(std::isfinite(*o.weight_decay) && *o.weight_decay >= 0.0, cls, "weight_decay", "a finite number >= 0",
                *o.weight_decay);
    check_clip(cls, "clipnorm", o.clipnorm);
    check_clip(cls, "clipvalue", o.clipvalue);
    check_clip(cls, "global_clipnorm", o.global_clipnorm);
    if (int(o.clipnorm.has_value()) + int(o.clipvalue.has_value()) + int(o.global_clipnorm.has_value()) > 1)
        throw ValueError(cat(cls, ": only one of clipnorm, clipvalue and global_clipnorm can be set, got clipnorm=",
                             nullable(o.clipnorm), ", clipvalue=", nullable(o.clipvalue),
                             ", global_clipnorm=", nullable(o.global_clipnorm)));
    if (o.loss_scale_factor)
        require(std::isfinite(*o.loss_scale_factor) && *o.loss_scale_factor > 0.0, cls, "loss_scale_factor",
                "a finite number > 0", *o.loss_scale_factor);
    if (o.use_ema) throw NotImplementedError(cat(cls, ": use_ema=true is not supported"));
    if (o.gradient_accumulation_steps)
        throw NotImplementedError(cat(cls, ": gradient_accumulation_steps is not supported, got ",
                                      "gradient_accumulation_steps=", *o.gradient_accumulation_steps));
}

double Optimizer::learning_rate() const {
    if (const double* lr = std::get_if<double>(&learning_rate_)) return *lr;
    return (*std::get<LearningRateSchedulePtr>(learning_rate_))(iterations_);
}

void Optimizer::set_learning_rate(double value) { learning_rate_ = checked_learning_rate(class_name(), value); }

LearningRateSchedulePtr Optimizer::learning_rate_schedule() const {
    const auto* schedule = std::get_if<LearningRateSchedulePtr>(&learning_rate_);
    return schedule ? *schedule : nullptr;
}

void Optimizer::check_arguments(const std::vector<Tensor>* grads, const std::vector<Variable>& vars) const {
    const std::string cls = class_name();
    if (grads && grads->size() != vars.size())
        throw ValueError(cat(cls, ".apply_gradients: got ", grads->size(), " gradients for ", vars.size(),
                             " variables"));
    std::unordered_set<std::string> paths;
    for (size_t i = 0; i < vars.size(); ++i) {
        const Variable& var = vars[i];
        if (!var.defined()) throw ValueError(cat(cls, ": variable ", i, " is undefined"));
        if (!paths.insert(var.name()).second)
            throw ValueError(cat(cls, ": two variables have the same path '", var.name(), "'"));
        const auto known = slot_index_.find(var.name());
        if (known != slot_index_.end() && slots_[known->second].shape != var.shape())
            throw ShapeError(cat(cls, ": variable '", var.name(), "' has shape ", var.shape(),
                                 ", but the optimizer holds state for that path with shape ",
                                 slots_[known->second].shape));
        if (grads && (*grads)[i].defined() && (*grads)[i].shape() != var.shape())
            throw ShapeError(cat(cls, ".apply_gradients: the gradient of '", var.name(), "' has shape ",
                                 (*grads)[i].shape(), ", the variable has shape ", var.shape()));
    }
}

void Optimizer::build(const std::vector<Variable>& vars) {
    check_arguments(nullptr, vars);
    const std::vector<SlotSpec> specs = slot_specs();
    for (const Variable& var : vars) {
        if (slot_index_.count(var.name())) continue;
        Slots slots{var.name(), var.shape(), {}};
        for (const SlotSpec& spec : specs) slots.tensors.push_back(Tensor::full(var.shape(), spec.initial_value));
        slot_index_.emplace(var.name(), slots_.size());
        slots_.push_back(std::move(slots));
    }
}

Optimizer::Slots& Optimizer::slots_for(const Variable& var) { return slots_[slot_index_.at(var.name())]; }

std::vector<Tensor> Optimizer::processed_gradients(const std::vector<Tensor>& grads) const {
    std::vector<Tensor> out = grads;
    const OptimizerOptions& o = options_;
    if (o.loss_scale_factor) {
        const auto scale = static_cast<float>(*o.loss_scale_factor);
        for (Tensor& g : out)
            if (g.defined()) g = kiln::detail::map_unary(g, [scale](float x) { return x / scale; });
    }
    if (o.clipnorm && *o.clipnorm > 0.0) {
        // g * clipnorm / max(||g||, clipnorm), for each gradient on its own.
        for (Tensor& g : out) {
            if (!g.defined()) continue;
            const double norm = std::sqrt(squared_norm(g));
            if (norm > *o.clipnorm) g = scaled(g, *o.clipnorm / norm);
        }
    } else if (o.global_clipnorm && *o.global_clipnorm > 0.0) {
        // Every gradient times min(1, global_clipnorm / sqrt(sum of all squares)); NaN when that norm is not finite.
        double sum = 0.0;
        for (const Tensor& g : out)
            if (g.defined()) sum += squared_norm(g);
        const double norm = std::sqrt(sum);
        const double factor = std::isfinite(norm) ? std::min(1.0, *o.global_clipnorm / norm)
                                                  : std::numeric_limits<double>::quiet_NaN();
        if (factor != 1.0)
            for (Tensor& g : out)
                if (g.defined()) g = scaled(g, factor);
    } else if (o.clipvalue && *o.clipvalue > 0.0) {
        const auto v = static_cast<float>(*o.clipvalue);
        for (Tensor& g : out)
            if (g.defined()) g = kiln::detail::map_unary(g, [v](float x) { return std::clamp(x, -v, v); });
    }
    return out;
}

void Optimizer::apply_gradients(const std::vector<Tensor>& grads, const std::vector<Variable>& vars) {
    check_arguments(&grads, vars);
    if (vars.empty()) return;
    if (std::none_of(grads.begin(), grads.end(), [](const Tensor& g) { return g.defined(); }))
        throw ValueError(cat(class_name(), ".apply_gradients: no gradient provided for any variable"));
    const double lr = learning_rate();
    if (!(lr >= 0.0))
        throw ValueError(cat(class_name(), ": the learning-rate schedule gave ", lr, " at step ", iterations_,
                             "; it must be >= 0"));
    build(vars);
    const std::vector<Tensor> processed = processed_gradients(grads);
    const auto lr_f = static_cast<float>(lr);
    for (size_t i = 0; i < vars.size(); ++i) {
        if (!processed[i].defined()) continue;
        Tensor value = vars[i].value();  // a handle sharing the variable's storage
        UpdateStep step{value.data(), processed[i].data(), {}, value.size(), lr_f, iterations_};
        for (Tensor& slot : slots_for(vars[i]).tensors) step.slots.push_back(slot.data());
        if (options_.weight_decay) {
            // Decoupled weight decay: w -= w * weight_decay * lr.
            const auto wd = static_cast<float>(*options_.weight_decay);
            float* w = step.variable;
            detail::for_each_element(step.size, [=](int64_t j) { w[j] -= w[j] * wd * lr_f; });
        }
        update_step(step);
        vars[i].apply_constraint();
    }
    ++iterations_;
}

std::vector<std::pair<std::string, Tensor>> Optimizer::variables() const {
    std::vector<std::pair<std::string, Tensor>> out;
    out.emplace_back("iteration", Tensor::scalar(static_cast<float>(iterations_)));
    if (const double* lr = std::get_if<double>(&learning_rate_))
        out.emplace_back("learning_rate", Tensor::scalar(static_cast<float>(*lr)));
    const std::vector<SlotSpec> specs = slot_specs();
    for (const auto& [v, k] : slot_order()) out.emplace_back(slot_name(slots_[v].path, specs[k].name), slots_[v].tensors[k].copy());
    return out;
}

std::vector<std::pair<size_t, size_t>> Optimizer::slot_order() const {
    const std::vector<SlotSpec> specs = slot_specs();
    std::vector<std::pair<size_t, size_t>> order;
    for (size_t group = 0; group < specs.size();) {
        size_t end = group + 1;
        while (end < specs.size() && specs[end].created_with_previous) ++end;
        for (size_t v = 0; v < slots_.size(); ++v)
            for (size_t k = group; k < end; ++k) order.emplace_back(v, k);
        group = end;
    }
    return order;
}

void Optimizer::set_variables(const std::vector<std::pair<std::string, Tensor>>& state) {
    const std::string cls = class_name();
    const std::vector<std::pair<std::string, Tensor>> own = variables();
    if (state.size() != own.size())
        throw ValueError(cat(cls, ".set_variables: expected ", own.size(), " variables, got ", state.size(),
                             " (build() the optimizer on the same variables first)"));
    for (size_t i = 0; i < own.size(); ++i) {
        const auto& [name, value] = state[i];
        if (name != own[i].first)
            throw ValueError(cat(cls, ".set_variables: variable ", i, " must be '", own[i].first, "', got '", name,
                                 "'"));
        if (!value.defined() || value.shape() != own[i].second.shape())
            throw ShapeError(cat(cls, ".set_variables: '", name, "' must have shape ", own[i].second.shape(),
                                 ", got ", value.defined() ? cat(value.shape()) : std::string("an undefined tensor")));
    }
    const float iteration = state[0].second.item();
    require(iteration >= 0.0f && std::floor(iteration) == iteration, cls, "iteration", "a whole number >= 0",
            iteration);
    const bool constant = std::holds_alternative<double>(learning_rate_);
    if (constant) checked_learning_rate(cls, state[1].second.item());
    iterations_ = static_cast<int64_t>(iteration);
    if (constant) learning_rate_ = static_cast<double>(state[1].second.item());
    size_t next = constant ? 2 : 1;
    for (const auto& [v, k] : slot_order()) {
        const Tensor& src = state[next++].second;
        std::memcpy(slots_[v].tensors[k].data(), src.data(), static_cast<size_t>(src.size()) * sizeof(float));
    }
}

nlohmann::json Optimizer::get_config() const {
    nlohmann::json config = own_config();
    const OptimizerOptions& o = options_;
    const LearningRateSchedulePtr schedule = learning_rate_schedule();
    config["name"] = name_;
    config["learning_rate"] = schedule ? schedules::serialize(*schedule) : nlohmann::json(learning_rate());
    config["weight_decay"] = nullable(o.weight_decay);
    config["clipnorm"] = nullable(o.clipnorm);
    config["global_clipnorm"] = nullable(o.global_clipnorm);
    config["clipvalue"] = nullable(o.clipvalue);
    config["use_ema"] = o.use_ema;
    config["ema_momentum"] = o.ema_momentum;
    config["ema_overwrite_frequency"] = nullable(o.ema_overwrite_frequency);
    config["loss_scale_factor"] = nullable(o.loss_scale_factor);
    config["gradient_accumulation_steps"] = nullable(o.gradient_accumulation_steps);
    return config;
}

}  // namespace kiln::optim
