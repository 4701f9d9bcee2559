// kiln::datasets: toy generators, splitting and standardization, the IDX reader and Fashion-MNIST.
#pragma once

#include "kiln/datasets/fashion_mnist.hpp"
#include "kiln/datasets/idx.hpp"
#include "kiln/datasets/split.hpp"
#include "kiln/datasets/toy.hpp"
