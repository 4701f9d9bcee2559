// Internal: generic elementwise kernels shared by the op files (parallel above a grain size).
#pragma once

#include <string_view>

#include "kiln/core/detail/broadcast.hpp"
#include "kiln/core/detail/parallel.hpp"
#include "kiln/core/tensor.hpp"

namespace kiln::detail {

// out[i] = f(x[i]).
template <class F>
Tensor map_unary(const Tensor& x, F f) {
    Tensor out = Tensor::empty(x.shape());
    const float* px = x.data();
    float* po = out.data();
    parallel_for(x.size(), kElementwiseGrain, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) po[i] = f(px[i]);
    });
    return out;
}

// out = f(a, b) with NumPy broadcasting.
template <class F>
Tensor map_binary(const Tensor& a, const Tensor& b, std::string_view op, F f) {
    if (a.shape() == b.shape()) {
        Tensor out = Tensor::empty(a.shape());
        const float* pa = a.data();
        const float* pb = b.data();
        float* po = out.data();
        parallel_for(a.size(), kElementwiseGrain, [&](int64_t s, int64_t e) {
            for (int64_t i = s; i < e; ++i) po[i] = f(pa[i], pb[i]);
        });
        return out;
    }
    const Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
    Tensor out = Tensor::empty(shape);
    const BroadcastPlan<2> plan(shape, {&a.shape(), &b.shape()});
    const int64_t inner = plan.inner();
    const int64_t sa = plan.inner_stride(0);
    const int64_t sb = plan.inner_stride(1);
    const float* pa = a.data();
    const float* pb = b.data();
    float* po = out.data();
    parallel_for(plan.outer(), grain_for_cost(inner), [&](int64_t rb, int64_t re) {
        for (int64_t r = rb; r < re; ++r) {
            const auto off = plan.offsets(r);
            const float* qa = pa + off[0];
            const float* qb = pb + off[1];
            float* qo = po + r * inner;
            for (int64_t i = 0; i < inner; ++i) qo[i] = f(qa[i * sa], qb[i * sb]);
        }
    });
    return out;
}

// out = f(a, b, c) with NumPy broadcasting of all three.
template <class F>
Tensor map_ternary(const Tensor& a, const Tensor& b, const Tensor& c, std::string_view op, F f) {
    const Shape shape = broadcast_shapes(broadcast_shapes(a.shape(), b.shape(), op), c.shape(), op);
    Tensor out = Tensor::empty(shape);
    const BroadcastPlan<3> plan(shape, {&a.shape(), &b.shape(), &c.shape()});
    const int64_t inner = plan.inner();
    const int64_t sa = plan.inner_stride(0);
    const int64_t sb = plan.inner_stride(1);
    const int64_t sc = plan.inner_stride(2);
    const float* pa = a.data();
    const float* pb = b.data();
    const float* pc = c.data();
    float* po = out.data();
    parallel_for(plan.outer(), grain_for_cost(inner), [&](int64_t rb, int64_t re) {
        for (int64_t r = rb; r < re; ++r) {
            const auto off = plan.offsets(r);
            float* qo = po + r * inner;
            for (int64_t i = 0; i < inner; ++i)
                qo[i] = f(pa[off[0] + i * sa], pb[off[1] + i * sb], pc[off[2] + i * sc]);
        }
    });
    return out;
}

}  // namespace kiln::detail
