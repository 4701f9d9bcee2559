// ReduceLROnPlateau: lowers the learning rate when a monitored quantity has stopped improving, as
// keras.callbacks.ReduceLROnPlateau.
#pragma once

#include <optional>
#include <string>

#include "kiln/callbacks/callbacks.hpp"
#include "kiln/callbacks/monitor.hpp"

namespace kiln {

// Keras 3 arguments and defaults.
struct ReduceLROnPlateauOptions {
    std::string monitor = "val_loss";
    double factor = 0.1;  // new rate = rate * factor; must be < 1
    int patience = 10;    // epochs without improvement before a reduction
    int verbose = 0;      // 1: print each reduction
    std::string mode = "auto";
    double min_delta = 1e-4;  // an improvement must exceed |min_delta|
    int cooldown = 0;         // epochs after a reduction during which no epoch counts towards patience
    double min_lr = 0.0;      // the rate never goes below it
};

// At each epoch end, compares the monitored value with the best so far. After `patience` epochs without an
// improvement (outside the cooldown), sets the optimizer's rate to max(rate * factor, min_lr) when the rate is
// above min_lr, and starts a cooldown of `cooldown` epochs. Adds the rate the epoch trained with to the logs as
// "learning_rate", as Keras 3 does.
class ReduceLROnPlateau : public Callback {
public:
    // ValueError when factor >= 1 or mode is unknown.
    explicit ReduceLROnPlateau(ReduceLROnPlateauOptions options = {});

    void on_train_begin(const Logs& logs) override;
    void on_epoch_end(int epoch, const Logs& logs) override;
    void add_epoch_logs(int epoch, Logs& logs) override;

    // Epochs without improvement counted so far, and epochs of cooldown left.
    int wait() const { return wait_; }
    int cooldown_counter() const { return cooldown_counter_; }
    bool in_cooldown() const { return cooldown_counter_ > 0; }

private:
    ReduceLROnPlateauOptions o_;
    MonitoredQuantity monitor_;
    int wait_ = 0;
    int cooldown_counter_ = 0;
    std::optional<double> best_;  // none until the first epoch end: then the monitor's worst()
};

}  // namespace kiln
