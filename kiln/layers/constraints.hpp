// Constraints: projections applied to weights after each optimizer step, as keras.constraints (Keras 3 names,
// defaults, formulas and configs). A constraint returns a new tensor and records nothing on any GradientTape.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiln/core/tensor.hpp"

namespace kiln {

// Base of every constraint: a stateless projection of a weight, with a Keras config.
class Constraint {
public:
    virtual ~Constraint() = default;
    // The projected weight, a new tensor of w's shape; not recorded on a tape.
    virtual Tensor operator()(const Tensor& w) const = 0;
    // The Keras 3 class name, e.g. "MaxNorm".
    virtual std::string class_name() const = 0;
    // The Keras 3 config dict; {} by default.
    virtual nlohmann::json get_config() const { return nlohmann::json::object(); }
};

using ConstraintPtr = std::shared_ptr<const Constraint>;

// The `axis` argument of the norm constraints, Keras's int-or-list: one axis (`axis = 0`, written to configs as an
// integer) or a list (`axis = {0, 1, 2}`, written as a list). Norms are taken over these axes; negative axes
// count from the end of the weight's shape.
class NormAxis {
public:
    // One axis; implicit so that options read `.axis = 1`.
    NormAxis(int64_t axis) : axes_{axis}, is_list_(false) {}
    // A list of axes; implicit so that options read `.axis = {0, 1}`.
    NormAxis(std::initializer_list<int64_t> axes) : axes_(axes), is_list_(true) {}
    explicit NormAxis(std::vector<int64_t> axes) : axes_(std::move(axes)), is_list_(true) {}

    const std::vector<int64_t>& axes() const { return axes_; }
    bool is_list() const { return is_list_; }
    // The config value: an integer or a list of integers.
    nlohmann::json to_json() const { return is_list_ ? nlohmann::json(axes_) : nlohmann::json(axes_[0]); }

private:
    std::vector<int64_t> axes_;
    bool is_list_;
};

// max(w, 0).
class NonNeg : public Constraint {
public:
    Tensor operator()(const Tensor& w) const override;
    std::string class_name() const override { return "NonNeg"; }
};

// Arguments of MaxNorm.
struct MaxNormOptions {
    double max_value = 2.0;  // must be >= 0
    NormAxis axis = 0;
};

// w * clip(norm, 0, max_value) / (epsilon + norm), norm the L2 norm over `axis` (epsilon = 1e-7, as Keras).
class MaxNorm : public Constraint {
public:
    explicit MaxNorm(MaxNormOptions options = {});
    Tensor operator()(const Tensor& w) const override;
    std::string class_name() const override { return "MaxNorm"; }
    nlohmann::json get_config() const override;
    const MaxNormOptions& options() const { return options_; }

private:
    MaxNormOptions options_;
};

// Arguments of MinMaxNorm.
struct MinMaxNormOptions {
    double min_value = 0.0;  // must be <= max_value
    double max_value = 1.0;
    double rate = 1.0;  // 1: project exactly; below 1: move part of the way
    NormAxis axis = 0;
};

// w * desired / (epsilon + norm) with desired = rate * clip(norm, min_value, max_value) + (1 - rate) * norm.
class MinMaxNorm : public Constraint {
public:
    explicit MinMaxNorm(MinMaxNormOptions options = {});
    Tensor operator()(const Tensor& w) const override;
    std::string class_name() const override { return "MinMaxNorm"; }
    nlohmann::json get_config() const override;
    const MinMaxNormOptions& options() const { return options_; }

private:
    MinMaxNormOptions options_;
};

// w / (epsilon + norm): unit L2 norm over `axis`.
class UnitNorm : public Constraint {
public:
    explicit UnitNorm(NormAxis axis = 0);
    Tensor operator()(const Tensor& w) const override;
    std::string class_name() const override { return "UnitNorm"; }
    nlohmann::json get_config() const override { return {{"axis", axis_.to_json()}}; }
    const NormAxis& axis() const { return axis_; }

private:
    NormAxis axis_;
};

namespace constraints {

// A default-configured constraint by Keras name: "non_neg", "max_norm", "min_max_norm", "unit_norm" or a class
// name ("MaxNorm"). Throws ValueError when unknown.
ConstraintPtr get(std::string_view name);

// From a name string, a Keras 3 dict {"module": "keras.constraints", "class_name", "config", "registered_name"}
// or a legacy Keras 2 dict {"class_name", "config"}. Throws ValueError on unknown names or config keys.
ConstraintPtr deserialize(const nlohmann::json& j);

// The Keras 3 dict form of `constraint`.
nlohmann::json serialize(const Constraint& constraint);

}  // namespace constraints

}  // namespace kiln
