// kiln::optim: Keras 3 optimizers and learning-rate schedules in one include.
#pragma once

#include "kiln/optim/adagrad.hpp"
#include "kiln/optim/adam.hpp"
#include "kiln/optim/adamw.hpp"
#include "kiln/optim/optimizer.hpp"
#include "kiln/optim/registry.hpp"
#include "kiln/optim/rmsprop.hpp"
#include "kiln/optim/schedules.hpp"
#include "kiln/optim/sgd.hpp"
