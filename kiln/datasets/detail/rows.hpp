// Row helpers shared by the dataset generators and the splitter: seeded permutations and gathering rows.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "kiln/core/random.hpp"
#include "kiln/core/tensor.hpp"

namespace kiln::datasets::detail {

// A uniformly random permutation of 0..n-1 (Fisher-Yates with rng.below).
std::vector<int64_t> permutation(int64_t n, Rng& rng);

// A new tensor holding rows `rows` of `t` along axis 0, in that order (each index must be in [0, t.dim(0))).
Tensor take_rows(const Tensor& t, std::span<const int64_t> rows);

}  // namespace kiln::datasets::detail
