// Learning-rate schedules: the learning rate as a function of the optimizer step, as keras.optimizers.schedules
// (Keras 3 names, arguments, formulas and configs). An optimizer built with a schedule uses schedule(iterations)
// at each step. Values are computed in double precision (Keras computes them in float32).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kiln::optim {

// Base of every schedule: a stateless function from the step (0 for the first update) to a learning rate.
class LearningRateSchedule {
public:
    virtual ~LearningRateSchedule() = default;
    // The learning rate at `step` (>= 0).
    virtual double operator()(int64_t step) const = 0;
    // The Keras 3 class name, e.g. "ExponentialDecay".
    virtual std::string class_name() const = 0;
    // The Keras 3 config dict (the constructor arguments, with "name").
    virtual nlohmann::json get_config() const = 0;
};

using LearningRateSchedulePtr = std::shared_ptr<const LearningRateSchedule>;

// initial_learning_rate * decay_rate ^ (step / decay_steps); with staircase the exponent is floor(step /
// decay_steps). decay_steps must be > 0.
class ExponentialDecay : public LearningRateSchedule {
public:
    ExponentialDecay(double initial_learning_rate, int64_t decay_steps, double decay_rate, bool staircase = false,
                     std::string name = "ExponentialDecay");
    double operator()(int64_t step) const override;
    std::string class_name() const override { return "ExponentialDecay"; }
    nlohmann::json get_config() const override;

private:
    double initial_learning_rate_;
    int64_t decay_steps_;
    double decay_rate_;
    bool staircase_;
    std::string name_;
};

// values[0] while step <= boundaries[0], values[i] while boundaries[i-1] < step <= boundaries[i], values.back()
// after the last boundary. Boundaries are strictly increasing steps; values.size() == boundaries.size() + 1.
class PiecewiseConstantDecay : public LearningRateSchedule {
public:
    PiecewiseConstantDecay(std::vector<int64_t> boundaries, std::vector<double> values,
                           std::string name = "PiecewiseConstant");
    double operator()(int64_t step) const override;
    std::string class_name() const override { return "PiecewiseConstantDecay"; }
    nlohmann::json get_config() const override;

private:
    std::vector<int64_t> boundaries_;
    std::vector<double> values_;
    std::string name_;
};

// Cosine decay with an optional linear warmup. Without warmup_target: with s = min(step, decay_steps),
// initial_learning_rate * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha). With warmup_target: steps
// below warmup_steps rise linearly from initial_learning_rate to warmup_target, then the same cosine decays
// warmup_target over the next decay_steps (the step is clamped to warmup_steps + decay_steps). decay_steps must be
// > 0 and warmup_steps >= 0.
class CosineDecay : public LearningRateSchedule {
public:
    CosineDecay(double initial_learning_rate, int64_t decay_steps, double alpha = 0.0,
                std::optional<double> warmup_target = std::nullopt, int64_t warmup_steps = 0,
                std::string name = "CosineDecay");
    double operator()(int64_t step) const override;
    std::string class_name() const override { return "CosineDecay"; }
    nlohmann::json get_config() const override;

private:
    // The cosine part: `from` decayed over `step` of decay_steps (step already clamped).
    double decayed(double from, double step) const;

    double initial_learning_rate_;
    int64_t decay_steps_;
    double alpha_;
    std::optional<double> warmup_target_;
    int64_t warmup_steps_;
    std::string name_;
};

namespace schedules {

// From a Keras 3 dict {"module": "keras.optimizers.schedules", "class_name", "config", "registered_name"} or a
// legacy {"class_name", "config"}. Throws ValueError on unknown classes, missing or unknown config keys.
LearningRateSchedulePtr deserialize(const nlohmann::json& j);

// The Keras 3 dict form of `schedule`.
nlohmann::json serialize(const LearningRateSchedule& schedule);

}  // namespace schedules

}  // namespace kiln::optim
