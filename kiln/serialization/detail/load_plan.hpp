// LoadPlan: strict, all-or-nothing loading of weights from a file. The readers match every file entry against
// the model first, recording each missing, unexpected, wrong-shaped or unreadable weight; commit() then raises one
// ValueError listing them all, or, when there are none, assigns every value. A model is never half-loaded.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "kiln/core/tensor.hpp"
#include "kiln/core/variable.hpp"
#include "kiln/optim/optimizer.hpp"
#include "kiln/serialization/detail/h5read/reader.hpp"

namespace kiln::serialization::detail {

class LoadPlan {
public:
    // `what` opens the error message, e.g. "load_weights: 'model.weights.h5' does not fit Sequential 'seq'".
    explicit LoadPlan(std::string what) : what_(std::move(what)) {}

    // A model variable the file lacks, expected at `where`.
    void missing(const std::string& where, const Variable& variable);
    // A model variable, or an optimizer variable named `name`, the file lacks.
    void missing(const std::string& where, const std::string& name, const Shape& shape);
    // The dataset at `relative` below `group`, which no variable takes.
    void unexpected(const h5read::Group& group, const std::string& relative);
    // Anything else that does not fit, in words.
    void problem(std::string text);

    // The values of `data` when it holds numbers of `shape`; otherwise records the problem (naming `name`, the
    // variable) and returns an undefined tensor.
    Tensor read(const h5read::Dataset& data, const std::string& name, const Shape& shape);
    // read() into `variable` at commit().
    void assign(const h5read::Dataset& data, const Variable& variable);
    // Optimizer state to restore at commit() (before the variables: set_variables() checks its values itself
    // and changes nothing when it refuses them).
    void restore(optim::Optimizer& optimizer, std::vector<std::pair<std::string, Tensor>> state);

    bool ok() const { return problems_.empty(); }
    // Throws ValueError listing every problem, or assigns everything.
    void commit();

private:
    std::string what_;
    std::vector<std::string> problems_;
    std::vector<std::pair<Variable, Tensor>> assignments_;
    optim::Optimizer* optimizer_ = nullptr;
    std::vector<std::pair<std::string, Tensor>> optimizer_state_;
};

}  // namespace kiln::serialization::detail
