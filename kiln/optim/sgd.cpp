// SGD: argument checks and the momentum / Nesterov update kernels.
#include "kiln/optim/sgd.hpp"

#include "kiln/optim/detail/config.hpp"
#include "kiln/optim/detail/kernel.hpp"

namespace kiln::optim {

SGD::SGD(SGDOptions options, OptimizerOptions common)
    : Optimizer("SGD", "SGD", options.learning_rate, std::move(common)), options_(std::move(options)) {
    detail::require(options_.momentum >= 0.0 && options_.momentum <= 1.0, "SGD", "momentum", "in [0, 1]",
                    options_.momentum);
}

std::vector<Optimizer::SlotSpec> SGD::slot_specs() const {
    if (options_.momentum == 0.0) return {};
    return {{"momentum", 0.0f, false}};
}

void SGD::update_step(const UpdateStep& s) const {
    float* w = s.variable;
    const float* g = s.gradient;
    const float lr = s.learning_rate;
    if (options_.momentum == 0.0) {
        detail::for_each_element(s.size, [=](int64_t i) { w[i] -= g[i] * lr; });
        return;
    }
    float* m = s.slots[0];
    const auto momentum = static_cast<float>(options_.momentum);
    if (options_.nesterov) {
        detail::for_each_element(s.size, [=](int64_t i) {
            m[i] = m[i] * momentum - g[i] * lr;
            w[i] += m[i] * momentum - g[i] * lr;
        });
    } else {
        detail::for_each_element(s.size, [=](int64_t i) {
            m[i] = m[i] * momentum - g[i] * lr;
            w[i] += m[i];
        });
    }
}

nlohmann::json SGD::own_config() const { return {{"momentum", options_.momentum}, {"nesterov", options_.nesterov}}; }

}  // namespace kiln::optim
