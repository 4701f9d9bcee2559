// The monitored quantity that EarlyStopping and ReduceLROnPlateau share (as Keras 3's MonitorCallback): a name in
// the epoch logs, a direction ("min", "max", or "auto": inferred from the name or the compiled metric it names)
// and a min_delta an improvement has to exceed.
#pragma once

#include <optional>
#include <string>

#include "kiln/callbacks/callbacks.hpp"

namespace kiln {

class MonitoredQuantity {
public:
    // `owner` (the callback's class name) prefixes messages; mode must be "auto", "min" or "max" (ValueError).
    MonitoredQuantity(std::string owner, std::string monitor, std::string mode, double min_delta);

    // Fixes the direction on first call, as Keras does at the first epoch end: the mode, or for "auto" "min" on a
    // loss, the direction of the model's compiled metric of that name, else of the name itself ("acc", "auc",
    // "precision", "recall", ... up; "error", "crossentropy", ... down). ValueError when "auto" cannot tell.
    void resolve(const Model* model);
    // The monitored value in `logs`; when it is missing, nullopt after a warning to stderr (once per instance)
    // that lists the keys logged.
    std::optional<double> value(const Logs& logs);
    // Whether `current` beats `reference` by more than min_delta in the monitored direction (true without one).
    bool is_improvement(double current, std::optional<double> reference) const;
    // The starting best: +inf when minimizing, -inf when maximizing.
    double worst() const;

    const std::string& monitor() const { return monitor_; }
    // The resolved direction (false before resolve() in "auto" mode).
    bool maximize() const { return maximize_.value_or(false); }

private:
    std::string owner_;
    std::string monitor_;
    std::string mode_;
    double min_delta_;
    std::optional<bool> maximize_;
    bool warned_missing_ = false;
};

}  // namespace kiln
