#include "model.hpp"

namespace fashion_demo {

using namespace kiln;

Model build_model(bool augment) {
    Sequential model({layers::Input({28, 28, 1})}, "fashion_mnist_cnn");
    // Clothes are centred and upright, so small shifts (with black fill, as the background) are the augmentation;
    // no flips (shoes all point left) or rotations.
    if (augment) model.add(layers::RandomTranslation({.height_factor = 0.08, .width_factor = 0.08, .fill_mode = "constant"}));
    // Convolutions and the dense layer have no bias: the BatchNormalization after each supplies the shift.
    for (const int64_t filters : {32, 64}) {
        model.add(layers::Conv2D({.filters = filters, .kernel_size = 3, .padding = "same", .use_bias = false}));
        model.add(layers::BatchNormalization({.momentum = 0.9}));
        model.add(layers::ReLU());
        model.add(layers::MaxPooling2D({.pool_size = {2, 2}}));
    }
    model.add(layers::Flatten());
    model.add(layers::Dense({.units = 128, .use_bias = false}));
    model.add(layers::BatchNormalization({.momentum = 0.9}));
    model.add(layers::ReLU());
    model.add(layers::Dropout({.rate = 0.3}));
    model.add(layers::Dense({.units = 10}));
    return model;
}

}  // namespace fashion_demo
