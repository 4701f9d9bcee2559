// kiln::datasets: toy generators, splitting and standardization, the IDX reader and Fashion-MNIST.
#pragma once

#include "kiln/layers/datasets/fashion_mnist.hpp"
#include "kiln/layers/datasets/idx.hpp"
#include "kiln/layers/datasets/split.hpp"
#include "kiln/layers/datasets/toy.hpp"
