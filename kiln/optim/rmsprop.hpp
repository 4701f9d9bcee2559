// RMSprop: gradients divided by a moving root mean square, as keras.optimizers.RMSprop.
#pragma once

#include "kiln/optim/optimizer.hpp"

namespace kiln::optim {

// Arguments of RMSprop besides the common OptimizerOptions.
struct RMSpropOptions {
    LearningRate learning_rate{0.001};
    double rho{0.9};       // in [0, 1]
    double momentum{0.0};  // >= 0; 0 keeps no momentum slot
    double epsilon{1e-7};  // >= 0
    bool centered{false};
};

// Slots "velocity" (v), "momentum" (m, when momentum > 0) and "average_gradient" (a, when centered):
//   v = rho * v + (1 - rho) * g^2
//   centered: a = rho * a + (1 - rho) * g;  d = v - a^2 + epsilon;  otherwise d = v + epsilon
//   inc = lr * g / sqrt(d)
//   momentum > 0: m = momentum * m + inc;  w -= m;  otherwise w -= inc
class RMSprop : public Optimizer {
public:
    explicit RMSprop(RMSpropOptions options = {}, OptimizerOptions common = {});
    std::string class_name() const override { return "RMSprop"; }
    const RMSpropOptions& rmsprop_options() const { return options_; }

protected:
    std::vector<SlotSpec> slot_specs() const override;
    void update_step(const UpdateStep& step) const override;
    nlohmann::json own_config() const override;

private:
    RMSpropOptions options_;
};

}  // namespace kiln::optim
