// Constraints: the projections, computed with kiln ops on an untracked alias of the weight (so no tape records
// them), and the Keras name registry.
#include "kiln/layers/constraints.hpp"

#include "kiln/core/errors.hpp"
#include "kiln/core/ops.hpp"
#include "kiln/core/shape.hpp"
#include "kiln/core/tape.hpp"
#include "kiln/core/detail/registry.hpp"

namespace kiln {

namespace {

// keras.backend.epsilon(), added to the norms in the denominators.
constexpr float kEpsilon = 1e-7f;

void check_axis(const char* cls, const NormAxis& axis) {
    if (axis.axes().empty()) throw ValueError(cat(cls, ": axis must not be an empty list"));
}

// L2 norms of `w` over `axis`, with the reduced dimensions kept for broadcasting.
Tensor norms(const Tensor& w, const NormAxis& axis, const char* cls) {
    return sqrt(sum(square(w), normalize_axes(axis.axes(), w.rank(), cls), /*keepdims=*/true));
}

}  // namespace

Tensor NonNeg::operator()(const Tensor& w) const { return relu(stop_gradient(w)); }

MaxNorm::MaxNorm(MaxNormOptions options) : options_(std::move(options)) {
    check_axis("MaxNorm", options_.axis);
    if (!(options_.max_value >= 0.0))
        throw ValueError(cat("MaxNorm: max_value must be >= 0, got max_value=", options_.max_value));
}

Tensor MaxNorm::operator()(const Tensor& w) const {
    const Tensor x = stop_gradient(w);
    const Tensor n = norms(x, options_.axis, "MaxNorm");
    return x * (clip(n, 0.0f, static_cast<float>(options_.max_value)) / (n + kEpsilon));
}

nlohmann::json MaxNorm::get_config() const {
    return {{"max_value", options_.max_value}, {"axis", options_.axis.to_json()}};
}

MinMaxNorm::MinMaxNorm(MinMaxNormOptions options) : options_(std::move(options)) {
    check_axis("MinMaxNorm", options_.axis);
    if (!(options_.min_value <= options_.max_value))
        throw ValueError(cat("MinMaxNorm: min_value must be <= max_value, got min_value=", options_.min_value,
                             " max_value=", options_.max_value));
}

Tensor MinMaxNorm::operator()(const Tensor& w) const {
    const Tensor x = stop_gradient(w);
    const Tensor n = norms(x, options_.axis, "MinMaxNorm");
    const auto rate = static_cast<float>(options_.rate);
    const Tensor clipped = clip(n, static_cast<float>(options_.min_value), static_cast<float>(options_.max_value));
    const Tensor desired = rate * clipped + (1.0f - rate) * n;
    return x * (desired / (n + kEpsilon));
}

nlohmann::json MinMaxNorm::get_config() const {
    return {{"min_value", options_.min_value},
            {"max_value", options_.max_value},
            {"rate", options_.rate},
            {"axis", options_.axis.to_json()}};
}

UnitNorm::UnitNorm(NormAxis axis) : axis_(std::move(axis)) { check_axis("UnitNorm", axis_); }

Tensor UnitNorm::operator()(const Tensor& w) const {
    const Tensor x = stop_gradient(w);
    return x / (norms(x, axis_, "UnitNorm") + kEpsilon);
}

namespace constraints {

namespace {

using detail::ConfigReader;

// The "axis" key: absent gives 0, otherwise an integer or a list of integers.
NormAxis read_axis(ConfigReader& r) {
    const nlohmann::json* v = r.find("axis");
    if (!v) return 0;
    if (!v->is_array()) return r.integer_value("axis", *v);
    std::vector<int64_t> axes;
    for (const nlohmann::json& a : *v) axes.push_back(r.integer_value("axis", a));
    return NormAxis(std::move(axes));
}

const detail::Registry<Constraint>& registry() {
    static const detail::Registry<Constraint> instance(
        "constraint", "keras.constraints",
        {
            {"NonNeg", {"non_neg"}, [](ConfigReader&) -> ConstraintPtr { return std::make_shared<NonNeg>(); }},
            {"MaxNorm",
             {"max_norm"},
             [](ConfigReader& r) -> ConstraintPtr {
                 return std::make_shared<MaxNorm>(MaxNormOptions{r.number("max_value", 2.0), read_axis(r)});
             }},
            {"MinMaxNorm",
             {"min_max_norm"},
             [](ConfigReader& r) -> ConstraintPtr {
                 return std::make_shared<MinMaxNorm>(MinMaxNormOptions{
                     r.number("min_value", 0.0), r.number("max_value", 1.0), r.number("rate", 1.0), read_axis(r)});
             }},
            {"UnitNorm",
             {"unit_norm"},
             [](ConfigReader& r) -> ConstraintPtr { return std::make_shared<UnitNorm>(read_axis(r)); }},
        });
    return instance;
}

}  // namespace

ConstraintPtr get(std::string_view name) { return registry().get(name); }
ConstraintPtr deserialize(const nlohmann::json& j) { return registry().deserialize(j); }
nlohmann::json serialize(const Constraint& constraint) { return registry().serialize(constraint); }

}  // namespace constraints

}  // namespace kiln
