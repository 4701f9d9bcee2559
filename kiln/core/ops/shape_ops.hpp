// Ops that rearrange elements without computing on them: permute/transpose, slicing along an axis,
// concatenate/stack, and one_hot. Every result is a new tensor (no views). All are differentiable with
// backward passes written in kiln ops (so they can be differentiated again) unless noted.
#pragma once

#include <cstdint>
#include <vector>

#include "kiln/core/tensor.hpp"

namespace kiln {

// Axes reordered as NumPy's transpose(x, axes): output axis i is input axis axes[i]. `axes` must be a
// permutation of all axes (negative values count from the end); ValueError otherwise.
Tensor permute(const Tensor& x, const std::vector<int64_t>& axes);

// All axes reversed, as NumPy's x.T.
Tensor transpose(const Tensor& x);

// Entries [begin, end) along `axis` (negative counts from the end); 0 <= begin <= end <= dim, else ValueError.
Tensor slice_axis(const Tensor& x, int64_t axis, int64_t begin, int64_t end);

// The tensors joined along an existing `axis`; all need the same rank and the same dimensions except along
// `axis` (ShapeError otherwise), and there must be at least one (ValueError).
Tensor concatenate(const std::vector<Tensor>& xs, int64_t axis = 0);

// The tensors joined along a new `axis` in [-(rank+1), rank]; all need the same shape (ShapeError otherwise).
Tensor stack(const std::vector<Tensor>& xs, int64_t axis = 0);

// Rows of the identity matrix picked by `labels` (whole numbers stored as floats, any shape): the result has
// shape labels.shape + [depth] with 1 at [..., label]. Requires depth >= 1. Unlike TensorFlow, which gives an
// all-zero row, a label outside [0, depth) or a non-integer label raises ValueError. Not differentiable.
Tensor one_hot(const Tensor& labels, int64_t depth);

}  // namespace kiln
