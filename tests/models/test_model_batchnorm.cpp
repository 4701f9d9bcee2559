// BatchNormalization inside models: fit drives training mode and updates the moving statistics, evaluate and
// predict use them and change nothing, and the trainable state captured by compile() decides what fit does.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include <cmath>
#include <iostream>
#include <sstream>

using namespace kiln;

namespace {

struct Fixture {
    Tensor x, y;
    layers::BatchNormalization bn{layers::BatchNormalizationOptions{.name = "bn", .momentum = 0.5}};
    Sequential model;

    Fixture() {
        set_random_seed(11);
        x = Tensor::random_normal({64, 3}, 2.0f, 3.0f, 1);
        y = Tensor::random_normal({64, 1}, 0.0f, 1.0f, 2);
        model = Sequential({layers::Input({3}), layers::Dense({.units = 4}), bn, layers::Dense({.units = 1})});
        model.compile({.optimizer = optim::SGD({.learning_rate = 0.01}), .loss = "mse"});
    }
};

std::vector<Tensor> values_of(const std::vector<Variable>& vs) {
    std::vector<Tensor> out;
    for (const Variable& v : vs) out.push_back(v.value().copy());
    return out;
}

bool all_equal(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (!array_equal(a[i], b[i])) return false;
    return true;
}

// Captures what a statement writes to std::cerr.
struct CaptureCerr {
    std::ostringstream text;
    std::streambuf* saved = std::cerr.rdbuf(text.rdbuf());
    ~CaptureCerr() { std::cerr.rdbuf(saved); }
};

}  // namespace

TEST_CASE("model batchnorm: fit updates the moving statistics, evaluate and predict use them and change nothing") {
    Fixture f;
    const Tensor mean_before = f.bn->moving_mean().value().copy();
    f.model.fit(f.x, f.y, {.batch_size = 16, .epochs = 1, .verbose = 0, .shuffle = false});
    CHECK_FALSE(array_equal(f.bn->moving_mean().value(), mean_before));

    const std::vector<Tensor> weights = values_of(f.model.weights());
    const Tensor p1 = f.model.predict(f.x);
    f.model.evaluate(f.x, f.y, {.verbose = 0});
    CHECK(all_equal(values_of(f.model.weights()), weights));

    // Inference by hand: dense -> (h - moving_mean) / sqrt(moving_variance + eps) * gamma + beta -> dense.
    auto dense0 = std::static_pointer_cast<layers::DenseLayer>(f.model.layers()[0]);
    auto dense1 = std::static_pointer_cast<layers::DenseLayer>(f.model.layers()[2]);
    const Tensor h = matmul(f.x, dense0->kernel().value()) + dense0->bias().value();
    const Tensor normalized = (h - f.bn->moving_mean().value()) * rsqrt(f.bn->moving_variance().value() + 1e-3f) *
                                  f.bn->gamma().value() + f.bn->beta().value();
    const Tensor expected = matmul(normalized, dense1->kernel().value()) + dense1->bias().value();
    CHECK(allclose(p1, expected, 1e-5f, 1e-5f));
}

TEST_CASE("model batchnorm: predict does not depend on the batch size") {
    Fixture f;
    f.model.fit(f.x, f.y, {.batch_size = 16, .epochs = 2, .verbose = 0});
    const Tensor whole = f.model.predict(f.x, {.batch_size = 64});
    CHECK(array_equal(f.model.predict(f.x, {.batch_size = 1}), whole));
    CHECK(array_equal(f.model.predict(f.x, {.batch_size = 7}), whole));
}

TEST_CASE("model batchnorm: trainable=false without recompile changes nothing for fit, and warns once") {
    Fixture f;
    f.bn->set_trainable(false);
    const std::vector<Tensor> bn_before = values_of(f.bn->weights());
    CaptureCerr err;
    f.model.fit(f.x, f.y, {.batch_size = 16, .epochs = 1, .verbose = 0});
    f.model.train_on_batch(f.x, f.y);
    // Still trained as compiled: gamma/beta moved, the moving statistics moved.
    const std::vector<Tensor> bn_after = values_of(f.bn->weights());
    for (size_t i = 0; i < bn_before.size(); ++i) CHECK_FALSE(array_equal(bn_before[i], bn_after[i]));
    CHECK(f.bn->trainable() == false);  // the user's setting is back after fit
    const std::string warning = err.text.str();
    CHECK(warning.find("changed since compile()") != std::string::npos);
    CHECK(warning.find("changed since compile()", warning.find("changed since compile()") + 1) == std::string::npos);
}

