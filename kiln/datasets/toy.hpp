// Toy datasets for classification demos and tests: seeded 2-D point clouds with float class labels. Every
// generator returns its rows shuffled; with the same seed it returns the same data on every machine, and without
// one it draws a fresh seed from next_random_seed() (so set_random_seed() makes a program reproducible). Invalid
// arguments raise ValueError naming the function and the value.
#pragma once

#include <cstdint>
#include <optional>

#include "kiln/core/tensor.hpp"

namespace kiln::datasets {

// Inputs and targets of a dataset, with matching sizes along axis 0.
struct Dataset {
    Tensor x{};  // [N, features]
    Tensor y{};  // [N] class labels as floats, unless a function says otherwise
};

// Two interleaving half circles, as scikit-learn's make_moons: n/2 (rounded down) points of class 0 on the
// upper unit half circle (cos t, sin t) and the rest of class 1 on (1 - cos t, 1/2 - sin t), with t evenly
// spaced over [0, pi] on each, plus Gaussian noise of standard deviation `noise` on both coordinates.
Dataset make_moons(int64_t n, double noise = 0.0, std::optional<uint64_t> seed = std::nullopt);

// Two concentric circles, as scikit-learn's make_circles: n/2 (rounded down) points of class 0 on the unit circle
// and the rest of class 1 on the circle of radius `factor` in [0, 1), each at angles 2 pi i / count, i < count,
// plus Gaussian noise of standard deviation `noise` on both coordinates.
Dataset make_circles(int64_t n, double noise = 0.0, double factor = 0.8,
                     std::optional<uint64_t> seed = std::nullopt);

// `classes` spiral arms around the origin: arm c holds its points at radius r = (i + 1) / count, i < count, and
// angle 2 pi c / classes + 3 pi r (one and a half turns), plus Gaussian noise of standard deviation `noise` on
// both coordinates. The n points are shared out as evenly as possible, lower classes taking the remainder.
Dataset make_spirals(int64_t n, int64_t classes = 2, double noise = 0.0,
                     std::optional<uint64_t> seed = std::nullopt);

// Isotropic Gaussian blobs around the rows of `centers` [k, features], as scikit-learn's make_blobs: class c's
// points are centers[c] plus Gaussian noise of standard deviation `cluster_std`; the n points are shared out as
// evenly as possible, lower classes taking the remainder.
Dataset make_blobs(int64_t n, const Tensor& centers, double cluster_std = 1.0,
                   std::optional<uint64_t> seed = std::nullopt);
// As above with `centers` 2-D centers drawn uniformly from the box [-10, 10)^2 (scikit-learn's default box).
Dataset make_blobs(int64_t n, int64_t centers = 3, double cluster_std = 1.0,
                   std::optional<uint64_t> seed = std::nullopt);

// Noisy XOR: point i sits at corner i mod 4 of (0,0), (0,1), (1,0), (1,1), labelled with the XOR of its corner's
// coordinates, plus Gaussian noise of standard deviation `noise` on both coordinates.
Dataset make_xor(int64_t n, double noise = 0.0, std::optional<uint64_t> seed = std::nullopt);

// The exact XOR truth table in order: x [[0,0],[0,1],[1,0],[1,1]], y [0,1,1,0].
Dataset xor_truth_table();

}  // namespace kiln::datasets
