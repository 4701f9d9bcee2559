// Learning-rate schedules: argument checks, the Keras 3 formulas, configs and the schedule registry.
#include "kiln/optim/schedules.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <type_traits>
#include <utility>

#include "kiln/optim/detail/config.hpp"

namespace kiln::optim {

using detail::require;

ExponentialDecay::ExponentialDecay(double initial_learning_rate, int64_t decay_steps, double decay_rate,
                                   bool staircase, std::string name)
    : initial_learning_rate_(initial_learning_rate),
      decay_steps_(decay_steps),
      decay_rate_(decay_rate),
      staircase_(staircase),
      name_(std::move(name)) {
    require(decay_steps_ > 0, "ExponentialDecay", "decay_steps", "> 0", decay_steps_);
}

double ExponentialDecay::operator()(int64_t step) const {
    double p = static_cast<double>(step) / static_cast<double>(decay_steps_);
    if (staircase_) p = std::floor(p);
    return initial_learning_rate_ * std::pow(decay_rate_, p);
}

nlohmann::json ExponentialDecay::get_config() const {
    return {{"initial_learning_rate", initial_learning_rate_},
            {"decay_steps", decay_steps_},
            {"decay_rate", decay_rate_},
            {"staircase", staircase_},
            {"name", name_}};
}

PiecewiseConstantDecay::PiecewiseConstantDecay(std::vector<int64_t> boundaries, std::vector<double> values,
                                               std::string name)
    : boundaries_(std::move(boundaries)), values_(std::move(values)), name_(std::move(name)) {
    if (values_.size() != boundaries_.size() + 1)
        throw ValueError(cat("PiecewiseConstantDecay: values must have one more element than boundaries, got ",
                             boundaries_.size(), " boundaries and ", values_.size(), " values"));
    for (size_t i = 1; i < boundaries_.size(); ++i)
        require(boundaries_[i - 1] < boundaries_[i], "PiecewiseConstantDecay", "boundaries", "strictly increasing",
                nlohmann::json(boundaries_).dump());
}

double PiecewiseConstantDecay::operator()(int64_t step) const {
    // The first boundary at or above the step closes the step's interval.
    const auto it = std::lower_bound(boundaries_.begin(), boundaries_.end(), step);
    return values_[static_cast<size_t>(it - boundaries_.begin())];
}

nlohmann::json PiecewiseConstantDecay::get_config() const {
    return {{"boundaries", boundaries_}, {"values", values_}, {"name", name_}};
}

CosineDecay::CosineDecay(double initial_learning_rate, int64_t decay_steps, double alpha,
                         std::optional<double> warmup_target, int64_t warmup_steps, std::string name)
    : initial_learning_rate_(initial_learning_rate),
      decay_steps_(decay_steps),
      alpha_(alpha),
      warmup_target_(warmup_target),
      warmup_steps_(warmup_steps),
      name_(std::move(name)) {
    require(decay_steps_ > 0, "CosineDecay", "decay_steps", "> 0", decay_steps_);
    require(warmup_steps_ >= 0, "CosineDecay", "warmup_steps", ">= 0", warmup_steps_);
}

double CosineDecay::decayed(double from, double step) const {
    const double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * step / static_cast<double>(decay_steps_)));
    return from * ((1.0 - alpha_) * cosine + alpha_);
}

double CosineDecay::operator()(int64_t step) const {
    if (!warmup_target_) return decayed(initial_learning_rate_, static_cast<double>(std::min(step, decay_steps_)));
    const int64_t s = std::min(step, decay_steps_ + warmup_steps_);
    if (s < warmup_steps_) {
        const double fraction = static_cast<double>(s) / static_cast<double>(warmup_steps_);
        return (*warmup_target_ - initial_learning_rate_) * fraction + initial_learning_rate_;
    }
    return decayed(*warmup_target_, static_cast<double>(s - warmup_steps_));
}

nlohmann::json CosineDecay::get_config() const {
    return {{"initial_learning_rate", initial_learning_rate_},
            {"decay_steps", decay_steps_},
            {"alpha", alpha_},
            {"name", name_},
            {"warmup_target", warmup_target_ ? nlohmann::json(*warmup_target_) : nlohmann::json(nullptr)},
            {"warmup_steps", warmup_steps_}};
}

namespace schedules {

namespace {

using detail::ConfigReader;
using detail::required;
using detail::required_integer;
using detail::required_number;

// A required list of integers or of numbers.
template <class T>
std::vector<T> required_list(ConfigReader& r, std::string_view cls, std::string_view key) {
    const nlohmann::json& list = required(r, cls, key);
    if (!list.is_array()) r.wrong_type(key, "a list", list);
    std::vector<T> out;
    for (const nlohmann::json& v : list) {
        if constexpr (std::is_integral_v<T>) {
            out.push_back(r.integer_value(key, v));
        } else {
            if (!v.is_number()) r.wrong_type(key, "a list of numbers", list);
            out.push_back(v.get<T>());
        }
    }
    return out;
}

const kiln::detail::Registry<LearningRateSchedule>& registry() {
    using Ptr = LearningRateSchedulePtr;
    static const kiln::detail::Registry<LearningRateSchedule> instance(
        "schedule", "keras.optimizers.schedules",
        {
            {"ExponentialDecay",
             {},
             [](ConfigReader& r) -> Ptr {
                 // Read in Keras's argument order, so the first missing key is the one reported.
                 const char* cls = "ExponentialDecay";
                 const double initial = required_number(r, cls, "initial_learning_rate");
                 const int64_t decay_steps = required_integer(r, cls, "decay_steps");
                 const double decay_rate = required_number(r, cls, "decay_rate");
                 const bool staircase = detail::boolean(r, "staircase", false);
                 return std::make_shared<ExponentialDecay>(initial, decay_steps, decay_rate, staircase,
                                                           detail::name(r, cls));
             }},
            {"PiecewiseConstantDecay",
             {},
             [](ConfigReader& r) -> Ptr {
                 const char* cls = "PiecewiseConstantDecay";
                 std::vector<int64_t> boundaries = required_list<int64_t>(r, cls, "boundaries");
                 std::vector<double> values = required_list<double>(r, cls, "values");
                 return std::make_shared<PiecewiseConstantDecay>(std::move(boundaries), std::move(values),
                                                                 detail::name(r, "PiecewiseConstant"));
             }},
            {"CosineDecay",
             {},
             [](ConfigReader& r) -> Ptr {
                 const char* cls = "CosineDecay";
                 const double initial = required_number(r, cls, "initial_learning_rate");
                 const int64_t decay_steps = required_integer(r, cls, "decay_steps");
                 const double alpha = r.number("alpha", 0.0);
                 const std::optional<double> warmup_target = detail::optional_number(r, "warmup_target");
                 const int64_t warmup_steps = detail::integer(r, "warmup_steps", 0);
                 return std::make_shared<CosineDecay>(initial, decay_steps, alpha, warmup_target, warmup_steps,
                                                      detail::name(r, cls));
             }},
        });
    return instance;
}

}  // namespace

LearningRateSchedulePtr deserialize(const nlohmann::json& j) {
    if (j.is_string()) throw ValueError(cat("schedules.deserialize: a schedule needs a config dict, got ", j.dump()));
    return registry().deserialize(j);
}

nlohmann::json serialize(const LearningRateSchedule& schedule) { return registry().serialize(schedule); }

}  // namespace schedules

}  // namespace kiln::optim
