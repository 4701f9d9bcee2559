// Functional models: chains, residual and branching graphs, several inputs, shared layers, models used as layers,
// a node's explicit training argument, and the errors for disconnected graphs and wrong input shapes.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include <algorithm>
#include <cmath>
#include <optional>

#include "models/model_helpers.hpp"

using namespace kiln;
using kiln::testing::ids_of;
using kiln::testing::names_of;

TEST_CASE("model functional: Input then Dense then Dense computes the composition") {
    const SymbolicTensor in = layers::Input({3}, {.name = "chain_in"});
    layers::Dense first({.name = "first", .units = 4, .activation = "tanh"});
    layers::Dense second({.name = "second", .units = 2});
    Model model(in, second(first(in)), "chain");
    CHECK(model.name() == "chain");
    CHECK(model->class_name() == "Functional");
    CHECK(names_of(model.layers()) == std::vector<std::string>{"chain_in", "first", "second"});
    CHECK(model.weights().size() == 4);
    const Tensor x = Tensor::random_normal({5, 3}, 0.0f, 1.0f, 21);
    CHECK(allclose(model(x), second(first(x)), 1e-6f, 1e-6f));
    CHECK(allclose(model.predict(x), second(first(x)), 1e-6f, 1e-6f));
}

TEST_CASE("model functional: a residual connection with Add") {
    const SymbolicTensor in = layers::Input({2}, {.name = "res_in"});
    layers::Dense dense({.name = "res_dense", .units = 2});
    Model model(in, layers::Add({.name = "res_add"})({in, dense(in)}));
    CHECK(names_of(model.layers()) == std::vector<std::string>{"res_in", "res_dense", "res_add"});
    // kernel [[1, 2], [3, 4]], bias [0, 1]
    dense->set_weights({Tensor({1, 2, 3, 4}, Shape{2, 2}), Tensor({0, 1}, Shape{2})});
    const Tensor x({1, 1, 2, -1}, Shape{2, 2});
    // [1, 1]:  dense = [1 + 3, 2 + 4 + 1] = [4, 7];  + x = [5, 8]
    // [2, -1]: dense = [2 - 3, 4 - 4 + 1] = [-1, 1]; + x = [1, 0]
    CHECK(allclose(model(x), Tensor({5, 8, 1, 0}, Shape{2, 2}), 1e-6f, 1e-6f));
}

TEST_CASE("model functional: Concatenate joins two branches along the last axis") {
    const SymbolicTensor in = layers::Input({2});
    layers::Dense left({.name = "left", .units = 1});
    layers::Dense right({.name = "right", .units = 2});
    Model model(in, layers::Concatenate()({left(in), right(in)}));
    const Tensor x = Tensor::random_normal({3, 2}, 0.0f, 1.0f, 4);
    const Tensor y = model(x);
    REQUIRE(y.shape() == Shape{3, 3});
    const Tensor l = left(x), r = right(x);
    for (int64_t i = 0; i < 3; ++i) {
        CHECK(y.at({i, 0}) == doctest::Approx(l.at({i, 0})));
        CHECK(y.at({i, 1}) == doctest::Approx(r.at({i, 0})));
        CHECK(y.at({i, 2}) == doctest::Approx(r.at({i, 1})));
    }
}

TEST_CASE("model functional: two inputs, fed in the order the model lists them") {
    const SymbolicTensor a = layers::Input({2}), b = layers::Input({3});
    layers::Dense out({.name = "two_out", .units = 1});
    const SymbolicTensor joined = layers::Concatenate()({a, b});
    Model model({a, b}, out(joined));
    out->set_weights({Tensor({1, 2, 3, 4, 5}, Shape{5, 1}), Tensor({0.5f}, Shape{1})});
    const Tensor xa({1, 0, 0, 1}, Shape{2, 2});
    const Tensor xb({0, 0, 1, 1, 1, 0}, Shape{2, 3});
    // [1, 0 | 0, 0, 1] -> 1 + 5 + 0.5 = 6.5;  [0, 1 | 1, 1, 0] -> 2 + 3 + 4 + 0.5 = 9.5
    CHECK(allclose(model(std::vector<Tensor>{xa, xb}), Tensor({6.5f, 9.5f}, Shape{2, 1}), 1e-6f, 1e-6f));
    CHECK_THROWS_WITH_AS(model(std::vector<Tensor>{xa}), doctest::Contains("expects 2 inputs, got 1"), ValueError);
    CHECK_THROWS_AS(model(std::vector<Tensor>{xb, xa}), ShapeError);
}

