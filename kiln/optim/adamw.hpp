// AdamW: Adam with decoupled weight decay on by default, as keras.optimizers.AdamW.
#pragma once

#include "kiln/optim/adam.hpp"

namespace kiln::optim {

// Keras's default weight decay of AdamW.
inline constexpr double kAdamWDefaultWeightDecay = 0.004;

// Adam's rule after the base class's decoupled decay w -= w * weight_decay * lr, which never enters the moments.
// common.weight_decay left empty means 0.004.
class AdamW : public Adam {
public:
    explicit AdamW(AdamOptions options = {}, OptimizerOptions common = {});
    std::string class_name() const override { return "AdamW"; }
};

}  // namespace kiln::optim
