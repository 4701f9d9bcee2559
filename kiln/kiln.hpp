// kiln: the whole public API in one include.
#pragma once

#include "kiln/core/errors.hpp"
#include "kiln/core/ops.hpp"
#include "kiln/core/random.hpp"
#include "kiln/core/shape.hpp"
#include "kiln/core/tape.hpp"
#include "kiln/core/tensor.hpp"
#include "kiln/core/threads.hpp"
#include "kiln/core/variable.hpp"
#include "kiln/layers/batch_normalization.hpp"
#include "kiln/layers/constraints.hpp"
#include "kiln/layers/datasets/datasets.hpp"
#include "kiln/layers/initializers.hpp"
#include "kiln/layers/layer.hpp"
#include "kiln/layers/regularizers.hpp"
#include "kiln/serialization/registry.hpp"
