// Internal: what compile() sets up and fit/evaluate use, owned by the model (ModelLayer::training_state).
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "kiln/layers/losses.hpp"
#include "kiln/layers/metrics.hpp"
#include "kiln/models/model.hpp"
#include "kiln/optim/optimizer.hpp"

namespace kiln {

struct TrainingState {
    std::shared_ptr<optim::Optimizer> optimizer;
    losses::LossPtr loss;
    LossArg requested_loss;  // as given to compile(), for the compile config
    std::vector<MetricArg> requested_metrics;
    // Resolved at the first batch, when the shapes that decide what "accuracy" means are known.
    std::vector<metrics::MetricPtr> metrics;
    bool metrics_resolved = false;
    std::shared_ptr<metrics::Mean> loss_tracker;
    // Every layer's trainable flag at compile() time (the model itself first).
    std::vector<std::pair<Layer*, bool>> compiled_trainable;
    bool warned_trainable_changed = false;
    bool stop_training = false;
};

}  // namespace kiln
