#include "kiln/core/ops/elementwise.hpp"

#include <cmath>

#include "kiln/core/detail/kernels.hpp"
#include "kiln/core/errors.hpp"
#include "kiln/core/ops/compare.hpp"
#include "kiln/core/ops/reduce.hpp"
#include "kiln/core/tape.hpp"

namespace kiln {
namespace {

using Grads = std::vector<Tensor>;
using Needs = std::vector<bool>;

// A constant tensor (not recorded) from x, for masks and local derivatives used in backward passes.
template <class F>
Tensor constant_of(const Tensor& x, F f) {
    return detail::map_unary(x, f);
}

}  // namespace

Tensor sum_to_shape(const Tensor& g, const Shape& shape) {
    if (g.shape() == shape) return g;
    const Shape& gs = g.shape();
    if (broadcast_shapes(shape, gs, "sum_to_shape") != gs)
        throw ShapeError(cat("sum_to_shape: ", shape, " does not broadcast to ", gs));
    std::vector<int64_t> axes;
    const int64_t lead = gs.rank() - shape.rank();
    for (int64_t i = 0; i < gs.rank(); ++i)
        if (i < lead || (shape[i - lead] == 1 && gs[i] != 1)) axes.push_back(i);
    Tensor s = axes.empty() ? g : sum(g, axes, true);
    return s.reshape(shape);
}

// ---- binary ----------------------------------------------------------------------------------------------

Tensor add(const Tensor& a, const Tensor& b) {
    Tensor out = detail::map_binary(a, b, "add", [](float x, float y) { return x + y; });
    if (autograd::is_recording())
        autograd::record("add", {a, b}, out, [as = a.shape(), bs = b.shape()](const Tensor& g, const Needs& n) {
            return Grads{n[0] ? sum_to_shape(g, as) : Tensor(), n[1] ? sum_to_shape(g, bs) : Tensor()};
        });
    return out;
}

Tensor sub(const Tensor& a, const Tensor& b) {
    Tensor out = detail::map_binary(a, b, "sub", [](float x, float y) { return x - y; });
    if (autograd::is_recording())
        autograd::record("sub", {a, b}, out, [as = a.shape(), bs = b.shape()](const Tensor& g, const Needs& n) {
            return Grads{n[0] ? sum_to_shape(g, as) : Tensor(), n[1] ? sum_to_shape(neg(g), bs) : Tensor()};
        });
    return out;
}

Tensor mul(const Tensor& a, const Tensor& b) {
    Tensor out = detail::map_binary(a, b, "mul", [](float x, float y) { return x * y; });
    if (autograd::is_recording())
        autograd::record("mul", {a, b}, out, [a, b](const Tensor& g, const Needs& n) {
            return Grads{n[0] ? sum_to_shape(mul(g, b), a.shape()) : Tensor(),
                         n[1] ? sum_to_shape(mul(g, a), b.shape()) : Tensor()};
        });
    return out;
}

Tensor div(const Tensor& a, const Tensor& b) {
    Tensor out = detail::map_binary(a, b, "div", [](float x, float y) { return x / y; });
    if (autograd::is_recording())
        autograd::record("div", {a, b}, out, [a, b](const Tensor& g, const Needs& n) {
            // d(a/b)/db = -a / b^2
            return Grads{n[0] ? sum_to_shape(div(g, b), a.shape()) : Tensor(),
                         n[1] ? sum_to_shape(neg(div(mul(g, a), square(b))), b.shape()) : Tensor()};
        });
    return out;
}

Tensor maximum(const Tensor& a, const Tensor& b) {
    Tensor out = detail::map_binary(a, b, "maximum", [](float x, float y) { return x >= y ? x : y; });
    if (autograd::is_recording())
        autograd::record("maximum", {a, b}, out, [a, b](const Tensor& g, const Needs& n) {
            const Tensor a_wins = greater_equal(a, b);
            return Grads{n[0] ? sum_to_shape(mul(g, a_wins), a.shape()) : Tensor(),
                         n[1] ? sum_to_shape(mul(g, less(a, b)), b.shape()) : Tensor()};
        });
    return out;
}

Tensor minimum(const Tensor& a, const Tensor& b) {
    Tensor out = detail::map_binary(a, b, "minimum", [](float x, float y) { return x <= y ? x : y; });
    if (autograd::is_recording())
        autograd::record("minimum", {a, b}, out, [a, b](const Tensor& g, const Needs& n) {
            const Tensor a_wins = less_equal(a, b);
            return Grads{n[0] ? sum_to_shape(mul(g, a_wins), a.shape()) : Tensor(),
                         n[1] ? sum_to_shape(mul(g, greater(a, b)), b.shape()) : Tensor()};
        });
    return out;
}

// ---- with a float -----------------------------------------------------------------------------------------

Tensor add(const Tensor& x, float s) {
    Tensor out = detail::map_unary(x, [s](float v) { return v + s; });
    if (autograd::is_recording())
        autograd::record("add_scalar", {x}, out, [](const Tensor& g, const Needs&) { return Grads{g}; });
    return out;
}

Tensor mul(const Tensor& x, float s) {
    Tensor out = detail::map_unary(x, [s](float v) { return v * s; });
    if (autograd::is_recording())
        autograd::record("mul_scalar", {x}, out, [s](const Tensor& g, const Needs&) { return Grads{mul(g, s)}; });
    return out;
}

Tensor pow(const Tensor& x, float p) {
    Tensor out = detail::map_unary(x, [p](float v) { return std::pow(v, p); });
    if (autograd::is_recording())
        autograd::record("pow", {x}, out, [x, p](const Tensor& g, const Needs&) {
            return Grads{mul(g, mul(pow(x, p - 1.0f), p))};
        });
    return out;
}

// ---- unary ------------------------------------------------------------------------------------------------

Tensor neg(const Tensor& x) {
    Tensor out = detail::map_unary(x, [](float v) { return -v; });
    if (autograd::is_recording())
        autograd::record("neg", {x}, out, [](const Tensor& g, const Needs&) { return Grads{neg(g)}; });
    return out;
}

Tensor square(const Tensor& x) {
    Tensor out = detail::map_unary(x, [](float v) { return v * v; });
    if (autograd::is_recording())
        autograd::record("square", {x}, out, [x](const Tensor& g, const Needs&) { return Grads{mul(g, mul(x, 2.0f))}; });
    return out;
}

Tensor sqrt(const Tensor& x) {
    Tensor out = detail::map_unary(x, [](float v) { return std::sqrt(v); });
    if (autograd::is_recording())
        autograd::record("sqrt", {x}, out, [out](const Tensor& g, const Needs&) {
            return Grads{div(g, mul(out, 2.0f))};
        });
    return out;
}

Tensor rsqrt(const Tensor& x) {
    Tensor out = detail::map_unary(x, [](float v) { return 1.0f / std::sqrt(v); });
    if (autograd::is_recording())
        autograd::record("rsqrt", {x}, out, [out](const Tensor& g, const Needs&) {
            // d(x^-1/2)/dx = -1/2 x^-3/2 = -1/2 y^3
            return Grads{mul(mul(g, pow(out, 3.0f)), -0.5f)};
        });
    return out;
}

Tensor exp(const Tensor& x) {
    Tensor out = detail::map_unary(x, [](float v) { return std::exp(v); });
    if (autograd::is_recording())
        autograd::record("exp", {x}, out, [out](const Tensor& g, const Needs&) { return Grads{mul(g, out)}; });
    return out;
}

Tensor log(const Tensor& x) {
    Tensor out = detail::map_unary(x, [](float v) { return std::log(v); });
    if (autograd::is_recording())
        autograd::record("log", {x}, out, [x](const Tensor& g, const Needs&) { return Grads{div(g, x)}; });
    return out;
}

Tensor abs(const Tensor& x) {
    Tensor out = detail::map_unary(x, [](float v) { return std::fabs(v); });
    if (autograd::is_recording())
        autograd::record("abs", {x}, out, [x](const Tensor& g, const Needs&) {
            return Grads{mul(g, constant_of(x, [](float v) { return v > 0.0f ? 1.0f : (v < 0.0f ? -1.0f : 0.0f); }))};
        });
    return out;
}

Tensor clip(const Tensor& x, float lo, float hi) {
    if (!(lo <= hi)) throw ValueError(cat("clip: lo must be <= hi, got lo=", lo, " hi=", hi));
    Tensor out = detail::map_unary(x, [lo, hi](float v) { return v < lo ? lo : (v > hi ? hi : v); });
    if (autograd::is_recording())
        autograd::record("clip", {x}, out, [x, lo, hi](const Tensor& g, const Needs&) {
            return Grads{mul(g, constant_of(x, [lo, hi](float v) { return v >= lo && v <= hi ? 1.0f : 0.0f; }))};
        });
    return out;
}

namespace {

// relu's backward in one pass, g where x > 0 and 0 elsewhere; linear in g, so differentiable to any order.
Tensor relu_gradient(const Tensor& g, const Tensor& x) {
    Tensor out = detail::map_binary(g, x, "relu_gradient", [](float gv, float xv) { return xv > 0.0f ? gv : 0.0f; });
    if (autograd::is_recording())
        autograd::record("relu_gradient", {g, x}, out, [x](const Tensor& gg, const Needs& n) {
            return Grads{n[0] ? relu_gradient(gg, x) : Tensor(), n[1] ? Tensor::zeros_like(x) : Tensor()};
        });
    return out;
}

}  // namespace

Tensor relu(const Tensor& x) {
    // NaN propagates, as in TensorFlow and PyTorch.
    Tensor out = detail::map_unary(x, [](float v) { return v < 0.0f ? 0.0f : v; });
    if (autograd::is_recording())
        autograd::record("relu", {x}, out,
                         [x](const Tensor& g, const Needs&) { return Grads{relu_gradient(g, x)}; });
    return out;
}

Tensor leaky_relu(const Tensor& x, float alpha) {
    Tensor out = detail::map_unary(x, [alpha](float v) { return v > 0.0f ? v : alpha * v; });
    if (autograd::is_recording())
        autograd::record("leaky_relu", {x}, out, [x, alpha](const Tensor& g, const Needs&) {
            return Grads{mul(g, constant_of(x, [alpha](float v) { return v > 0.0f ? 1.0f : alpha; }))};
        });
    return out;
}

Tensor elu(const Tensor& x, float alpha) {
    Tensor out = detail::map_unary(x, [alpha](float v) { return v > 0.0f ? v : alpha * std::expm1(v); });
    if (autograd::is_recording())
        autograd::record("elu", {x}, out, [x, out, alpha](const Tensor& g, const Needs&) {
            // x > 0: 1; otherwise alpha * exp(x) = y + alpha
            const Tensor positive = constant_of(x, [](float v) { return v > 0.0f ? 1.0f : 0.0f; });
            return Grads{where(positive, g, mul(g, add(out, alpha)))};
        });
    return out;
}

Tensor sigmoid(const Tensor& x) {
    Tensor out = detail::map_unary(x, [](float v) {
        // Stable for large |v|: never exponentiates a positive number.
        if (v >= 0.0f) return 1.0f / (1.0f + std::exp(-v));
        const float e = std::exp(v);
        return e / (1.0f + e);
    });
    if (autograd::is_recording())
        autograd::record("sigmoid", {x}, out, [out](const Tensor& g, const Needs&) {
            return Grads{mul(g, mul(out, add(neg(out), 1.0f)))};
        });
    return out;
}

Tensor tanh(const Tensor& x) {
    Tensor out = detail::map_unary(x, [](float v) { return std::tanh(v); });
    if (autograd::is_recording())
        autograd::record("tanh", {x}, out, [out](const Tensor& g, const Needs&) {
            return Grads{mul(g, add(neg(square(out)), 1.0f))};
        });
    return out;
}

}  // namespace kiln
