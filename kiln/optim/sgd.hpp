// SGD: gradient descent with optional (Nesterov) momentum, as keras.optimizers.SGD.
#pragma once

#include "kiln/optim/optimizer.hpp"

namespace kiln::optim {

// Arguments of SGD besides the common OptimizerOptions.
struct SGDOptions {
    LearningRate learning_rate{0.01};
    double momentum{0.0};  // in [0, 1]; 0 keeps no momentum slot
    bool nesterov{false};
};

// Without momentum: w -= lr * g. With momentum (slot "momentum", m):
//   m = momentum * m - lr * g;  w += m  (nesterov: w += momentum * m - lr * g).
class SGD : public Optimizer {
public:
    explicit SGD(SGDOptions options = {}, OptimizerOptions common = {});
    std::string class_name() const override { return "SGD"; }
    const SGDOptions& sgd_options() const { return options_; }

protected:
    std::vector<SlotSpec> slot_specs() const override;
    void update_step(const UpdateStep& step) const override;
    nlohmann::json own_config() const override;

private:
    SGDOptions options_;
};

}  // namespace kiln::optim
