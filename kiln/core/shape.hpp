// Shape: the dimensions of a tensor, plus the helpers every op uses to validate and combine shapes.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kiln {

// A list of dimension sizes, outermost first. A distinct type so that it prints as "[32,784]".
class Shape : public std::vector<int64_t> {
public:
    using std::vector<int64_t>::vector;
    Shape(std::span<const int64_t> dims) : std::vector<int64_t>(dims.begin(), dims.end()) {}
    Shape(const std::vector<int64_t>& dims) : std::vector<int64_t>(dims) {}

    int64_t rank() const { return static_cast<int64_t>(size()); }
    // Product of the dimensions (1 for a scalar shape); ShapeError naming the shape when it does not fit in int64.
    int64_t numel() const;
    // Dimension `axis`, negative counting from the end; throws ShapeError when out of range.
    int64_t dim(int64_t axis) const;
    std::string str() const;
};

std::ostream& operator<<(std::ostream& out, const Shape& shape);

// Row-major strides (in elements) of a contiguous tensor of this shape; all zero for a shape without elements.
std::vector<int64_t> contiguous_strides(const Shape& shape);

// NumPy broadcasting of two shapes; throws ShapeError naming `op` when they are incompatible.
Shape broadcast_shapes(const Shape& a, const Shape& b, std::string_view op);

// Maps a possibly negative axis into [0, rank); throws ValueError naming `op` when out of range.
int64_t normalize_axis(int64_t axis, int64_t rank, std::string_view op);

// Normalizes a list of axes, sorted ascending; an empty list means all axes. Throws on duplicates.
std::vector<int64_t> normalize_axes(std::span<const int64_t> axes, int64_t rank, std::string_view op);

// Checks that every dimension is >= 0; throws ValueError naming `op` otherwise.
void check_valid_shape(const Shape& shape, std::string_view op);

}  // namespace kiln
