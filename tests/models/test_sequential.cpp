// Sequential models: construction with and without an Input, add/pop, layer order and names, weights order,
// unique names, nesting, conversion to LayerPtr, and a forward pass checked against numbers computed by hand.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include "models/model_helpers.hpp"

using namespace kiln;
using kiln::testing::ids_of;
using kiln::testing::names_of;

TEST_CASE("model sequential: with an Input every layer is built at construction") {
    Sequential model(
        {layers::Input({2}), layers::Dense({.name = "a", .units = 3}), layers::Dense({.name = "b", .units = 4})});
    CHECK(names_of(model.layers()) == std::vector<std::string>{"a", "b"});  // the InputLayer is not listed
    CHECK(model.layers()[0]->built());
    CHECK(model.layers()[1]->built());
    REQUIRE(model.weights().size() == 4);
    CHECK(model.weights()[0].shape() == Shape{2, 3});
    CHECK(model.weights()[2].shape() == Shape{3, 4});
    CHECK(model.count_params() == (2 * 3 + 3) + (3 * 4 + 4));
    REQUIRE(model->known_input_shape().has_value());
    CHECK(*model->known_input_shape() == Shape{-1, 2});
    CHECK(model(Tensor::ones({5, 2})).shape() == Shape{5, 4});
}

TEST_CASE("model sequential: without an Input the layers are built on the first call") {
    Sequential model({layers::Dense({.name = "a", .units = 3}), layers::Dense({.name = "b", .units = 1})});
    CHECK_FALSE(model.layers()[0]->built());
    CHECK(model.weights().empty());
    CHECK_FALSE(model->known_input_shape().has_value());

    const Tensor y = model(Tensor::ones({5, 7}));
    CHECK(y.shape() == Shape{5, 1});
    CHECK(model.layers()[0]->built());
    CHECK(model.layers()[1]->built());
    REQUIRE(model.weights().size() == 4);
    CHECK(model.weights()[0].shape() == Shape{7, 3});
    REQUIRE(model->known_input_shape().has_value());
    CHECK(*model->known_input_shape() == Shape{-1, 7});
}

TEST_CASE("model sequential: add appends and builds at once when the input is known, pop removes the last layer") {
    Sequential model({layers::Input({2})});
    model.add(layers::Dense({.name = "a", .units = 3}));
    model.add(layers::Dense({.name = "b", .units = 4}));
    CHECK(names_of(model.layers()) == std::vector<std::string>{"a", "b"});
    CHECK(model.layers()[1]->built());
    CHECK(model(Tensor::ones({1, 2})).shape() == Shape{1, 4});

    model.pop();
    CHECK(names_of(model.layers()) == std::vector<std::string>{"a"});
    CHECK(model.weights().size() == 2);
    CHECK(model(Tensor::ones({1, 2})).shape() == Shape{1, 3});

    model.add(layers::Dense({.name = "c", .units = 5}));
    CHECK(names_of(model.layers()) == std::vector<std::string>{"a", "c"});
    REQUIRE(model.weights().size() == 4);
    CHECK(model.weights()[2].shape() == Shape{3, 5});

    model.pop();
    model.pop();
    CHECK(model.layers().empty());
    CHECK_THROWS_WITH_AS(model.pop(), doctest::Contains("there is no layer to remove"), ValueError);
    CHECK_THROWS_WITH_AS(model(Tensor::ones({1, 2})), doctest::Contains("the model has no layers"), StateError);
}

TEST_CASE("model sequential: an Input can only be the first item") {
    Sequential model({layers::Dense({.units = 2})});
    CHECK_THROWS_WITH_AS(model.add(layers::Input({2})), doctest::Contains("an Input can only be the first item"),
                         ValueError);
    CHECK(model.layers().size() == 1);
}

TEST_CASE("model sequential: weights are the layers' weights, layer after layer") {
    layers::Dense a({.name = "a", .units = 3});
    layers::Dense b({.name = "b", .units = 2, .use_bias = false});
    layers::Dense c({.name = "c", .units = 1});
    Sequential model({layers::Input({4}), a, b, c});
    std::vector<uint64_t> expected;
    for (const LayerPtr& layer : std::vector<LayerPtr>{a, b, c})
        for (uint64_t id : ids_of(layer->weights())) expected.push_back(id);
    CHECK(ids_of(model.weights()) == expected);
    CHECK(expected.size() == 5);
    CHECK(model.get_layer("b") == LayerPtr(b));
    CHECK_THROWS_WITH_AS(model.get_layer("nope"), doctest::Contains("no layer named 'nope' (layers: a, b, c)"),
                         ValueError);
}

TEST_CASE("model sequential: layer names must be unique") {
    auto twice = [] {
        Sequential({layers::Dense({.name = "d", .units = 1}), layers::Dense({.name = "d", .units = 2})});
    };
    CHECK_THROWS_WITH_AS(twice(), doctest::Contains("all layers in a model must have unique names; 'd' is used twice"),
                         ValueError);
    Sequential model({layers::Dense({.name = "d", .units = 1})});
    CHECK_THROWS_AS(model.add(layers::Dense({.name = "d", .units = 2})), ValueError);
    CHECK(model.layers().size() == 1);
}

