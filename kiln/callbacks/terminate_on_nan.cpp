#include "kiln/callbacks/terminate_on_nan.hpp"

#include <cmath>
#include <iostream>

#include "kiln/models/model.hpp"

namespace kiln {

void TerminateOnNaN::on_train_batch_end(int64_t batch, const Logs& logs) {
    auto loss = logs.find("loss");
    if (loss == logs.end() || std::isfinite(loss->second)) return;
    std::cout << "Batch " << batch << ": Invalid loss, terminating training\n";
    model()->set_stop_training(true);
}

}  // namespace kiln
