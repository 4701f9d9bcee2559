// kiln::datasets: toy generators, splitting and standardization.
#pragma once

#include "kiln/layers/datasets/split.hpp"
#include "kiln/layers/datasets/toy.hpp"
