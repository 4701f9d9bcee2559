#include "kiln/core/variable.hpp"

#include <cstring>

#include "kiln/core/errors.hpp"
#include "kiln/core/tape.hpp"

namespace kiln {

struct Variable::State {
    std::string name;
    Tensor value;
    Constraint constraint;
};

Variable::Variable(std::string name, const Tensor& initial_value, bool trainable)
    : state_(std::make_shared<State>()) {
    if (!initial_value.defined()) throw ValueError(cat("Variable '", name, "': the initial value is undefined"));
    state_->name = std::move(name);
    state_->value = stop_gradient(initial_value).copy();
    state_->value.impl()->watched_by_default = trainable;
}

const Variable::State& Variable::state(const char* what) const {
    if (!state_) throw StateError(cat(what, ": the variable is undefined (default-constructed)"));
    return *state_;
}

const std::string& Variable::name() const { return state("Variable::name").name; }
const Tensor& Variable::value() const { return state("Variable::value").value; }
bool Variable::trainable() const { return state("Variable::trainable").value.impl()->watched_by_default; }
void Variable::set_trainable(bool trainable) const {
    state("Variable::set_trainable").value.impl()->watched_by_default = trainable;
}

void Variable::check_same_shape(const Tensor& v, const char* op) const {
    const Shape& own = state(op).value.shape();
    if (!v.defined()) throw ValueError(cat(op, ": variable '", name(), "' was given an undefined tensor"));
    if (v.shape() != own)
        throw ShapeError(cat(op, ": variable '", name(), "' has shape ", own, ", the value has shape ", v.shape()));
}

void Variable::assign(const Tensor& v) const {
    check_same_shape(v, "assign");
    Tensor& own = state_->value;
    if (v.shares_storage_with(own) && v.data() == own.data()) return;
    std::memmove(own.data(), v.data(), v.size() * sizeof(float));
}

void Variable::assign_add(const Tensor& v) const {
    check_same_shape(v, "assign_add");
    float* dst = state_->value.data();
    const float* src = v.data();
    for (int64_t i = 0; i < v.size(); ++i) dst[i] += src[i];
}

void Variable::assign_sub(const Tensor& v) const {
    check_same_shape(v, "assign_sub");
    float* dst = state_->value.data();
    const float* src = v.data();
    for (int64_t i = 0; i < v.size(); ++i) dst[i] -= src[i];
}

void Variable::set_constraint(Constraint constraint) const {
    state("Variable::set_constraint");
    state_->constraint = std::move(constraint);
}
bool Variable::has_constraint() const { return static_cast<bool>(state("Variable::has_constraint").constraint); }

void Variable::apply_constraint() const {
    const State& s = state("Variable::apply_constraint");
    if (!s.constraint) return;
    assign(s.constraint(stop_gradient(s.value)));
}

}  // namespace kiln