TEST_CASE("model batchnorm: after recompile a frozen BN is untouched by fit and runs in inference mode") {
    Fixture f;
    f.model.fit(f.x, f.y, {.batch_size = 16, .epochs = 1, .verbose = 0});
    f.bn->set_trainable(false);
    f.model.compile({.optimizer = optim::SGD({.learning_rate = 0.01}), .loss = "mse"});
    const std::vector<Tensor> bn_before = values_of(f.bn->weights());
    f.model.fit(f.x, f.y, {.batch_size = 16, .epochs = 2, .verbose = 0});
    CHECK(all_equal(values_of(f.bn->weights()), bn_before));
    CHECK(f.model.trainable_weights().size() == 4);  // the two Dense layers' kernels and biases

    // Inference mode inside train_on_batch: its loss (computed before the update) equals evaluate's.
    const Tensor batch_x = f.x.slice(0, 16), batch_y = f.y.slice(0, 16);
    const double evaluated = f.model.evaluate(batch_x, batch_y, {.batch_size = 16, .verbose = 0}).at("loss");
    const double trained = f.model.train_on_batch(batch_x, batch_y).at("loss");
    CHECK(trained == doctest::Approx(evaluated).epsilon(1e-6));
}

TEST_CASE("model batchnorm: freezing a nested base model freezes all its layers, BatchNormalization included") {
    set_random_seed(5);
    layers::BatchNormalization inner_bn;
    Sequential base({layers::Input({4}), layers::Dense({.units = 6}), inner_bn, layers::Dense({.units = 3})}, "base");
    Sequential model({layers::Input({4}), base, layers::Dense({.units = 1})});
    const Tensor x = Tensor::random_normal({32, 4}, 1.0f, 2.0f, 3);
    const Tensor y = Tensor::random_normal({32, 1}, 0.0f, 1.0f, 4);
    base.set_trainable(false);
    model.compile({.optimizer = "adam", .loss = "mse"});
    CHECK(model.trainable_weights().size() == 2);  // only the head
    CHECK_FALSE(inner_bn->trainable());
    const std::vector<Tensor> base_before = values_of(base.weights());
    const std::vector<Tensor> head_before = values_of(model.layers()[1]->weights());
    model.fit(x, y, {.batch_size = 8, .epochs = 2, .verbose = 0});
    CHECK(all_equal(values_of(base.weights()), base_before));  // moving statistics included
    CHECK_FALSE(all_equal(values_of(model.layers()[1]->weights()), head_before));
}

TEST_CASE("model batchnorm: Conv2D + BN + Dense on normal(5, 10) data normalizes each channel") {
    set_random_seed(21);
    const Tensor x = Tensor::random_normal({256, 6, 6, 2}, 5.0f, 10.0f, 9);
    const Tensor y = Tensor::random_normal({256, 1}, 0.0f, 1.0f, 10);
    auto input = layers::Input({6, 6, 2});
    auto conv_out = layers::Conv2D({.filters = 4, .kernel_size = 3, .use_bias = false})(input);
    layers::BatchNormalization bn({.momentum = 0.8});
    auto bn_out = bn(conv_out);
    auto output = layers::Dense({.units = 1})(layers::Flatten()(bn_out));
    Model model(input, output);
    model.compile({.optimizer = optim::Adam({.learning_rate = 1e-3}), .loss = "mse"});
    model.fit(x, y, {.batch_size = 32, .epochs = 4, .verbose = 0});

    // BN's inference output on this data, per channel: mean ~0, std ~1.
    const Tensor normalized = Model(input, bn_out).predict(x);
    const Tensor features = Model(input, conv_out).predict(x);
    const Tensor mean_n = mean(normalized, {0, 1, 2});
    const Tensor std_n = sqrt(mean(square(normalized - mean_n), {0, 1, 2}));
    const Tensor mean_f = mean(features, {0, 1, 2});
    const Tensor var_f = mean(square(features - mean_f), {0, 1, 2});
    for (int64_t c = 0; c < 4; ++c) {
        const double sd = std::sqrt(var_f.at({c}));
        CHECK(std::fabs(mean_n.at({c})) < 0.1);
        CHECK(std_n.at({c}) == doctest::Approx(1.0).epsilon(0.1));
        // The moving statistics approach the data's: within a tenth of a standard deviation.
        CHECK(std::fabs(bn->moving_mean().value().at({c}) - mean_f.at({c})) < 0.1 * sd);
        CHECK(bn->moving_variance().value().at({c}) == doctest::Approx(var_f.at({c})).epsilon(0.2));
    }
}
