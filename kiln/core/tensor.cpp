#include "kiln/core/tensor.hpp"

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ostream>

#include "kiln/core/detail/storage_pool.hpp"
#include "kiln/core/errors.hpp"
#include "kiln/core/ops/shape_ops.hpp"
#include "kiln/core/random.hpp"
#include "kiln/core/tape.hpp"

namespace kiln {

namespace detail {
uint64_t next_tensor_id() {
    static std::atomic<uint64_t> counter{1};
    return counter.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace detail

namespace {

Tensor make_view(const Tensor& source, int64_t offset, Shape shape) {
    auto impl = std::make_shared<detail::TensorImpl>();
    impl->storage = source.impl()->storage;
    impl->offset = source.impl()->offset + offset;
    impl->shape = std::move(shape);
    impl->id = detail::next_tensor_id();
    return Tensor(std::move(impl));
}

}  // namespace

Tensor Tensor::empty(Shape shape) {
    check_valid_shape(shape, "Tensor");
    auto impl = std::make_shared<detail::TensorImpl>();
    impl->storage = detail::allocate_floats(shape.numel());
    impl->shape = std::move(shape);
    impl->id = detail::next_tensor_id();
    return Tensor(std::move(impl));
}

Tensor::Tensor(std::vector<float> values, Shape shape) {
    check_valid_shape(shape, "Tensor");
    if (static_cast<int64_t>(values.size()) != shape.numel())
        throw ShapeError(cat("Tensor: ", values.size(), " values do not fill shape ", shape, " (", shape.numel(),
                             " elements)"));
    *this = empty(std::move(shape));
    if (!values.empty()) std::memcpy(data(), values.data(), values.size() * sizeof(float));
}

Tensor::Tensor(std::initializer_list<float> values)
    : Tensor(std::vector<float>(values), Shape{static_cast<int64_t>(values.size())}) {}

Tensor Tensor::full(Shape shape, float value) {
    Tensor t = empty(std::move(shape));
    std::fill_n(t.data(), t.size(), value);
    return t;
}
Tensor Tensor::zeros(Shape shape) { return full(std::move(shape), 0.0f); }
Tensor Tensor::ones(Shape shape) { return full(std::move(shape), 1.0f); }
Tensor Tensor::scalar(float value) { return full(Shape{}, value); }

Tensor Tensor::arange(float start, float stop, float step) {
    if (step == 0.0f || !std::isfinite(step) || !std::isfinite(start) || !std::isfinite(stop))
        throw ValueError(cat("arange: invalid arguments start=", start, " stop=", stop, " step=", step));
    const double count = std::ceil((static_cast<double>(stop) - start) / step);
    Tensor t = empty(Shape{std::max<int64_t>(0, static_cast<int64_t>(count))});
    float* p = t.data();
    for (int64_t i = 0; i < t.size(); ++i) p[i] = static_cast<float>(start + static_cast<double>(step) * i);
    return t;
}

Tensor Tensor::random_normal(Shape shape, float mean, float stddev, uint64_t seed) {
    if (!(stddev >= 0.0f)) throw ValueError(cat("random_normal: stddev must be >= 0, got ", stddev));
    Tensor t = empty(std::move(shape));
    Rng rng(seed);
    float* p = t.data();
    for (int64_t i = 0; i < t.size(); ++i) p[i] = mean + stddev * rng.normal();
    return t;
}

Tensor Tensor::random_uniform(Shape shape, float minval, float maxval, uint64_t seed) {
    if (!(maxval >= minval))
        throw ValueError(cat("random_uniform: maxval must be >= minval, got minval=", minval, " maxval=", maxval));
    Tensor t = empty(std::move(shape));
    Rng rng(seed);
    float* p = t.data();
    for (int64_t i = 0; i < t.size(); ++i) p[i] = rng.uniform(minval, maxval);
    return t;
}

Tensor Tensor::from_labels(std::span<const int64_t> labels) {
    Tensor t = empty(Shape{static_cast<int64_t>(labels.size())});
    for (size_t i = 0; i < labels.size(); ++i) t.data()[i] = static_cast<float>(labels[i]);
    return t;
}

const detail::TensorImpl& Tensor::checked_impl(const char* what) const {
    if (!impl_) throw StateError(cat(what, ": the tensor is undefined (default-constructed)"));
    return *impl_;
}

const Shape& Tensor::shape() const { return checked_impl("Tensor::shape").shape; }
float* Tensor::data() {
    const auto& impl = checked_impl("Tensor::data");
    return impl.storage.get() + impl.offset;
}
const float* Tensor::data() const {
    const auto& impl = checked_impl("Tensor::data");
    return impl.storage.get() + impl.offset;
}
uint64_t Tensor::id() const { return checked_impl("Tensor::id").id; }

bool Tensor::shares_storage_with(const Tensor& other) const {
    return impl_ && other.impl_ && impl_->storage == other.impl_->storage;
}

float Tensor::item() const {
    if (size() != 1) throw ShapeError(cat("Tensor::item: needs exactly one element, shape is ", shape()));
    return data()[0];
}

int64_t Tensor::flat_index(std::initializer_list<int64_t> index) const {
    const Shape& s = shape();
    if (static_cast<int64_t>(index.size()) != s.rank())
        throw ShapeError(cat("Tensor::at: index has ", index.size(), " entries for shape ", s));
    int64_t flat = 0;
    int64_t axis = 0;
    for (int64_t i : index) {
        const int64_t d = s[axis];
        if (i < -d || i >= d)
            throw ValueError(cat("Tensor::at: index ", i, " is out of range for axis ", axis, " of shape ", s));
        flat = flat * d + (i < 0 ? i + d : i);
        ++axis;
    }
    return flat;
}

float Tensor::at(std::initializer_list<int64_t> index) const { return data()[flat_index(index)]; }
float& Tensor::at(std::initializer_list<int64_t> index) { return data()[flat_index(index)]; }

std::vector<float> Tensor::to_vector() const { return std::vector<float>(data(), data() + size()); }

std::vector<int64_t> Tensor::to_labels() const {
    std::vector<int64_t> out(static_cast<size_t>(size()));
    const float* p = data();
    for (int64_t i = 0; i < size(); ++i) {
        if (p[i] != std::round(p[i]) || !std::isfinite(p[i]))
            throw ValueError(cat("Tensor::to_labels: value ", p[i], " at flat index ", i, " is not a whole number"));
        out[i] = static_cast<int64_t>(p[i]);
    }
    return out;
}

Tensor Tensor::reshape(Shape new_shape) const {
    const Shape& old = shape();
    int64_t known = 1;
    int64_t infer_at = -1;
    for (int64_t i = 0; i < new_shape.rank(); ++i) {
        if (new_shape[i] == -1) {
            if (infer_at >= 0) throw ValueError(cat("reshape: more than one -1 in ", new_shape));
            infer_at = i;
        } else if (new_shape[i] < 0) {
            throw ValueError(cat("reshape: invalid dimension ", new_shape[i], " in ", new_shape));
        } else {
            known *= new_shape[i];
        }
    }
    if (infer_at >= 0) {
        if (known == 0 || old.numel() % known != 0)
            throw ShapeError(cat("reshape: cannot reshape ", old, " into ", new_shape));
        new_shape[infer_at] = old.numel() / known;
    }
    if (new_shape.numel() != old.numel())
        throw ShapeError(cat("reshape: cannot reshape ", old, " (", old.numel(), " elements) into ", new_shape, " (",
                             new_shape.numel(), " elements)"));
    Tensor out = make_view(*this, 0, new_shape);
    if (autograd::is_recording())
        autograd::record("reshape", {*this}, out, [old](const Tensor& g, const std::vector<bool>&) {
            return std::vector<Tensor>{g.reshape(old)};
        });
    return out;
}

Tensor Tensor::slice(int64_t begin, int64_t end) const {
    const Shape& s = shape();
    if (s.rank() == 0) throw ShapeError("slice: cannot slice a rank-0 tensor");
    if (begin < 0 || end < begin || end > s[0])
        throw ValueError(cat("slice: rows [", begin, ", ", end, ") are out of range for shape ", s));
    Shape out_shape = s;
    out_shape[0] = end - begin;
    const int64_t row = s[0] == 0 ? 0 : s.numel() / s[0];
    Tensor out = make_view(*this, begin * row, out_shape);
    if (autograd::is_recording())
        autograd::record("slice", {*this}, out, [s, begin, end](const Tensor& g, const std::vector<bool>&) {
            // Zero rows around the gradient, with kiln ops so that it can be differentiated again.
            Shape before = s, after = s;
            before[0] = begin;
            after[0] = s[0] - end;
            return std::vector<Tensor>{concatenate({Tensor::zeros(before), g, Tensor::zeros(after)}, 0)};
        });
    return out;
}

Tensor Tensor::copy() const {
    Tensor out = empty(shape());
    std::memcpy(out.data(), data(), size() * sizeof(float));
    if (autograd::is_recording())
        autograd::record("copy", {*this}, out,
                         [](const Tensor& g, const std::vector<bool>&) { return std::vector<Tensor>{g}; });
    return out;
}

std::ostream& operator<<(std::ostream& out, const Tensor& t) { return out << t.str(); }

bool allclose(const Tensor& a, const Tensor& b, float rtol, float atol) {
    if (a.shape() != b.shape()) return false;
    const float* pa = a.data();
    const float* pb = b.data();
    for (int64_t i = 0; i < a.size(); ++i) {
        if (!(std::fabs(pa[i] - pb[i]) <= atol + rtol * std::fabs(pb[i]))) {
            if (pa[i] == pb[i]) continue;  // equal infinities
            return false;
        }
    }
    return true;
}

bool array_equal(const Tensor& a, const Tensor& b) {
    return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace kiln
