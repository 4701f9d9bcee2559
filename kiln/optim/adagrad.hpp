// Adagrad: per-element step sizes from the accumulated squared gradients, as keras.optimizers.Adagrad.
#pragma once

#include "kiln/optim/optimizer.hpp"

namespace kiln::optim {

// Arguments of Adagrad besides the common OptimizerOptions.
struct AdagradOptions {
    LearningRate learning_rate{0.001};
    double initial_accumulator_value{0.1};  // >= 0; the starting value of the accumulator
    double epsilon{1e-7};                   // >= 0
};

// Slot "accumulator" (acc, starting at initial_accumulator_value):
//   acc += g^2;  w -= lr * g / sqrt(acc + epsilon)
class Adagrad : public Optimizer {
public:
    explicit Adagrad(AdagradOptions options = {}, OptimizerOptions common = {});
    std::string class_name() const override { return "Adagrad"; }
    const AdagradOptions& adagrad_options() const { return options_; }

protected:
    std::vector<SlotSpec> slot_specs() const override;
    void update_step(const UpdateStep& step) const override;
    nlohmann::json own_config() const override;

private:
    AdagradOptions options_;
};

}  // namespace kiln::optim
