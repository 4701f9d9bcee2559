// The one finite-difference gradient checker used for every differentiable op and layer.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include <kiln/kiln.hpp>

namespace kiln::testing {

struct GradCheckOptions {
    float eps = 1e-3f;    // central-difference step
    float rtol = 2e-2f;   // relative tolerance against the numerical gradient
    float atol = 2e-3f;   // absolute tolerance
    uint64_t seed = 7;    // for the random weighting of the outputs
};

using OpFn = std::function<Tensor(const std::vector<Tensor>&)>;

// Checks the tape gradients of L = sum(f(inputs) * W), W a fixed random tensor, with respect to every input
// against central differences of L computed in double precision. Inputs are perturbed in place on copies.
// Fails the current doctest case (with the op's name, the input and the element) on any mismatch.
void check_gradients(const char* name, const OpFn& f, const std::vector<Tensor>& inputs,
                     const GradCheckOptions& options = {});

// Random inputs for gradient checks: values in [lo, hi) (kept away from kinks by choosing the range).
Tensor random_input(const Shape& shape, uint64_t seed, float lo = -1.0f, float hi = 1.0f);

}  // namespace kiln::testing
