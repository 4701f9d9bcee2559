#include "kiln/core/shape.hpp"

#include <algorithm>
#include <ostream>

#include "kiln/core/errors.hpp"

namespace kiln {

int64_t Shape::numel() const {
    // A zero size makes the product 0 whatever the other sizes are, even sizes whose product alone overflows.
    if (std::find(begin(), end(), 0) != end()) return 0;
    int64_t n = 1;
    for (int64_t d : *this)
        if (__builtin_mul_overflow(n, d, &n))
            throw ShapeError(cat("shape ", str(), ": the number of elements does not fit in a 64-bit integer"));
    return n;
}

int64_t Shape::dim(int64_t axis) const { return (*this)[normalize_axis(axis, rank(), "Shape::dim")]; }

std::string Shape::str() const {
    std::string s = "[";
    for (size_t i = 0; i < size(); ++i) {
        if (i) s += ",";
        s += std::to_string((*this)[i]);
    }
    return s + "]";
}

std::ostream& operator<<(std::ostream& out, const Shape& shape) { return out << shape.str(); }

std::vector<int64_t> contiguous_strides(const Shape& shape) {
    // No element of an empty tensor is ever addressed, and the products of its other sizes may not fit in 64 bits.
    if (shape.numel() == 0) return std::vector<int64_t>(shape.size(), 0);
    std::vector<int64_t> strides(shape.size(), 1);
    for (int64_t i = shape.rank() - 2; i >= 0; --i) strides[i] = strides[i + 1] * shape[i + 1];
    return strides;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, std::string_view op) {
    const int64_t rank = std::max(a.rank(), b.rank());
    Shape out(rank);
    for (int64_t i = 0; i < rank; ++i) {
        const int64_t da = i < rank - a.rank() ? 1 : a[i - (rank - a.rank())];
        const int64_t db = i < rank - b.rank() ? 1 : b[i - (rank - b.rank())];
        if (da != db && da != 1 && db != 1)
            throw ShapeError(cat(op, ": shapes cannot be broadcast together: ", a, " and ", b));
        out[i] = da == 1 ? db : da;
    }
    return out;
}

int64_t normalize_axis(int64_t axis, int64_t rank, std::string_view op) {
    if (axis < -rank || axis >= rank)
        throw ValueError(cat(op, ": axis ", axis, " is out of range for rank ", rank));
    return axis < 0 ? axis + rank : axis;
}

std::vector<int64_t> normalize_axes(std::span<const int64_t> axes, int64_t rank, std::string_view op) {
    std::vector<int64_t> out;
    if (axes.empty()) {
        for (int64_t i = 0; i < rank; ++i) out.push_back(i);
        return out;
    }
    for (int64_t a : axes) out.push_back(normalize_axis(a, rank, op));
    std::sort(out.begin(), out.end());
    if (std::adjacent_find(out.begin(), out.end()) != out.end())
        throw ValueError(cat(op, ": duplicate axis in ", Shape(axes.begin(), axes.end())));
    return out;
}

void check_valid_shape(const Shape& shape, std::string_view op) {
    for (int64_t d : shape)
        if (d < 0) throw ValueError(cat(op, ": negative dimension in shape ", shape));
}

}  // namespace kiln
