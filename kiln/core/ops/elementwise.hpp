// Elementwise ops. Binary ops follow NumPy broadcasting; the gradient of a broadcast input is summed back to
// the input's shape. All are differentiable (backward next to forward in elementwise.cpp) unless noted.
#pragma once

#include "kiln/core/tensor.hpp"

namespace kiln {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
// Elementwise max/min; at ties the gradient goes to `a` (as TensorFlow).
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);

// With a float: x + s, x * s, x^p, ...
Tensor add(const Tensor& x, float s);
Tensor mul(const Tensor& x, float s);
Tensor pow(const Tensor& x, float exponent);

Tensor neg(const Tensor& x);
Tensor square(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
// Gradient sign(x), 0 at x == 0.
Tensor abs(const Tensor& x);
// Values limited to [lo, hi]; the gradient flows where lo <= x <= hi. Requires lo <= hi.
Tensor clip(const Tensor& x, float lo, float hi);

// Activations.
Tensor relu(const Tensor& x);
// x for x > 0, alpha * x otherwise.
Tensor leaky_relu(const Tensor& x, float alpha);
// x for x > 0, alpha * (exp(x) - 1) otherwise.
Tensor elu(const Tensor& x, float alpha = 1.0f);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);

// Sums `g` over the axes along which a tensor of `shape` was broadcast to g's shape (the adjoint of
// broadcasting). Throws ShapeError when `shape` does not broadcast to g's shape.
Tensor sum_to_shape(const Tensor& g, const Shape& shape);

inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& x) { return neg(x); }
inline Tensor operator+(const Tensor& x, float s) { return add(x, s); }
inline Tensor operator+(float s, const Tensor& x) { return add(x, s); }
inline Tensor operator-(const Tensor& x, float s) { return add(x, -s); }
inline Tensor operator-(float s, const Tensor& x) { return add(neg(x), s); }
inline Tensor operator*(const Tensor& x, float s) { return mul(x, s); }
inline Tensor operator*(float s, const Tensor& x) { return mul(x, s); }
inline Tensor operator/(const Tensor& x, float s) { return mul(x, 1.0f / s); }
inline Tensor operator/(float s, const Tensor& x) { return mul(pow(x, -1.0f), s); }

}  // namespace kiln
