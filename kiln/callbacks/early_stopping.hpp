// EarlyStopping: ends fit() when a monitored quantity has stopped improving, as keras.callbacks.EarlyStopping.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kiln/core/tensor.hpp"
#include "kiln/callbacks/callbacks.hpp"
#include "kiln/callbacks/monitor.hpp"

namespace kiln {

// Keras 3 arguments and defaults.
struct EarlyStoppingOptions {
    std::string monitor = "val_loss";
    double min_delta = 0.0;  // an improvement must exceed |min_delta|
    int patience = 0;        // epochs without improvement before stopping
    int verbose = 0;         // 1: print when stopping and when restoring weights
    std::string mode = "auto";
    std::optional<double> baseline{};  // the patience counter restarts only on epochs that beat it
    bool restore_best_weights = false;  // at the end of training, put back the weights of the best epoch
    int start_from_epoch = 0;           // epochs before this one are not monitored
};

// At each epoch end (from start_from_epoch on), compares the monitored value with the best so far; once `patience`
// epochs (at least one) have passed without an improvement it calls set_stop_training(true), never at epoch 0. With
// restore_best_weights, on_train_end puts back the weights of the best epoch, whether or not training stopped
// early (the first monitored epoch's weights when none improved).
class EarlyStopping : public Callback {
public:
    explicit EarlyStopping(EarlyStoppingOptions options = {});

    void on_train_begin(const Logs& logs) override;
    void on_epoch_end(int epoch, const Logs& logs) override;
    void on_train_end(const Logs& logs) override;

    // The epoch at which training was stopped (0 when it was not).
    int stopped_epoch() const { return stopped_epoch_; }
    // The best monitored value so far (none before the first monitored epoch).
    std::optional<double> best() const { return best_; }
    // The epoch of best(), and epochs since the last counted improvement.
    int best_epoch() const { return best_epoch_; }
    int wait() const { return wait_; }

private:
    EarlyStoppingOptions o_;
    MonitoredQuantity monitor_;
    int wait_ = 0;
    int stopped_epoch_ = 0;
    int best_epoch_ = 0;
    std::optional<double> best_;
    std::optional<std::vector<Tensor>> best_weights_;
};

}  // namespace kiln
