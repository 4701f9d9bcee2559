// LearningRateScheduler: sets the optimizer's learning rate at each epoch from a schedule function, as
// keras.callbacks.LearningRateScheduler.
#pragma once

#include <functional>

#include "kiln/callbacks/callbacks.hpp"

namespace kiln {

// The learning rate for `epoch` (0-based) given the current one.
using EpochSchedule = std::function<double(int epoch, double learning_rate)>;

struct LearningRateSchedulerOptions {
    EpochSchedule schedule{};
    int verbose = 0;  // 1: print the rate set at each epoch
};

// At each epoch begin, replaces the optimizer's learning rate by schedule(epoch, current rate); at each epoch end
// adds the rate in use to the logs as "learning_rate", as Keras 3 does.
class LearningRateScheduler : public Callback {
public:
    // ValueError when the schedule is empty.
    explicit LearningRateScheduler(LearningRateSchedulerOptions options);
    explicit LearningRateScheduler(EpochSchedule schedule, int verbose = 0);

    void on_epoch_begin(int epoch, const Logs& logs) override;
    void add_epoch_logs(int epoch, Logs& logs) override;

private:
    LearningRateSchedulerOptions o_;
};

}  // namespace kiln
