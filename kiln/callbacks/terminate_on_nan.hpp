// TerminateOnNaN: ends fit() when a training batch's loss is NaN or infinite, as keras.callbacks.TerminateOnNaN.
#pragma once

#include "kiln/callbacks/callbacks.hpp"

namespace kiln {

// On a batch whose logged "loss" is NaN or +-inf, prints "Batch <batch>: Invalid loss, terminating training" and
// calls set_stop_training(true).
class TerminateOnNaN : public Callback {
public:
    void on_train_batch_end(int64_t batch, const Logs& logs) override;
};

}  // namespace kiln
