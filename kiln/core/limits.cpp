#include "kiln/core/limits.hpp"

#include <atomic>

#include "kiln/core/errors.hpp"

namespace kiln {
namespace {

std::atomic<int64_t> max_variable_elements_{int64_t{1} << 31};
thread_local const detail::LoadingBudget* active_budget = nullptr;

}  // namespace

int64_t max_variable_elements() { return max_variable_elements_; }

void set_max_variable_elements(int64_t n) {
    if (n <= 0) throw ValueError(cat("set_max_variable_elements: the limit must be positive, got ", n));
    max_variable_elements_ = n;
}

namespace detail {

LoadingBudget::LoadingBudget(std::string what) : what_(std::move(what)), outer_(active_budget) {
    active_budget = this;
}

LoadingBudget::~LoadingBudget() { active_budget = outer_; }

void LoadingBudget::check(int64_t floats) {
    if (active_budget == nullptr || floats <= max_variable_elements()) return;
    throw MemoryError(cat(active_budget->what_, ": a tensor of ", floats, " elements, more than the limit of ",
                          max_variable_elements(), " while loading (raise it with kiln::set_max_variable_elements)"));
}

}  // namespace detail
}  // namespace kiln
