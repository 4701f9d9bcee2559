// Tensor: kiln's n-dimensional float32 array. Row-major and always contiguous; a Tensor is a cheap handle to
// shared storage, so copying one copies the handle, not the data. Views (reshape, slices along axis 0) share
// storage with their source; every other operation allocates. Ops are free functions in kiln/core/ops/.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kiln/core/shape.hpp"

namespace kiln {

namespace detail {
// What a Tensor handle points to. `id` is unique for the process and is how a GradientTape knows tensors.
struct TensorImpl {
    std::shared_ptr<float[]> storage;
    int64_t offset = 0;
    Shape shape;
    uint64_t id = 0;
    // Set for the value of a trainable Variable: every tape watches it without a watch() call.
    bool watched_by_default = false;
};
uint64_t next_tensor_id();
}  // namespace detail

class Tensor {
public:
    // An undefined tensor (no shape, no storage); defined() is false.
    Tensor() = default;
    // A tensor holding `values` with `shape` (their counts must agree).
    Tensor(std::vector<float> values, Shape shape);
    // A 1-D tensor: Tensor{1.f, 2.f, 3.f}.
    Tensor(std::initializer_list<float> values);

    // Uninitialized contents; for kernels that write every element.
    static Tensor empty(Shape shape);
    static Tensor zeros(Shape shape);
    static Tensor ones(Shape shape);
    static Tensor full(Shape shape, float value);
    // A rank-0 tensor.
    static Tensor scalar(float value);
    static Tensor zeros_like(const Tensor& t) { return zeros(t.shape()); }
    static Tensor ones_like(const Tensor& t) { return ones(t.shape()); }
    // Values start, start+step, ... below stop (above stop for a negative step), as NumPy's arange.
    static Tensor arange(float start, float stop, float step = 1.0f);
    static Tensor arange(int64_t n) { return arange(0.0f, static_cast<float>(n)); }
    // Seeded random tensors: the same seed gives the same values on every machine.
    static Tensor random_normal(Shape shape, float mean, float stddev, uint64_t seed);
    static Tensor random_uniform(Shape shape, float minval, float maxval, uint64_t seed);
    // Integer labels as a float tensor of shape [labels.size()] (exact up to 2^24).
    static Tensor from_labels(std::span<const int64_t> labels);

    bool defined() const { return impl_ != nullptr; }
    const Shape& shape() const;
    int64_t rank() const { return shape().rank(); }
    int64_t size() const { return shape().numel(); }
    int64_t dim(int64_t axis) const { return shape().dim(axis); }

    // Contiguous row-major element pointer (size() elements).
    float* data();
    const float* data() const;
    // The single value of a tensor with one element.
    float item() const;
    // Element access by full index (negative indices count from the end); bounds-checked.
    float at(std::initializer_list<int64_t> index) const;
    float& at(std::initializer_list<int64_t> index);
    std::vector<float> to_vector() const;
    // Values as integers (labels); throws ValueError when one is not a whole number.
    std::vector<int64_t> to_labels() const;

    // A view with a new shape of the same size; one dimension may be -1. Recorded on an active tape.
    Tensor reshape(Shape shape) const;
    // Rows [begin, end) along axis 0 as a view sharing storage. Recorded on an active tape.
    Tensor slice(int64_t begin, int64_t end) const;
    // A new tensor with its own copy of the data. Recorded on an active tape (gradient: identity).
    Tensor copy() const;

    // Identity of this tensor for autograd; equal for handle copies, different for views.
    uint64_t id() const;
    bool shares_storage_with(const Tensor& other) const;
    // NumPy-style text, e.g. "[[1. 2.]\n [3. 4.]]"; large tensors are summarized with "...".
    std::string str() const;

    // For autograd and Variable: the shared implementation.
    const std::shared_ptr<detail::TensorImpl>& impl() const { return impl_; }
    explicit Tensor(std::shared_ptr<detail::TensorImpl> impl) : impl_(std::move(impl)) {}

private:
    const detail::TensorImpl& checked_impl(const char* what) const;
    int64_t flat_index(std::initializer_list<int64_t> index) const;

    std::shared_ptr<detail::TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& out, const Tensor& t);

// Elementwise |a - b| <= atol + rtol * |b|, with equal shapes; NaN never compares close.
bool allclose(const Tensor& a, const Tensor& b, float rtol = 1e-5f, float atol = 1e-8f);
// Same shape and bitwise-equal values.
bool array_equal(const Tensor& a, const Tensor& b);

}  // namespace kiln
