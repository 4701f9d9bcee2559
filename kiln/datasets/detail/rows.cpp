#include "kiln/datasets/detail/rows.hpp"

#include <algorithm>
#include <numeric>
#include <utility>

namespace kiln::datasets::detail {

std::vector<int64_t> permutation(int64_t n, Rng& rng) {
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), int64_t{0});
    for (int64_t i = n - 1; i > 0; --i) {
        std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(rng.below(i + 1))]);
    }
    return order;
}

Tensor take_rows(const Tensor& t, std::span<const int64_t> rows) {
    Shape shape = t.shape();
    const int64_t row_size = t.dim(0) == 0 ? 0 : t.size() / t.dim(0);
    shape[0] = static_cast<int64_t>(rows.size());
    Tensor out = Tensor::empty(shape);
    const float* src = t.data();
    float* dst = out.data();
    for (int64_t row : rows) dst = std::copy_n(src + row * row_size, row_size, dst);
    return out;
}

}  // namespace kiln::datasets::detail
