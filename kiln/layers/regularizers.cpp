// Regularizers: the L1/L2 penalties built from kiln ops, and the Keras name registry.
#include "kiln/layers/regularizers.hpp"

#include <cmath>

#include "kiln/core/errors.hpp"
#include "kiln/core/ops.hpp"
#include "kiln/core/detail/registry.hpp"

namespace kiln {

namespace {

// `value` when it is a finite number >= 0; otherwise ValueError naming the class and the argument.
double checked_factor(const char* cls, const char* name, double value) {
    if (!(std::isfinite(value) && value >= 0.0))
        throw ValueError(cat(cls, ": ", name, " must be a finite number >= 0, got ", name, "=", value));
    return value;
}

// l1 * sum(|w|) + l2 * sum(w^2), leaving out zero-factor terms (a constant 0 when both are zero).
Tensor penalty(const Tensor& w, double l1, double l2) {
    Tensor total = Tensor::scalar(0.0f);
    if (l1 != 0.0) total = add(total, mul(sum(abs(w)), static_cast<float>(l1)));
    if (l2 != 0.0) total = add(total, mul(sum(square(w)), static_cast<float>(l2)));
    return total;
}

}  // namespace

L1::L1(double l1) : l1_(checked_factor("L1", "l1", l1)) {}
Tensor L1::operator()(const Tensor& weight) const { return penalty(weight, l1_, 0.0); }

L2::L2(double l2) : l2_(checked_factor("L2", "l2", l2)) {}
Tensor L2::operator()(const Tensor& weight) const { return penalty(weight, 0.0, l2_); }

L1L2::L1L2(double l1, double l2) : l1_(checked_factor("L1L2", "l1", l1)), l2_(checked_factor("L1L2", "l2", l2)) {}
Tensor L1L2::operator()(const Tensor& weight) const { return penalty(weight, l1_, l2_); }

namespace regularizers {

namespace {

using detail::ConfigReader;

const detail::Registry<Regularizer>& registry() {
    static const detail::Registry<Regularizer> instance(
        "regularizer", "keras.regularizers",
        {
            {"L1",
             {"l1"},
             [](ConfigReader& r) -> RegularizerPtr { return std::make_shared<L1>(r.number("l1", 0.01)); }},
            {"L2",
             {"l2"},
             [](ConfigReader& r) -> RegularizerPtr { return std::make_shared<L2>(r.number("l2", 0.01)); }},
            {"L1L2",
             {"l1_l2"},
             [](ConfigReader& r) -> RegularizerPtr {
                 return std::make_shared<L1L2>(r.number("l1", 0.0), r.number("l2", 0.0));
             }},
        });
    return instance;
}

}  // namespace

RegularizerPtr get(std::string_view name) { return registry().get(name); }
RegularizerPtr deserialize(const nlohmann::json& j) { return registry().deserialize(j); }
nlohmann::json serialize(const Regularizer& regularizer) { return registry().serialize(regularizer); }

}  // namespace regularizers

}  // namespace kiln
