// Preparing a dataset for training: a seeded train/test split (as scikit-learn's train_test_split) and per-feature
// standardization (as scikit-learn's StandardScaler).
#pragma once

#include <cstdint>
#include <optional>

#include "kiln/core/tensor.hpp"
#include "kiln/datasets/toy.hpp"

namespace kiln::datasets {

// The two parts of a split dataset.
struct TrainTest {
    Dataset train{};
    Dataset test{};
};

// Splits the rows of `data` (x and y with equal sizes along axis 0) into ceil(test_fraction * N) test rows and the
// rest for training; test_fraction must be in (0, 1) and both parts non-empty. With `shuffle` the rows are picked by
// a seeded permutation (a fresh seed from next_random_seed() without `seed`); without it the test rows are the last
// ones, in order. The parts are new tensors.
TrainTest train_test_split(const Dataset& data, double test_fraction, std::optional<uint64_t> seed = std::nullopt,
                           bool shuffle = true);

// Per-feature standardization: (x - mean) / std with the mean and population standard deviation of the data it was
// fitted on, over axis 0 (a feature is any position in x's shape after axis 0). A constant feature gets stddev 1.
struct Standardizer {
    Tensor mean{};    // shape x.shape[1:]; undefined until fit
    Tensor stddev{};  // shape x.shape[1:]; undefined until fit

    // Learns mean and stddev from x [N >= 1, ...].
    void fit(const Tensor& x);
    // A new tensor (x - mean) / stddev; x must have the fitted feature shape after axis 0 (StateError before fit).
    Tensor transform(const Tensor& x) const;
    // fit(x), then transform(x).
    Tensor fit_transform(const Tensor& x);
};

}  // namespace kiln::datasets