TEST_CASE("model functional: a layer used by two nodes is one layer with one set of weights") {
    const SymbolicTensor a = layers::Input({2}), b = layers::Input({2});
    layers::Dense shared({.name = "shared", .units = 2});
    Model model({a, b}, layers::Add()({shared(a), shared(b)}));
    const auto names = names_of(model.layers());
    CHECK(std::count(names.begin(), names.end(), "shared") == 1);
    CHECK(model.layers().size() == 4);  // two InputLayers, shared, add
    CHECK(ids_of(model.weights()) == ids_of(shared->weights()));
    // kernel = identity, bias [1, 1]: shared([1, 2]) + shared([3, 4]) = [2, 3] + [4, 5]
    shared->set_weights({Tensor({1, 0, 0, 1}, Shape{2, 2}), Tensor({1, 1}, Shape{2})});
    const Tensor y = model(std::vector<Tensor>{Tensor({1, 2}, Shape{1, 2}), Tensor({3, 4}, Shape{1, 2})});
    CHECK(allclose(y, Tensor({6, 8}, Shape{1, 2}), 1e-6f, 1e-6f));
}

TEST_CASE("model functional: a model used as a layer shares its weights and computes the same outputs") {
    const SymbolicTensor inner_in = layers::Input({4});
    layers::Dense hidden({.name = "inner_hidden", .units = 3, .activation = "relu"});
    layers::Dense head({.name = "inner_head", .units = 2});
    Model inner(inner_in, head(hidden(inner_in)), "inner_model");

    const SymbolicTensor outer_in = layers::Input({4});
    Model outer(outer_in, inner(outer_in), "outer_model");
    CHECK(ids_of(outer.weights()) == ids_of(inner.weights()));
    const Tensor x = Tensor::random_normal({6, 4}, 0.0f, 1.0f, 17);
    CHECK(array_equal(outer.predict(x), inner.predict(x)));

    // Training the outer model moves the inner model's weights: they are the same variables.
    layers::Dense top({.name = "outer_top", .units = 1});
    Model stacked(outer_in, top(inner(outer_in)));
    stacked.compile({.optimizer = optim::SGD({.learning_rate = 0.1}), .loss = "mse"});
    const std::vector<Tensor> before = inner.get_weights();
    stacked.train_on_batch(x, Tensor::ones({6, 1}));
    CHECK_FALSE(kiln::testing::all_equal(inner.get_weights(), before));
    CHECK(allclose(stacked.predict(x), top(inner(x)), 1e-6f, 1e-6f));
}

TEST_CASE("model functional: a node's explicit training=false wins over fit's training=true") {
    set_random_seed(3);
    const Tensor x = Tensor::random_normal({16, 4}, 0.0f, 1.0f, 31);
    const Tensor y = Tensor::random_normal({16, 1}, 0.0f, 1.0f, 32);
    // The same graph with the Dropout node built with training=false or without a training argument. The
    // optimizer's learning rate is 0, so train_on_batch leaves the weights as evaluate sees them.
    auto loss_gap = [&](std::optional<bool> node_training) {
        const SymbolicTensor in = layers::Input({4});
        layers::Dense d1({.units = 8}), d2({.units = 1});
        const SymbolicTensor h = layers::Dropout({.rate = 0.5, .seed = 5})(d1(in), node_training);
        Model model(in, d2(h));
        model.compile({.optimizer = optim::SGD({.learning_rate = 0.0}), .loss = "mse"});
        const double train_loss = model.train_on_batch(x, y).at("loss");
        const double eval_loss = model.evaluate(x, y, {.batch_size = 16, .verbose = 0}).at("loss");
        return train_loss - eval_loss;
    };
    CHECK(std::abs(loss_gap(false)) < 1e-6);
    CHECK(std::abs(loss_gap(std::nullopt)) > 1e-3);  // without it, train_on_batch does drop units
}

TEST_CASE("model functional: an output that depends on another Input is a disconnected graph") {
    const SymbolicTensor a = layers::Input({2}, {.name = "given_in"});
    const SymbolicTensor b = layers::Input({2}, {.name = "missing_in"});
    const SymbolicTensor sum = layers::Add()({a, b});
    CHECK_THROWS_WITH_AS(Model(a, sum),
                         doctest::Contains("graph disconnected: the output depends on input 'missing_in', which is "
                                           "not one of the model's inputs"),
                         ValueError);
}

