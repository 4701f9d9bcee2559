// The Keras 3 target/prediction shape rules shared by losses and metrics.
#include "kiln/layers/losses_shapes.hpp"

namespace kiln::losses::detail {

namespace {

// `x` with a size-1 axis appended.
Tensor expand_last(const Tensor& x) {
    Shape shape = x.shape();
    shape.push_back(1);
    return x.reshape(shape);
}

// `x` without its trailing size-1 axis.
Tensor squeeze_last(const Tensor& x) {
    Shape shape = x.shape();
    shape.pop_back();
    return x.reshape(shape);
}

// The last dimension, with a rank-0 shape counting as 1.
int64_t last_dim(const Shape& shape) { return shape.empty() ? 1 : shape.back(); }

}  // namespace

std::pair<Tensor, Tensor> squeeze_or_expand_to_same_rank(const Tensor& x1, const Tensor& x2, bool expand_rank_1) {
    const int64_t r1 = x1.rank();
    const int64_t r2 = x2.rank();
    if (r1 == r2 + 1 && x1.shape().back() == 1) {
        if (r2 == 1 && expand_rank_1) return {x1, expand_last(x2)};
        return {squeeze_last(x1), x2};
    }
    if (r2 == r1 + 1 && x2.shape().back() == 1) {
        if (r1 == 1 && expand_rank_1) return {expand_last(x1), x2};
        return {x1, squeeze_last(x2)};
    }
    return {x1, x2};
}

TargetKind classify_targets(const Shape& y_true, const Shape& y_pred) {
    const int64_t true_last = last_dim(y_true);
    const int64_t pred_last = last_dim(y_pred);
    return {pred_last == 1, y_true.rank() < y_pred.rank() || (true_last == 1 && pred_last > 1)};
}

}  // namespace kiln::losses::detail
