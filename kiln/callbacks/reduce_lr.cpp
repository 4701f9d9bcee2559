#include "kiln/callbacks/reduce_lr.hpp"

#include <algorithm>
#include <iostream>

#include "kiln/core/errors.hpp"
#include "kiln/callbacks/format.hpp"
#include "kiln/models/model.hpp"

namespace kiln {

ReduceLROnPlateau::ReduceLROnPlateau(ReduceLROnPlateauOptions options)
    : o_(std::move(options)), monitor_("ReduceLROnPlateau", o_.monitor, o_.mode, o_.min_delta) {
    if (!(o_.factor < 1.0))
        throw ValueError(cat("ReduceLROnPlateau: factor must be < 1, got ", o_.factor));
}

void ReduceLROnPlateau::on_train_begin(const Logs&) {
    wait_ = 0;
    cooldown_counter_ = 0;
    best_.reset();
}

void ReduceLROnPlateau::add_epoch_logs(int, Logs& logs) { logs["learning_rate"] = model()->optimizer().learning_rate(); }

void ReduceLROnPlateau::on_epoch_end(int epoch, const Logs& logs) {
    monitor_.resolve(model());
    if (!best_) best_ = monitor_.worst();
    const std::optional<double> current = monitor_.value(logs);
    if (!current) return;
    if (in_cooldown()) {
        --cooldown_counter_;
        wait_ = 0;
    }
    if (monitor_.is_improvement(*current, best_)) {
        best_ = current;
        wait_ = 0;
        return;
    }
    if (in_cooldown() || ++wait_ < o_.patience) return;
    optim::Optimizer& optimizer = model()->optimizer();
    const double old_lr = optimizer.learning_rate();
    if (old_lr <= o_.min_lr) return;
    const double new_lr = std::max(old_lr * o_.factor, o_.min_lr);
    optimizer.set_learning_rate(new_lr);
    if (o_.verbose > 0)
        std::cout << "\nEpoch " << epoch + 1 << ": ReduceLROnPlateau reducing learning rate to "
                  << python_float(new_lr) << ".\n";
    cooldown_counter_ = o_.cooldown;
    wait_ = 0;
}

}  // namespace kiln