TEST_CASE("model functional: an input of the wrong shape names the expected and the given shape") {
    const SymbolicTensor in = layers::Input({3});
    Model model(in, layers::Dense({.units = 1})(in), "shape_check");
    CHECK_THROWS_WITH_AS(model(Tensor::ones({2, 4})),
                         doctest::Contains("Functional 'shape_check': input 0 should have shape [-1,3] (-1: any "
                                           "size), got [2,4]"),
                         ShapeError);
    CHECK_THROWS_AS(model.predict(Tensor::ones({2, 4})), ShapeError);
    CHECK_THROWS_AS(model(Tensor::ones({3})), ShapeError);
}

TEST_CASE("model functional: an image model taking any height and width (None sizes) builds and predicts") {
    // Conv2D 'valid' 3x3 then 2x2 max pooling: height h gives (h - 2) / 2, so the symbolic sizes are unknown.
    const SymbolicTensor in = layers::Input({-1, -1, 3});
    layers::Conv2D conv({.filters = 4, .kernel_size = 3});
    layers::MaxPooling2D pool;
    layers::GlobalAveragePooling2D gap;
    layers::Dense head({.units = 2});
    const SymbolicTensor features = pool(conv(in));
    Model model(in, head(gap(features)));
    CHECK(conv(in).shape() == Shape{-1, -1, -1, 4});
    CHECK(features.shape() == Shape{-1, -1, -1, 4});
    CHECK(gap(features).shape() == Shape{-1, 4});
    CHECK(model.count_params() == (3 * 3 * 3 * 4 + 4) + (4 * 2 + 2));
    for (const int64_t size : {5, 9, 40}) {
        CAPTURE(size);
        const Tensor x = Tensor::random_normal({2, size, size + 1, 3}, 0.0f, 1.0f, 7);
        const Tensor pooled = pool(conv(x));
        CHECK(pooled.shape() == Shape{2, (size - 2) / 2, (size - 1) / 2, 4});
        CHECK(allclose(model.predict(x), head(gap(pooled)), 1e-5f, 1e-5f));
    }
    // A fixed size stays fixed next to an unknown one.
    const SymbolicTensor wide = layers::Input({-1, 10, 3});
    CHECK(layers::Conv2D({.filters = 2, .kernel_size = 3})(wide).shape() == Shape{-1, -1, 8, 2});
    // A window wider than the first probe size (9 with dilation 3 spans 25) is probed again with larger sizes.
    CHECK(layers::Conv2D({.filters = 2, .kernel_size = 9, .dilation_rate = 3})(in).shape() == Shape{-1, -1, -1, 2});
}

TEST_CASE("model functional: Dense after Flatten of an unknown image size is refused, naming the layer") {
    const SymbolicTensor in = layers::Input({-1, -1, 3});
    const SymbolicTensor flat = layers::Flatten()(in);
    CHECK(flat.shape() == Shape{-1, -1});
    CHECK_THROWS_WITH_AS(layers::Dense({.name = "after_flat", .units = 2})(flat),
                         doctest::Contains("Dense 'after_flat': needs a fixed input size, got input shape [-1,-1]"),
                         ShapeError);
}

TEST_CASE("model functional: layers are listed in Keras's order, deepest first, ties as a walk from the output") {
    // out = Add([shortcut(in), second(first(in))]). Depth (longest path to the output): in 3, first 2, shortcut
    // and second 1, add 0. Ties: a depth-first walk from the output meets shortcut before second. Keras 2.2 to 3
    // list model.layers so, and legacy .h5 weights are matched to layers by this position.
    const SymbolicTensor in = layers::Input({3}, {.name = "in"});
    layers::Dense first({.name = "first", .units = 3});
    layers::Dense second({.name = "second", .units = 3});
    layers::Dense shortcut({.name = "shortcut", .units = 3});
    layers::Add add({.name = "add"});
    Model model(in, add({shortcut(in), second(first(in))}));
    CHECK(names_of(model.layers()) == std::vector<std::string>{"in", "first", "shortcut", "second", "add"});
    REQUIRE(model.weights().size() == 6);
    CHECK(model.weights()[2].name() == "shortcut/kernel");
}
