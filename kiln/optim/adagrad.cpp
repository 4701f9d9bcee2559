// Adagrad: argument checks and the accumulate-and-scale kernel.
#include "kiln/optim/adagrad.hpp"

#include <cmath>

#include "kiln/optim/detail/config.hpp"
#include "kiln/optim/detail/kernel.hpp"

namespace kiln::optim {

Adagrad::Adagrad(AdagradOptions options, OptimizerOptions common)
    : Optimizer("Adagrad", "adagrad", options.learning_rate, std::move(common)), options_(std::move(options)) {
    detail::require(options_.initial_accumulator_value >= 0.0, "Adagrad", "initial_accumulator_value", ">= 0",
                    options_.initial_accumulator_value);
    detail::require(options_.epsilon >= 0.0, "Adagrad", "epsilon", ">= 0", options_.epsilon);
}

std::vector<Optimizer::SlotSpec> Adagrad::slot_specs() const {
    return {{"accumulator", static_cast<float>(options_.initial_accumulator_value), false}};
}

void Adagrad::update_step(const UpdateStep& s) const {
    const auto epsilon = static_cast<float>(options_.epsilon);
    const float lr = s.learning_rate;
    float* w = s.variable;
    const float* g = s.gradient;
    float* acc = s.slots[0];
    detail::for_each_element(s.size, [=](int64_t i) {
        acc[i] += g[i] * g[i];
        w[i] -= lr * g[i] / std::sqrt(acc[i] + epsilon);
    });
}

nlohmann::json Adagrad::own_config() const {
    return {{"initial_accumulator_value", options_.initial_accumulator_value}, {"epsilon", options_.epsilon}};
}

}  // namespace kiln::optim
