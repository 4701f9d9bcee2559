// zero_pad2d and its adjoint crop, each recorded with the other as its gradient.
#include "kiln/core/ops/pad.hpp"

#include <algorithm>
#include <string_view>

#include "kiln/core/detail/parallel.hpp"
#include "kiln/core/errors.hpp"
#include "kiln/core/tape.hpp"

namespace kiln {
namespace {

using Grads = std::vector<Tensor>;
using Needs = std::vector<bool>;
using Padding2D = std::array<std::array<int64_t, 2>, 2>;

// A rank-4 tensor and its padded version seen as [outer, height, row] floats: NHWC as [N, H, W*C], NCHW as
// [N*C, H, W]. Padding adds whole rows above and below, and `left` floats before each row.
struct PadGeometry {
    Padding2D padding{};
    DataFormat format = DataFormat::channels_last;
    Shape plain, padded;
    int64_t outer = 0, height = 0, row = 0;
    int64_t padded_height = 0, padded_row = 0, top = 0, left = 0;
};

PadGeometry pad_geometry(const Shape& s, const Padding2D& p, DataFormat format) {
    if (s.rank() != 4)
        throw ShapeError(cat("zero_pad2d: expected a rank-4 input (",
                             format == DataFormat::channels_last ? "[N,H,W,C]" : "[N,C,H,W]", " for ",
                             to_string(format), "), got shape ", s));
    if (std::min({p[0][0], p[0][1], p[1][0], p[1][1]}) < 0)
        throw ValueError(cat("zero_pad2d: padding must be >= 0, got ((", p[0][0], ", ", p[0][1], "), (", p[1][0],
                             ", ", p[1][1], "))"));
    const bool last = format == DataFormat::channels_last;
    const int64_t h_axis = last ? 1 : 2, w_axis = h_axis + 1;
    const int64_t unit = last ? s[3] : 1;
    PadGeometry g;
    g.padding = p;
    g.format = format;
    g.plain = s;
    g.padded = s;
    g.padded[h_axis] += p[0][0] + p[0][1];
    g.padded[w_axis] += p[1][0] + p[1][1];
    g.outer = last ? s[0] : s[0] * s[1];
    g.height = s[h_axis];
    g.row = s[w_axis] * unit;
    g.padded_height = g.padded[h_axis];
    g.padded_row = g.padded[w_axis] * unit;
    g.top = p[0][0];
    g.left = p[1][0] * unit;
    return g;
}

// Calls body(padded_offset, plain_offset, length) for each row of the un-padded tensor; parallel over rows.
template <class Body>
void for_each_row(const PadGeometry& g, Body&& body) {
    detail::parallel_for(g.outer * g.height, detail::grain_for_cost(g.row), [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
            const int64_t o = r / g.height, y = r % g.height;
            body((o * g.padded_height + y + g.top) * g.padded_row + g.left, r * g.row, g.row);
        }
    });
}

// The un-padded part of `padded` (the adjoint of zero padding); recorded with zero_pad2d as its gradient.
Tensor crop2d(const Tensor& padded, const PadGeometry& g) {
    Tensor out = Tensor::empty(g.plain);
    const float* pp = padded.data();
    float* po = out.data();
    for_each_row(g, [&](int64_t from, int64_t to, int64_t n) { std::copy_n(pp + from, n, po + to); });
    if (autograd::is_recording())
        autograd::record("crop2d", {padded}, out, [g](const Tensor& grad, const Needs&) {
            return Grads{zero_pad2d(grad, g.padding, g.format)};
        });
    return out;
}

}  // namespace

Tensor zero_pad2d(const Tensor& x, std::array<std::array<int64_t, 2>, 2> padding, DataFormat data_format) {
    const PadGeometry g = pad_geometry(x.shape(), padding, data_format);
    Tensor out = Tensor::zeros(g.padded);
    const float* px = x.data();
    float* po = out.data();
    for_each_row(g, [&](int64_t to, int64_t from, int64_t n) { std::copy_n(px + from, n, po + to); });
    if (autograd::is_recording())
        autograd::record("zero_pad2d", {x}, out, [g](const Tensor& grad, const Needs&) {
            return Grads{crop2d(grad, g)};
        });
    return out;
}

}  // namespace kiln
