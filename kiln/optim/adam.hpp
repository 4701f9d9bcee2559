// Adam: adaptive moment estimation with optional AMSGrad, as keras.optimizers.Adam (AdamW derives from it).
#pragma once

#include <string_view>

#include "kiln/optim/optimizer.hpp"

namespace kiln::optim {

// Arguments of Adam and AdamW besides the common OptimizerOptions.
struct AdamOptions {
    LearningRate learning_rate{0.001};
    double beta_1{0.9};    // in [0, 1)
    double beta_2{0.999};  // in [0, 1)
    double epsilon{1e-7};  // >= 0; added to sqrt(v), Keras's "epsilon hat"
    bool amsgrad{false};
};

// Slots "momentum" (m), "velocity" (v) and with amsgrad "velocity_hat" (v_hat). With t = iterations + 1, Keras 3
// folds the bias correction into the step size instead of correcting the moments:
//   alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
//   m += (g - m) * (1 - beta_1);  v += (g^2 - v) * (1 - beta_2)
//   amsgrad: v_hat = max(v_hat, v), and v_hat replaces v below
//   w -= m * alpha / (sqrt(v) + epsilon)
class Adam : public Optimizer {
public:
    explicit Adam(AdamOptions options = {}, OptimizerOptions common = {});
    std::string class_name() const override { return "Adam"; }
    const AdamOptions& adam_options() const { return options_; }

protected:
    // For AdamW: the class name and default name differ, the rule is the same.
    Adam(std::string_view cls, std::string_view default_name, AdamOptions options, OptimizerOptions common);
    std::vector<SlotSpec> slot_specs() const override;
    void update_step(const UpdateStep& step) const override;
    nlohmann::json own_config() const override;

private:
    AdamOptions options_;
};

}  // namespace kiln::optim
