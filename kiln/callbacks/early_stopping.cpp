#include "kiln/callbacks/early_stopping.hpp"

#include <iostream>

#include "kiln/models/model.hpp"

namespace kiln {

EarlyStopping::EarlyStopping(EarlyStoppingOptions options)
    : o_(std::move(options)), monitor_("EarlyStopping", o_.monitor, o_.mode, o_.min_delta) {}

void EarlyStopping::on_train_begin(const Logs&) {
    wait_ = 0;
    stopped_epoch_ = 0;
    best_epoch_ = 0;
    best_.reset();
    best_weights_.reset();
}

void EarlyStopping::on_epoch_end(int epoch, const Logs& logs) {
    monitor_.resolve(model());
    const std::optional<double> current = monitor_.value(logs);
    if (!current || epoch < o_.start_from_epoch) return;
    if (o_.restore_best_weights && !best_weights_) {
        best_weights_ = model()->get_weights();
        best_epoch_ = epoch;
    }
    ++wait_;
    if (monitor_.is_improvement(*current, best_)) {
        best_ = current;
        best_epoch_ = epoch;
        if (o_.restore_best_weights) best_weights_ = model()->get_weights();
        // The counter restarts only when the epoch beats the baseline too.
        if (!o_.baseline || monitor_.is_improvement(*current, o_.baseline)) wait_ = 0;
        return;
    }
    if (wait_ >= o_.patience && epoch > 0) {
        stopped_epoch_ = epoch;
        model()->set_stop_training(true);
    }
}

void EarlyStopping::on_train_end(const Logs&) {
    if (stopped_epoch_ > 0 && o_.verbose > 0) std::cout << "Epoch " << stopped_epoch_ + 1 << ": early stopping\n";
    if (o_.restore_best_weights && best_weights_) {
        if (o_.verbose > 0)
            std::cout << "Restoring model weights from the end of the best epoch: " << best_epoch_ + 1 << ".\n";
        model()->set_weights(*best_weights_);
    }
}

}  // namespace kiln
