// Internal: what compile() sets up and fit/evaluate use, owned by the model (ModelLayer::training_state).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kiln/layers/losses.hpp"
#include "kiln/layers/metrics.hpp"
#include "kiln/models/model.hpp"
#include "kiln/optim/optimizer.hpp"

namespace kiln {

// One output of the model as compile() set it up.
struct OutputHead {
    std::string name;                 // the output's name (Model::output_names)
    losses::LossPtr loss;             // null: this output has no loss
    double loss_weight = 1.0;
    // The output's unweighted loss, "<name>_loss", tracked when the model has more than one loss (as Keras 3).
    std::shared_ptr<metrics::Mean> loss_tracker;
    std::vector<MetricArg> requested_metrics;
    // Resolved at the first batch, when the shapes that decide what "accuracy" means are known.
    std::vector<metrics::MetricPtr> metrics;
};

struct TrainingState {
    std::shared_ptr<optim::Optimizer> optimizer;
    std::vector<OutputHead> heads;  // one per output, in output order
    // As given to compile(), for the compile config.
    LossesArg requested_loss;
    LossWeightsArg requested_loss_weights;
    MetricsArg requested_metrics;
    bool metrics_resolved = false;
    std::shared_ptr<metrics::Mean> loss_tracker;  // "loss": the weighted total with the regularization penalties
    // Every layer's trainable flag at compile() time (the model itself first).
    std::vector<std::pair<Layer*, bool>> compiled_trainable;
    bool warned_trainable_changed = false;
    bool stop_training = false;
};

// The compiled metrics with the names the logs give them ("<output>_<metric>" with several outputs; "_1", "_2"
// for repeated names); before the first batch, only the metrics given as objects (names are resolved later).
std::vector<std::pair<std::string, metrics::MetricPtr>> logged_metrics(const TrainingState& state);

// 'a', 'b': names for error messages.
std::string quoted_names(const std::vector<std::string>& names);
// Several outputs (or inputs) can share a name (an output listed twice, a shared layer, a nested model's
// outputs); `what` (e.g. "compile: the loss map") cannot address them by name: ValueError naming the repeat.
void require_unique_names(const std::vector<std::string>& names, const std::string& what);

}  // namespace kiln
