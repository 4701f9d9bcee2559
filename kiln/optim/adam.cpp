// Adam: argument checks and the fused moment / AMSGrad / step kernel.
#include "kiln/optim/adam.hpp"

#include <algorithm>
#include <cmath>

#include "kiln/optim/detail/config.hpp"
#include "kiln/optim/detail/kernel.hpp"

namespace kiln::optim {

Adam::Adam(AdamOptions options, OptimizerOptions common)
    : Adam("Adam", "adam", std::move(options), std::move(common)) {}

Adam::Adam(std::string_view cls, std::string_view default_name, AdamOptions options, OptimizerOptions common)
    : Optimizer(cls, default_name, options.learning_rate, std::move(common)), options_(std::move(options)) {
    using detail::require;
    require(options_.beta_1 >= 0.0 && options_.beta_1 < 1.0, cls, "beta_1", "in [0, 1)", options_.beta_1);
    require(options_.beta_2 >= 0.0 && options_.beta_2 < 1.0, cls, "beta_2", "in [0, 1)", options_.beta_2);
    require(options_.epsilon >= 0.0, cls, "epsilon", ">= 0", options_.epsilon);
}

std::vector<Optimizer::SlotSpec> Adam::slot_specs() const {
    // Keras 3 creates momentum and velocity together per variable, then (amsgrad) every velocity_hat.
    std::vector<SlotSpec> specs{{"momentum", 0.0f, false}, {"velocity", 0.0f, true}};
    if (options_.amsgrad) specs.push_back({"velocity_hat", 0.0f, false});
    return specs;
}

void Adam::update_step(const UpdateStep& s) const {
    const auto t = static_cast<double>(s.iteration + 1);
    const auto alpha = static_cast<float>(s.learning_rate * std::sqrt(1.0 - std::pow(options_.beta_2, t)) /
                                          (1.0 - std::pow(options_.beta_1, t)));
    const auto one_minus_beta_1 = static_cast<float>(1.0 - options_.beta_1);
    const auto one_minus_beta_2 = static_cast<float>(1.0 - options_.beta_2);
    const auto epsilon = static_cast<float>(options_.epsilon);
    float* w = s.variable;
    const float* g = s.gradient;
    float* m = s.slots[0];
    float* v = s.slots[1];
    float* v_hat = options_.amsgrad ? s.slots[2] : nullptr;
    detail::for_each_element(s.size, [=](int64_t i) {
        m[i] += (g[i] - m[i]) * one_minus_beta_1;
        v[i] += (g[i] * g[i] - v[i]) * one_minus_beta_2;
        float second = v[i];
        if (v_hat) second = v_hat[i] = std::max(v_hat[i], v[i]);
        w[i] -= m[i] * alpha / (std::sqrt(second) + epsilon);
    });
}

nlohmann::json Adam::own_config() const {
    return {{"beta_1", options_.beta_1},
            {"beta_2", options_.beta_2},
            {"epsilon", options_.epsilon},
            {"amsgrad", options_.amsgrad}};
}

}  // namespace kiln::optim
