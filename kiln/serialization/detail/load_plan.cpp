// Collecting every mismatch between a weights file and a model, then loading all or nothing.
#include "kiln/serialization/detail/load_plan.hpp"

#include "kiln/core/errors.hpp"

namespace kiln::serialization::detail {
namespace {

bool numeric(const std::string& dtype) {
    return dtype.starts_with("float") || dtype.starts_with("int") || dtype.starts_with("uint");
}

}  // namespace

void LoadPlan::missing(const std::string& where, const Variable& variable) {
    missing(where, variable.name(), variable.shape());
}

void LoadPlan::missing(const std::string& where, const std::string& name, const Shape& shape) {
    problem(cat("missing: ", where, " (for '", name, "', shape ", shape, ")"));
}

void LoadPlan::unexpected(const h5read::Group& group, const std::string& relative) {
    const std::optional<h5read::Dataset> data = group.find_dataset(relative);
    if (!data) return problem(cat("unexpected: ", group.path(), "/", relative));
    problem(cat("unexpected: ", data->path(), " (", data->dtype(), ", shape ", data->shape(), ")"));
}

void LoadPlan::problem(std::string text) { problems_.push_back(std::move(text)); }

Tensor LoadPlan::read(const h5read::Dataset& data, const std::string& name, const Shape& shape) {
    const std::string dtype = data.dtype();
    if (!numeric(dtype)) {
        problem(cat("wrong type: ", data.path(), " holds ", dtype, " data (for '", name, "')"));
        return {};
    }
    const Shape stored = data.shape();
    if (stored != shape) {
        problem(cat("wrong shape: ", data.path(), " has shape ", stored, ", '", name, "' has shape ", shape));
        return {};
    }
    return data.read();
}

void LoadPlan::assign(const h5read::Dataset& data, const Variable& variable) {
    Tensor value = read(data, variable.name(), variable.shape());
    if (value.defined()) assignments_.emplace_back(variable, std::move(value));
}

void LoadPlan::restore(optim::Optimizer& optimizer, std::vector<std::pair<std::string, Tensor>> state) {
    optimizer_ = &optimizer;
    optimizer_state_ = std::move(state);
}

void LoadPlan::commit() {
    if (!problems_.empty()) {
        std::string message = what_;
        message += cat(": ", problems_.size(), problems_.size() == 1 ? " problem" : " problems",
                       ", nothing was loaded:");
        for (const std::string& p : problems_) {
            message += "\n  ";
            message += p;
        }
        throw ValueError(message);
    }
    if (optimizer_) optimizer_->set_variables(optimizer_state_);
    for (const auto& [variable, value] : assignments_) variable.assign(value);
}

}  // namespace kiln::serialization::detail
