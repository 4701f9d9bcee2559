// RMSprop: argument checks and the fused velocity / centering / momentum kernel.
#include "kiln/optim/rmsprop.hpp"

#include <cmath>

#include "kiln/optim/detail/config.hpp"
#include "kiln/optim/detail/kernel.hpp"

namespace kiln::optim {

RMSprop::RMSprop(RMSpropOptions options, OptimizerOptions common)
    : Optimizer("RMSprop", "rmsprop", options.learning_rate, std::move(common)), options_(std::move(options)) {
    using detail::require;
    require(options_.rho >= 0.0 && options_.rho <= 1.0, "RMSprop", "rho", "in [0, 1]", options_.rho);
    require(options_.momentum >= 0.0, "RMSprop", "momentum", ">= 0", options_.momentum);
    require(options_.epsilon >= 0.0, "RMSprop", "epsilon", ">= 0", options_.epsilon);
}

std::vector<Optimizer::SlotSpec> RMSprop::slot_specs() const {
    std::vector<SlotSpec> specs{{"velocity", 0.0f, false}};
    if (options_.momentum > 0.0) specs.push_back({"momentum", 0.0f, false});
    if (options_.centered) specs.push_back({"average_gradient", 0.0f, false});
    return specs;
}

void RMSprop::update_step(const UpdateStep& s) const {
    const auto rho = static_cast<float>(options_.rho);
    const auto one_minus_rho = static_cast<float>(1.0 - options_.rho);
    const auto momentum = static_cast<float>(options_.momentum);
    const auto epsilon = static_cast<float>(options_.epsilon);
    const float lr = s.learning_rate;
    float* w = s.variable;
    const float* g = s.gradient;
    float* v = s.slots[0];
    size_t next = 1;
    float* m = options_.momentum > 0.0 ? s.slots[next++] : nullptr;
    float* a = options_.centered ? s.slots[next] : nullptr;
    detail::for_each_element(s.size, [=](int64_t i) {
        v[i] = rho * v[i] + one_minus_rho * g[i] * g[i];
        float d = v[i] + epsilon;
        if (a) {
            a[i] = rho * a[i] + one_minus_rho * g[i];
            d = v[i] - a[i] * a[i] + epsilon;
        }
        const float inc = lr * g[i] / std::sqrt(d);
        if (m) {
            m[i] = momentum * m[i] + inc;
            w[i] -= m[i];
        } else {
            w[i] -= inc;
        }
    });
}

nlohmann::json RMSprop::own_config() const {
    return {{"rho", options_.rho},
            {"momentum", options_.momentum},
            {"epsilon", options_.epsilon},
            {"centered", options_.centered}};
}

}  // namespace kiln::optim