TEST_CASE("model sequential: a Sequential nests inside a Sequential") {
    Sequential inner({layers::Dense({.name = "in_a", .units = 3}), layers::Dense({.name = "in_b", .units = 2})},
                     "inner");
    layers::Dense top({.name = "top", .units = 1});
    Sequential outer({layers::Input({4}), inner, top}, "outer");
    CHECK(names_of(outer.layers()) == std::vector<std::string>{"inner", "top"});
    CHECK(inner.layers()[0]->built());  // built through the outer model's Input

    std::vector<uint64_t> expected = ids_of(inner.weights());
    for (uint64_t id : ids_of(top->weights())) expected.push_back(id);
    CHECK(ids_of(outer.weights()) == expected);
    CHECK(expected.size() == 6);

    const Tensor x = Tensor::random_normal({3, 4}, 0.0f, 1.0f, 5);
    CHECK(allclose(outer(x), top(inner(x)), 1e-6f, 1e-6f));

    inner.set_trainable(false);
    CHECK(ids_of(outer.trainable_weights()) == ids_of(top->weights()));
    CHECK(outer.non_trainable_weights().size() == 4);
}

TEST_CASE("model sequential: a Model converts to a LayerPtr that is the model") {
    Sequential model({layers::Input({2}), layers::Dense({.units = 2})}, "as_layer");
    const LayerPtr layer = model;
    CHECK(layer.get() == model.layer().get());
    CHECK(layer->name() == "as_layer");
    CHECK(layer->class_name() == "Sequential");
    const Tensor x = Tensor::random_normal({3, 2}, 0.0f, 1.0f, 9);
    CHECK(array_equal((*layer)(x), model(x)));
}

TEST_CASE("model sequential: predict equals a hand computation for a tiny Dense model") {
    Sequential model({layers::Input({2}), layers::Dense({.name = "h", .units = 2, .activation = "relu"}),
                      layers::Dense({.name = "o", .units = 1})});
    // h: kernel [[1, -1], [2, 0.5]], bias [0.5, -1]; o: kernel [[2], [-3]], bias [0.25].
    model.set_weights({Tensor({1, -1, 2, 0.5f}, Shape{2, 2}), Tensor({0.5f, -1}, Shape{2}),
                       Tensor({2, -3}, Shape{2, 1}), Tensor({0.25f}, Shape{1})});
    const Tensor x({1, 2, -1, 1, 0, 0}, Shape{3, 2});
    // Row [1, 2]:  h = relu([1 + 4 + 0.5, -1 + 1 - 1]) = [5.5, 0];   o = 11 + 0.25 = 11.25
    // Row [-1, 1]: h = relu([-1 + 2 + 0.5, 1 + 0.5 - 1]) = [1.5, 0.5]; o = 3 - 1.5 + 0.25 = 1.75
    // Row [0, 0]:  h = relu([0.5, -1]) = [0.5, 0];                      o = 1 + 0.25 = 1.25
    const Tensor expected({11.25f, 1.75f, 1.25f}, Shape{3, 1});
    CHECK(allclose(model.predict(x), expected, 1e-6f, 1e-6f));
    CHECK(allclose(model.predict(x, {.batch_size = 2}), expected, 1e-6f, 1e-6f));
    CHECK(allclose(model(x), expected, 1e-6f, 1e-6f));
}

TEST_CASE("model sequential: an image model taking any height and width (None sizes) builds and predicts") {
    // Three 'valid' 3x3 convolutions and two 2x2 poolings: no single probe size would survive the whole chain,
    // so each layer is probed on its own.
    Sequential model({layers::Input({-1, -1, 3}), layers::Conv2D({.filters = 2, .kernel_size = 3}),
                      layers::MaxPooling2D(), layers::Conv2D({.filters = 3, .kernel_size = 3}), layers::MaxPooling2D(),
                      layers::Conv2D({.filters = 4, .kernel_size = 3}), layers::GlobalAveragePooling2D(),
                      layers::Dense({.units = 2})});
    CHECK(model.count_params() == (27 * 2 + 2) + (18 * 3 + 3) + (27 * 4 + 4) + (4 * 2 + 2));
    const std::vector<SummaryRow> rows = model->summary_rows();
    REQUIRE(rows.size() == 7);
    CHECK(rows[0].output_shapes.at(0) == Shape{-1, -1, -1, 2});
    CHECK(rows[4].output_shapes.at(0) == Shape{-1, -1, -1, 4});
    CHECK(rows[6].output_shapes.at(0) == Shape{-1, 2});
    // 30 -> 28 -> 14 -> 12 -> 6 -> 4; 17 -> 15 -> 7 -> 5 -> 2 -> fails: too small for the last kernel.
    Tensor x = Tensor::random_normal({2, 30, 30, 3}, 0.0f, 1.0f, 3);
    Tensor y = x;
    for (const LayerPtr& layer : model.layers()) y = (*layer)(y, false);
    CHECK(allclose(model.predict(x), y, 1e-5f, 1e-5f));
    CHECK_THROWS_AS(model.predict(Tensor::zeros({1, 17, 17, 3})), ShapeError);
}
