// The demo's network, shared with bench/ (whose "demo CNN" workloads time it against PyTorch).
#pragma once

#include <kiln/kiln.hpp>

namespace fashion_demo {

// Conv-BN-ReLU-Pool blocks (32 and 64 filters), then a 128-unit dense layer with BatchNormalization and dropout.
// `augment` puts random shifts of the images in front (training only); bench/ times the network without them.
kiln::Model build_model(bool augment = true);

}  // namespace fashion_demo
