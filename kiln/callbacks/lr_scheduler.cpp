#include "kiln/callbacks/lr_scheduler.hpp"

#include <iostream>

#include "kiln/core/errors.hpp"
#include "kiln/callbacks/format.hpp"
#include "kiln/models/model.hpp"

namespace kiln {

LearningRateScheduler::LearningRateScheduler(LearningRateSchedulerOptions options) : o_(std::move(options)) {
    if (!o_.schedule) throw ValueError("LearningRateScheduler: the schedule function is empty");
}

LearningRateScheduler::LearningRateScheduler(EpochSchedule schedule, int verbose)
    : LearningRateScheduler(LearningRateSchedulerOptions{.schedule = std::move(schedule), .verbose = verbose}) {}

void LearningRateScheduler::on_epoch_begin(int epoch, const Logs&) {
    optim::Optimizer& optimizer = model()->optimizer();
    const double learning_rate = o_.schedule(epoch, optimizer.learning_rate());
    optimizer.set_learning_rate(learning_rate);
    if (o_.verbose > 0)
        std::cout << "\nEpoch " << epoch + 1 << ": LearningRateScheduler setting learning rate to "
                  << python_float(learning_rate) << ".\n";
}

void LearningRateScheduler::add_epoch_logs(int, Logs& logs) { logs["learning_rate"] = model()->optimizer().learning_rate(); }

}  // namespace kiln
