// kiln::datasets: toy generators.
#pragma once

#include "kiln/layers/datasets/toy.hpp"
