// The Keras 3 weights store (the layout of a .weights.h5 file, and of model.weights.h5 inside a .keras archive):
// writing a model's variables and its optimizer's state, and planning a strict load of them.
#pragma once

#include "kiln/models/model.hpp"
#include "kiln/serialization/detail/h5read/reader.hpp"
#include "kiln/serialization/detail/hdf5.hpp"
#include "kiln/serialization/detail/load_plan.hpp"
#include "kiln/serialization/weights_file.hpp"

namespace kiln::serialization::detail {

// Writes `model` into the empty file at `root`: the root "vars" group, the layers' vars/<i> (each vars group with
// a `name` attribute holding the layer's name, as Keras >= 3.6), and optimizer/vars/<i> when the model is
// compiled (the iteration count as an int64 scalar, everything else float32).
void write_keras_weights(const h5::Group& root, const Model& model);

// Matches the store at `root` against `model`: every variable must be found with its shape, and every dataset
// under the root "vars" and the layer groups must belong to a variable. Accepts "_layer_checkpoint_dependencies"
// (tf.keras 2.12-2.14) in place of "layers", taking that file's groups of each class in numeric suffix order.
// When the model is compiled and the file has optimizer/vars, the optimizer's state is planned too (the optimizer
// is first built on the model's trainable weights when the counts differ); otherwise "optimizer" is ignored.
// The `name` attributes are informative and ignored. `optimizer_mismatch` says what a state with another variable
// count than the (built) optimizer's does.
void plan_keras_weights(const h5read::Group& root, const Model& model, LoadPlan& plan,
                        OptimizerMismatch optimizer_mismatch);

}  // namespace kiln::serialization::detail
