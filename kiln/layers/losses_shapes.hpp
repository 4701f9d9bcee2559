// Internal: the shape rules that Keras 3 applies before comparing targets with predictions, shared by the losses
// and the metrics: lining up ranks that differ by a trailing axis of size 1, and telling binary, sparse and
// one-hot categorical targets apart from their shapes.
#pragma once

#include <utility>

#include "kiln/core/shape.hpp"
#include "kiln/core/tensor.hpp"

namespace kiln::losses::detail {

// Keras's squeeze_or_expand_to_same_rank: when the ranks differ by exactly one and the higher-rank tensor ends in
// a size-1 axis, that axis is dropped, or (when the other tensor has rank 1 and `expand_rank_1`) a size-1 axis is
// appended to the rank-1 tensor instead. Other pairs are returned unchanged. Reshapes are recorded on a tape.
std::pair<Tensor, Tensor> squeeze_or_expand_to_same_rank(const Tensor& x1, const Tensor& x2, bool expand_rank_1 = true);

// How Keras 3 reads targets from shapes when it resolves "accuracy" or "crossentropy".
struct TargetKind {
    bool binary = false;              // y_pred ends in a size-1 axis
    bool sparse_categorical = false;  // y_true has lower rank than y_pred, or y_true ends in 1 and y_pred does not
};

// The kind of targets of shapes `y_true` and `y_pred` (rank-0 shapes count as ending in 1).
TargetKind classify_targets(const Shape& y_true, const Shape& y_pred);

}  // namespace kiln::losses::detail
