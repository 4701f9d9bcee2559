// Matching the weights of a legacy Keras HDF5 group (the root of a weights-only file, or model_weights of a
// full-model file) against a model; see load_legacy_weights in legacy_h5.hpp for the rules.
#pragma once

#include "kiln/models/model_layer.hpp"
#include "kiln/serialization/detail/h5read/reader.hpp"
#include "kiln/serialization/detail/load_plan.hpp"

namespace kiln::serialization::detail {

void plan_legacy_weights(const h5read::Group& weights, const ModelLayer& model, LoadPlan& plan);

}  // namespace kiln::serialization::detail
