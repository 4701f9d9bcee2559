#include "kiln/core/ops/special.hpp"

#include <cmath>
#include <numbers>

#include "kiln/core/detail/kernels.hpp"
#include "kiln/core/ops/elementwise.hpp"
#include "kiln/core/tape.hpp"

namespace kiln {

Tensor erf(const Tensor& x) {
    Tensor out = detail::map_unary(x, [](float v) { return std::erf(v); });
    if (autograd::is_recording())
        autograd::record("erf", {x}, out, [x](const Tensor& g, const std::vector<bool>&) {
            const float scale = static_cast<float>(2.0 / std::sqrt(std::numbers::pi));
            return std::vector<Tensor>{mul(g, mul(exp(neg(square(x))), scale))};
        });
    return out;
}

}  // namespace kiln
