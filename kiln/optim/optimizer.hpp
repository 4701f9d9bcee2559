// Optimizer: the base of kiln's Keras 3 optimizers. It owns what every optimizer shares: the step counter, the
// learning rate (a constant or a schedule of the step), gradient unscaling and clipping, decoupled weight decay,
// constraints, the per-variable state ("slots") and the Keras config. A subclass supplies its slots and its
// elementwise update rule.
//
// One apply_gradients() call does, as Keras 3's BaseOptimizer.apply():
//   1. validation of everything before any change: equal lengths, defined variables, distinct paths, gradient
//      shapes; variables whose gradient is undefined are skipped (all undefined is an error; empty lists do
//      nothing);
//   2. slots for variables seen for the first time (keyed by Variable::name(), the path);
//   3. gradient / loss_scale_factor, then clipping: clipnorm per variable, or global_clipnorm over all gradients,
//      or clipvalue elementwise;
//   4. per variable: weight decay (variable -= variable * weight_decay * lr), the update rule, apply_constraint();
//   5. iterations += 1.
// lr is learning_rate() at the current iterations, for the weight decay and the update alike.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiln/core/tensor.hpp"
#include "kiln/core/variable.hpp"
#include "kiln/optim/schedules.hpp"

namespace kiln::optim {

// A learning rate: a constant (>= 0) or a schedule evaluated at the optimizer's iterations.
using LearningRate = std::variant<double, LearningRateSchedulePtr>;

// Options every optimizer accepts (Keras 3 BaseOptimizer keyword arguments besides learning_rate).
struct OptimizerOptions {
    std::string name{};                       // empty: the class's Keras default ("adam", "SGD", ...)
    std::optional<double> weight_decay{};     // decoupled decay factor (>= 0); none: no decay
    std::optional<double> clipnorm{};         // clip each gradient to this L2 norm (>= 0; 0 disables)
    std::optional<double> clipvalue{};        // clip each gradient element to [-clipvalue, clipvalue]
    std::optional<double> global_clipnorm{};  // clip all gradients together to this global L2 norm
    bool use_ema{false};                      // true is refused (NotImplementedError)
    double ema_momentum{0.99};                // kept for the config; only used by EMA
    std::optional<int64_t> ema_overwrite_frequency{};  // kept for the config; only used by EMA
    std::optional<double> loss_scale_factor{};         // gradients are divided by it (> 0)
    std::optional<int64_t> gradient_accumulation_steps{};  // any value is refused (NotImplementedError)
};

class Optimizer {
public:
    virtual ~Optimizer() = default;
    Optimizer(const Optimizer&) = delete;
    // Movable, so that a temporary such as optim::Adam({...}) can be handed to compile().
    Optimizer(Optimizer&&) = default;
    Optimizer& operator=(const Optimizer&) = delete;

    // The Keras 3 class name, e.g. "Adam".
    virtual std::string class_name() const = 0;
    const std::string& name() const { return name_; }
    const OptimizerOptions& options() const { return options_; }

    // Updates `vars` from `grads` (same lengths; see the file comment for the exact sequence).
    void apply_gradients(const std::vector<Tensor>& grads, const std::vector<Variable>& vars);
    // Creates the slots of the variables not seen yet (as Keras's build); apply_gradients() does it on first
    // sight. Needed before set_variables() on a fresh optimizer.
    void build(const std::vector<Variable>& vars);

    // Number of apply_gradients() calls that updated something.
    int64_t iterations() const { return iterations_; }
    // The learning rate of the next update: the constant, or the schedule at iterations().
    double learning_rate() const;
    // Replaces the learning rate (a schedule too) by the constant `value` (>= 0), e.g. for callbacks.
    void set_learning_rate(double value);
    // The schedule, or null for a constant learning rate.
    LearningRateSchedulePtr learning_rate_schedule() const;

    // The optimizer's state in Keras 3's order and names: "iteration", "learning_rate" (only for a constant
    // rate), then the slots in Keras's creation order (for each group of slot kinds created together,
    // every variable in first-seen order with its slots of that group: Adam's m0, v0, m1, v1, ...), named
    // "<path with '/' as '_'>_<slot>" (e.g. "dense_kernel_momentum"). Copies, so later steps leave them alone.
    // The iteration count is stored as a float32 scalar (exact up to 2^24).
    std::vector<std::pair<std::string, Tensor>> variables() const;
    // Restores state from variables() of an optimizer of the same configuration that saw the same variables:
    // names, order and shapes must match exactly (ValueError or ShapeError otherwise; nothing changes then).
    void set_variables(const std::vector<std::pair<std::string, Tensor>>& state);

    // Keras 3 config: name, learning_rate (a number or a serialized schedule), weight_decay, clipnorm,
    // global_clipnorm, clipvalue, use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor,
    // gradient_accumulation_steps, and the optimizer's own keys.
    nlohmann::json get_config() const;

protected:
    // One slot kind: its Keras name and the value it starts with.
    struct SlotSpec {
        std::string name{};
        float initial_value{0.0f};
        // Created in the same per-variable loop as the slot kind before it (Keras's add_optimizer_variables with
        // a list of names, e.g. Adam's momentum and velocity): variables() then interleaves them per variable.
        bool created_with_previous{false};
    };

    // Everything an update rule needs for one variable; all arrays have `size` elements.
    struct UpdateStep {
        float* variable{};
        const float* gradient{};
        std::vector<float*> slots{};  // in slot_specs() order
        int64_t size{};
        float learning_rate{};
        int64_t iteration{};  // iterations() before this update (0 for the first)
    };

    // Checks the common options; `cls` (the class name) prefixes error messages and `default_name` names the
    // optimizer when options.name is empty.
    Optimizer(std::string_view cls, std::string_view default_name, LearningRate learning_rate,
              OptimizerOptions options);

    // The slot kinds of this configuration, in Keras's creation order.
    virtual std::vector<SlotSpec> slot_specs() const = 0;
    // Applies the update rule in place.
    virtual void update_step(const UpdateStep& step) const = 0;
    // The optimizer's own config keys.
    virtual nlohmann::json own_config() const = 0;

private:
    // (index into slots_, slot kind) pairs in the order of variables(): Keras 3's creation order.
    std::vector<std::pair<size_t, size_t>> slot_order() const;
    // The slots of one variable, one tensor per slot kind.
    struct Slots {
        std::string path;
        Shape shape;
        std::vector<Tensor> tensors;
    };

    // Throws unless vars are defined and their paths distinct (and grads, when given, match them).
    void check_arguments(const std::vector<Tensor>* grads, const std::vector<Variable>& vars) const;
    Slots& slots_for(const Variable& var);
    // The (unscaled, clipped) gradients to apply, undefined where skipped.
    std::vector<Tensor> processed_gradients(const std::vector<Tensor>& grads) const;

    std::string name_;
    LearningRate learning_rate_;
    OptimizerOptions options_;
    int64_t iterations_{0};
    std::vector<Slots> slots_;  // first-seen order
    std::unordered_map<std::string, size_t> slot_index_;
};

using OptimizerPtr = std::shared_ptr<Optimizer>;

}  // namespace kiln::optim
