#include "kiln/core/ops/compare.hpp"

#include "kiln/core/detail/kernels.hpp"
#include "kiln/core/ops/elementwise.hpp"
#include "kiln/core/tape.hpp"

namespace kiln {

Tensor equal(const Tensor& a, const Tensor& b) {
    return detail::map_binary(a, b, "equal", [](float x, float y) { return x == y ? 1.0f : 0.0f; });
}
Tensor not_equal(const Tensor& a, const Tensor& b) {
    return detail::map_binary(a, b, "not_equal", [](float x, float y) { return x != y ? 1.0f : 0.0f; });
}
Tensor less(const Tensor& a, const Tensor& b) {
    return detail::map_binary(a, b, "less", [](float x, float y) { return x < y ? 1.0f : 0.0f; });
}
Tensor less_equal(const Tensor& a, const Tensor& b) {
    return detail::map_binary(a, b, "less_equal", [](float x, float y) { return x <= y ? 1.0f : 0.0f; });
}
Tensor greater(const Tensor& a, const Tensor& b) {
    return detail::map_binary(a, b, "greater", [](float x, float y) { return x > y ? 1.0f : 0.0f; });
}
Tensor greater_equal(const Tensor& a, const Tensor& b) {
    return detail::map_binary(a, b, "greater_equal", [](float x, float y) { return x >= y ? 1.0f : 0.0f; });
}

Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
    Tensor out = detail::map_ternary(condition, a, b, "where",
                                     [](float c, float x, float y) { return c != 0.0f ? x : y; });
    if (autograd::is_recording())
        autograd::record("where", {condition, a, b}, out,
                         [condition, as = a.shape(), bs = b.shape()](const Tensor& g, const std::vector<bool>& needs) {
                             std::vector<Tensor> grads(3);
                             const Tensor zero = Tensor::scalar(0.0f);
                             if (needs[1]) grads[1] = sum_to_shape(where(condition, g, zero), as);
                             if (needs[2]) grads[2] = sum_to_shape(where(condition, zero, g), bs);
                             if (needs[0]) grads[0] = Tensor::zeros(condition.shape());
                             return grads;
                         });
    return out;
}

}  // namespace kiln
