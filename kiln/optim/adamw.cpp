// AdamW: Adam under its own Keras names with the default weight decay filled in.
#include "kiln/optim/adamw.hpp"

namespace kiln::optim {

namespace {

OptimizerOptions with_default_decay(OptimizerOptions common) {
    if (!common.weight_decay) common.weight_decay = kAdamWDefaultWeightDecay;
    return common;
}

}  // namespace

AdamW::AdamW(AdamOptions options, OptimizerOptions common)
    : Adam("AdamW", "adamw", std::move(options), with_default_decay(std::move(common))) {}

}  // namespace kiln::optim
