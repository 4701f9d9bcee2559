// Variable: a named, shaped, mutable tensor owned by a layer or an optimizer. A handle: copies share the state,
// and const applies to the handle (as with std::shared_ptr), so a const Variable can still be assigned.
// The value of a trainable variable is watched by every GradientTape automatically. assign* write in place
// and check the shape; a tape that saved the value for a later gradient() sees the new contents.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "kiln/core/tensor.hpp"

namespace kiln {

class Variable {
public:
    // An undefined variable; defined() is false.
    Variable() = default;
    // A variable named `name` (its path, e.g. "dense/kernel") holding a copy of `initial_value`.
    Variable(std::string name, const Tensor& initial_value, bool trainable = true);

    bool defined() const { return state_ != nullptr; }
    const std::string& name() const;
    const Shape& shape() const { return value().shape(); }
    // The live value: the same tensor (same id) on every call, so tapes can find it.
    const Tensor& value() const;
    operator const Tensor&() const { return value(); }

    bool trainable() const;
    void set_trainable(bool trainable) const;

    // value = v, value += v, value -= v; `v` must have the variable's shape.
    void assign(const Tensor& v) const;
    void assign_add(const Tensor& v) const;
    void assign_sub(const Tensor& v) const;

    // A projection applied by apply_constraint() after each optimizer update (e.g. non_neg, max_norm).
    using Constraint = std::function<Tensor(const Tensor&)>;
    void set_constraint(Constraint constraint) const;
    bool has_constraint() const;
    // value = constraint(value); does nothing without a constraint.
    void apply_constraint() const;

    // True when both handles refer to the same variable.
    bool same_as(const Variable& other) const { return state_ == other.state_; }

private:
    struct State;
    const State& state(const char* what) const;
    void check_same_shape(const Tensor& v, const char* op) const;

    std::shared_ptr<State> state_;
};

}  // namespace kiln
