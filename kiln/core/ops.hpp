// All tensor ops: include this to get every op family.
#pragma once

#include "kiln/core/ops/batch_norm.hpp"
#include "kiln/core/ops/compare.hpp"
#include "kiln/core/ops/conv.hpp"
#include "kiln/core/ops/elementwise.hpp"
#include "kiln/core/ops/group_norm.hpp"
#include "kiln/core/ops/linalg.hpp"
#include "kiln/core/ops/pad.hpp"
#include "kiln/core/ops/pool.hpp"
#include "kiln/core/ops/reduce.hpp"
#include "kiln/core/ops/shape_ops.hpp"
#include "kiln/core/ops/softmax.hpp"
#include "kiln/core/ops/special.hpp"
