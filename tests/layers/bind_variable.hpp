// Test support for layer gradient checks: lets check_gradients perturb a layer's variable as one of its inputs.
#pragma once

#include <vector>

#include <kiln/kiln.hpp>

namespace kiln::testing {

// Copies `t` into `v` and records v's value as the identity of `t` on the alive tapes. A gradient check over `t`
// then sees exactly the gradient the tape computes for the variable through the layer's call.
inline void bind_variable(const Variable& v, const Tensor& t) {
    v.assign(t);
    autograd::record("bind_variable", {t}, v.value(),
                     [](const Tensor& g, const std::vector<bool>&) { return std::vector<Tensor>{g}; });
}

}  // namespace kiln::testing
