// kiln's main demo: a small CNN with BatchNormalization trained on Fashion-MNIST (Debian's
// dataset-fashion-mnist), in the Keras style. Usage: fashion_mnist [epochs=2] [training samples=12000 of 60000]
#include <kiln/kiln.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>

using namespace kiln;

int main(int argc, char** argv) {
    const int epochs = argc > 1 ? std::atoi(argv[1]) : 2;
    const int64_t train_samples = argc > 2 ? std::atoll(argv[2]) : 12000;
    set_random_seed(42);

    auto data = datasets::load_fashion_mnist();
    const Tensor x_train = data.x_train.slice(0, std::min<int64_t>(train_samples, data.x_train.dim(0)));
    const Tensor y_train = data.y_train.slice(0, x_train.dim(0));

    auto model = Sequential({
        layers::Input({28, 28, 1}),
        layers::Conv2D({.filters = 32, .kernel_size = 3, .padding = "same", .use_bias = false}),
        layers::BatchNormalization({.momentum = 0.9}),
        layers::ReLU(),
        layers::MaxPooling2D({.pool_size = {2, 2}}),
        layers::Conv2D({.filters = 64, .kernel_size = 3, .padding = "same", .use_bias = false}),
        layers::BatchNormalization({.momentum = 0.9}),
        layers::ReLU(),
        layers::MaxPooling2D({.pool_size = {2, 2}}),
        layers::Flatten(),
        layers::Dense({.units = 10}),
    });
    model.compile({.optimizer = optim::Adam({.learning_rate = 1e-3}),
                   .loss = losses::SparseCategoricalCrossentropy({.from_logits = true}),
                   .metrics = {"accuracy"}});
    model.summary();

    const auto start = std::chrono::steady_clock::now();
    model.fit(x_train, y_train, {.batch_size = 64, .epochs = epochs, .validation_split = 0.1});
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    const auto scores = model.evaluate(data.x_test, data.y_test, {.batch_size = 256, .verbose = 0});
    std::printf("\ntest loss %.4f, test accuracy %.4f (%lld test images); training took %.1f s on %d threads\n",
                scores.at("loss"), scores.at("accuracy"), static_cast<long long>(data.x_test.dim(0)), seconds,
                get_num_threads());
    const Tensor first = model.predict(data.x_test.slice(0, 5));
    const auto names = datasets::class_names();
    const auto predicted = argmax(first, -1).to_labels();
    const auto truth = data.y_test.slice(0, 5).to_labels();
    for (size_t i = 0; i < predicted.size(); ++i)
        std::printf("test image %zu: predicted %-12s true %s\n", i, names[predicted[i]].c_str(), names[truth[i]].c_str());
    return 0;
}
