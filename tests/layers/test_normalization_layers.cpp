// Tests for LayerNormalization, GroupNormalization and UnitNormalization: outputs against float64 references
// computed here from Keras's formulas (element by element, with no kiln op), finite-difference gradients of
// the input and of gamma and beta, weights and their order, argument errors, configs in the Keras 3 schema,
// and the group_norm op's independence of the thread count.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include <kiln/kiln.hpp>

#include "layers/bind_variable.hpp"
#include "support/gradcheck.hpp"

using namespace kiln;
using namespace kiln::layers;

namespace {

Tensor random(const Shape& shape, uint64_t seed, float lo = -2.0f, float hi = 2.0f) {
    return Tensor::random_uniform(shape, lo, hi, seed);
}

// Row-major coordinates of flat index i in `shape`.
std::vector<int64_t> coordinates(int64_t i, const Shape& shape) {
    std::vector<int64_t> c(static_cast<size_t>(shape.rank()));
    for (int64_t a = shape.rank() - 1; a >= 0; --a) {
        c[static_cast<size_t>(a)] = i % shape[a];
        i /= shape[a];
    }
    return c;
}

// Normalizes x in sets of elements: key(i) names the set of element i, param(i) the gamma/beta entry it uses.
// In double: y = (x - mean) / sqrt(var + eps) * gamma + beta, or with rms_scaling x / sqrt(var + eps) * gamma.
template <class Key, class Param>
Tensor reference(const Tensor& x, Key key, Param param, const std::vector<float>& gamma,
                 const std::vector<float>& beta, double eps, bool rms = false) {
    std::map<int64_t, std::pair<double, int64_t>> sums;
    for (int64_t i = 0; i < x.size(); ++i) {
        auto& s = sums[key(i)];
        s.first += x.data()[i];
        ++s.second;
    }
    std::map<int64_t, double> squares;
    for (int64_t i = 0; i < x.size(); ++i) {
        const auto& s = sums[key(i)];
        const double d = x.data()[i] - s.first / static_cast<double>(s.second);
        squares[key(i)] += d * d;
    }
    std::vector<float> y(static_cast<size_t>(x.size()));
    for (int64_t i = 0; i < x.size(); ++i) {
        const auto& s = sums[key(i)];
        const double mean = s.first / static_cast<double>(s.second);
        const double inv = 1.0 / std::sqrt(squares[key(i)] / static_cast<double>(s.second) + eps);
        const int64_t p = param(i);
        const double g = gamma.empty() ? 1.0 : gamma[static_cast<size_t>(p)];
        const double b = beta.empty() ? 0.0 : beta[static_cast<size_t>(p)];
        y[static_cast<size_t>(i)] = static_cast<float>(rms ? x.data()[i] * inv * g : (x.data()[i] - mean) * inv * g + b);
    }
    return Tensor(y, x.shape());
}

// LayerNormalization's reference: sets are the coordinates off `axes`, parameters the coordinates on them.
Tensor layer_norm_reference(const Tensor& x, const std::vector<int64_t>& axes, const std::vector<float>& gamma,
                            const std::vector<float>& beta, double eps, bool rms = false) {
    const Shape& shape = x.shape();
    auto on_axes = [&](int64_t i, bool on) {
        const auto c = coordinates(i, shape);
        int64_t k = 0;
        for (int64_t a = 0; a < shape.rank(); ++a) {
            const bool is_axis = std::find(axes.begin(), axes.end(), a) != axes.end();
            if (is_axis == on) k = k * shape[a] + c[static_cast<size_t>(a)];
        }
        return k;
    };
    return reference(x, [&](int64_t i) { return on_axes(i, false); }, [&](int64_t i) { return on_axes(i, true); },
                     gamma, beta, eps, rms);
}

// GroupNormalization's reference: sets are (sample, channel / (channels / groups)), parameters the channel.
Tensor group_norm_reference(const Tensor& x, int64_t axis, int64_t groups, const std::vector<float>& gamma,
                            const std::vector<float>& beta, double eps) {
    const Shape& shape = x.shape();
    const int64_t per_group = shape[axis] / groups;
    auto channel = [&](int64_t i) { return coordinates(i, shape)[static_cast<size_t>(axis)]; };
    return reference(
        x, [&](int64_t i) { return coordinates(i, shape)[0] * groups + channel(i) / per_group; }, channel, gamma,
        beta, eps);
}

std::vector<float> values(const Shape& shape, uint64_t seed) { return random(shape, seed, 0.5f, 1.5f).to_vector(); }

bool close(const Tensor& got, const Tensor& want) { return allclose(got, want, 1e-5f, 1e-5f); }

// The layer's gradient check over its input and each of its variables (bound as inputs).
template <class L>
void check_layer_gradients(const char* name, const L& layer, const Tensor& x) {
    std::vector<Tensor> inputs{x};
    const std::vector<Variable> weights = layer->trainable_weights();
    for (const Variable& v : weights) inputs.push_back(v.value());
    kiln::testing::check_gradients(
        name,
        [layer, weights](const std::vector<Tensor>& in) {
            for (size_t i = 0; i < weights.size(); ++i) kiln::testing::bind_variable(weights[i], in[i + 1]);
            return layer(in[0], true);
        },
        inputs, {.eps = 1e-2f, .rtol = 2e-2f, .atol = 2e-3f});
}

}  // namespace

TEST_CASE("LayerNormalization: matches the float64 reference for every axis form and option") {
    struct Case {
        const char* name;
        Shape shape;
        LayerNormalizationOptions options;
        std::vector<int64_t> axes;  // non-negative, sorted
    };
    const std::vector<Case> cases = {
        {"last axis", {5, 7}, {}, {1}},
        {"last axis of a rank-3 input, epsilon 0.1", {2, 3, 6}, {.epsilon = 0.1}, {2}},
        {"trailing axes [1, 2, 3]", {2, 3, 4, 5}, {.axis = std::vector<int64_t>{1, 2, 3}}, {1, 2, 3}},
        {"non-trailing axes [1, 2]", {2, 3, 4, 5}, {.axis = std::vector<int64_t>{-2, 1}}, {1, 2}},
        {"middle axis 1", {3, 4, 5}, {.axis = int64_t{1}}, {1}},
        {"no scale", {4, 6}, {.scale = false}, {1}},
        {"no center", {4, 6}, {.center = false}, {1}},
        {"neither", {4, 6}, {.center = false, .scale = false}, {1}},
        {"rms_scaling", {4, 6}, {.rms_scaling = true}, {1}},
        {"rms_scaling over axes [1, 2]", {2, 3, 4}, {.axis = std::vector<int64_t>{1, 2}, .rms_scaling = true}, {1, 2}},
    };
    uint64_t seed = 10;
    for (const Case& c : cases) {
        CAPTURE(c.name);
        LayerNormalization ln(c.options);
        const Tensor x = random(c.shape, ++seed);
        ln->build(c.shape);
        CHECK(ln->axes() == c.axes);
        Shape param_shape;
        for (int64_t a : c.axes) param_shape.push_back(c.shape[a]);
        std::vector<float> gamma, beta;
        if (ln->gamma().defined()) {
            gamma = values(param_shape, ++seed);
            ln->gamma().assign(Tensor(gamma, param_shape));
        }
        if (ln->beta().defined()) {
            beta = values(param_shape, ++seed);
            ln->beta().assign(Tensor(beta, param_shape));
        }
        CHECK(ln->gamma().defined() == (c.options.scale || c.options.rms_scaling));
        CHECK(ln->beta().defined() == (c.options.center && !c.options.rms_scaling));
        const Tensor want = layer_norm_reference(x, c.axes, gamma, beta, c.options.epsilon, c.options.rms_scaling);
        CHECK(close(ln(x, true), want));
        CHECK(close(ln(x, false), want));  // the same in inference
    }
}

TEST_CASE("LayerNormalization: weights gamma then beta, spanning the axes, errors name the layer") {
    LayerNormalization ln({.name = "ln", .axis = std::vector<int64_t>{2, 1}});
    ln->build(Shape{2, 3, 4});
    const auto w = ln->weights();
    REQUIRE(w.size() == 2);
    CHECK(w[0].name() == "ln/gamma");
    CHECK(w[1].name() == "ln/beta");
    CHECK(w[0].shape() == Shape{3, 4});
    CHECK(ln->count_params() == 24);
    CHECK_THROWS_WITH_AS(ln(Tensor::zeros(Shape{2, 3, 5})), doctest::Contains("'ln'"), ShapeError);
    CHECK_THROWS_WITH_AS(LayerNormalization({.name = "x", .axis = int64_t{3}})(Tensor::zeros(Shape{2, 3})),
                         doctest::Contains("axis 3"), ValueError);
    CHECK_THROWS_WITH_AS(LayerNormalization({.name = "x", .axis = std::vector<int64_t>{1, -1}})(Tensor::zeros(Shape{2, 3})),
                         doctest::Contains("duplicate axis"), ValueError);
    CHECK_THROWS_WITH_AS(LayerNormalization({.axis = std::vector<int64_t>{}}), doctest::Contains("empty"), ValueError);
    CHECK_THROWS_WITH_AS(LayerNormalization({.epsilon = -1.0}), doctest::Contains("epsilon"), ValueError);
}

TEST_CASE("LayerNormalization: finite-difference gradients of the input, gamma and beta") {
    auto with_weights = [](LayerNormalizationOptions o, const Shape& shape, uint64_t seed) {
        LayerNormalization ln(o);
        ln->build(shape);
        for (const Variable& v : ln->weights()) v.assign(random(v.shape(), ++seed, 0.5f, 1.5f));
        return ln;
    };
    check_layer_gradients("layer norm last axis", with_weights({}, {3, 5}, 1), random({3, 5}, 2));
    check_layer_gradients("layer norm trailing axes",
                          with_weights({.axis = std::vector<int64_t>{1, 2}}, {2, 3, 2}, 3), random({2, 3, 2}, 4));
    check_layer_gradients("layer norm axis 1", with_weights({.axis = int64_t{1}}, {2, 3, 2}, 5), random({2, 3, 2}, 6));
    check_layer_gradients("layer norm rms_scaling", with_weights({.rms_scaling = true}, {3, 4}, 7), random({3, 4}, 8));
}

TEST_CASE("GroupNormalization: matches the float64 reference, channels last and first, instance normalization") {
    struct Case {
        const char* name;
        Shape shape;
        GroupNormalizationOptions options;
        int64_t axis, groups;
    };
    const std::vector<Case> cases = {
        {"NHWC, 3 groups of 2", {2, 3, 4, 6}, {.groups = 3}, 3, 3},
        {"NCHW axis 1, 2 groups of 3", {2, 6, 3, 4}, {.groups = 2, .axis = 1}, 1, 2},
        {"axis -3 of a rank-4 input", {2, 4, 3, 2}, {.groups = 2, .axis = -3}, 1, 2},
        {"instance normalization (groups -1)", {3, 2, 2, 4}, {.groups = -1}, 3, 4},
        {"one group (layer norm over all but the batch)", {2, 5, 4}, {.groups = 1}, 2, 1},
        {"rank 2, epsilon 0.1, no scale", {4, 8}, {.groups = 4, .epsilon = 0.1, .scale = false}, 1, 4},
        {"no center", {2, 3, 6}, {.groups = 2, .center = false}, 2, 2},
    };
    uint64_t seed = 40;
    for (const Case& c : cases) {
        CAPTURE(c.name);
        GroupNormalization gn(c.options);
        const Tensor x = random(c.shape, ++seed);
        gn->build(c.shape);
        CHECK(gn->groups() == c.groups);
        const Shape param{c.shape[c.axis]};
        std::vector<float> gamma, beta;
        if (c.options.scale) {
            gamma = values(param, ++seed);
            gn->gamma().assign(Tensor(gamma, param));
        }
        if (c.options.center) {
            beta = values(param, ++seed);
            gn->beta().assign(Tensor(beta, param));
        }
        CHECK(gn->weights().size() == static_cast<size_t>(c.options.scale) + static_cast<size_t>(c.options.center));
        const Tensor want = group_norm_reference(x, c.axis, c.groups, gamma, beta, c.options.epsilon);
        CHECK(close(gn(x, true), want));
        CHECK(close(gn(x, false), want));
    }
}

TEST_CASE("GroupNormalization: groups must divide the channels, other errors name the layer and values") {
    CHECK_THROWS_WITH_AS(GroupNormalization({.name = "g", .groups = 4})(Tensor::zeros(Shape{2, 6})),
                         doctest::Contains("GroupNormalization 'g': the number of groups (4) must divide the number "
                                           "of channels (6)"),
                         ValueError);
    CHECK_THROWS_WITH_AS(GroupNormalization({.name = "g", .groups = 8})(Tensor::zeros(Shape{2, 6})),
                         doctest::Contains("cannot be more than the number of channels (6)"), ValueError);
    CHECK_THROWS_WITH_AS(GroupNormalization({.groups = 0}), doctest::Contains("got 0"), ValueError);
    CHECK_THROWS_WITH_AS(GroupNormalization({.groups = -2}), doctest::Contains("got -2"), ValueError);
    CHECK_THROWS_WITH_AS(GroupNormalization({.groups = 1, .axis = 0})(Tensor::zeros(Shape{2, 6})),
                         doctest::Contains("batch axis"), ValueError);
    GroupNormalization gn({.groups = 2});
    gn(Tensor::zeros(Shape{1, 3, 4}));
    CHECK_THROWS_AS(gn(Tensor::zeros(Shape{1, 3, 6})), ShapeError);
}

TEST_CASE("GroupNormalization: finite-difference gradients of the input, gamma and beta") {
    auto with_weights = [](GroupNormalizationOptions o, const Shape& shape, uint64_t seed) {
        GroupNormalization gn(o);
        gn->build(shape);
        for (const Variable& v : gn->weights()) v.assign(random(v.shape(), ++seed, 0.5f, 1.5f));
        return gn;
    };
    check_layer_gradients("group norm NHWC", with_weights({.groups = 2}, {2, 2, 2, 4}, 1), random({2, 2, 2, 4}, 2));
    check_layer_gradients("group norm NCHW", with_weights({.groups = 2, .axis = 1}, {2, 4, 2, 2}, 3),
                          random({2, 4, 2, 2}, 4));
    check_layer_gradients("group norm instance", with_weights({.groups = -1}, {2, 3, 3}, 5), random({2, 3, 3}, 6));
}

TEST_CASE("group_norm: results do not depend on the thread count") {
    const Tensor x = random({16, 9, 9, 96}, 1);
    const Tensor gamma = random({96}, 2), beta = random({96}, 3);
    auto run = [&] {
        GradientTape tape;
        tape.watch(x);
        tape.watch(gamma);
        tape.watch(beta);
        const Tensor y = group_norm(x, gamma, beta, {.samples = 16, .spatial = 81, .channels = 96, .groups = 8}, 1e-3);
        auto grads = tape.gradient(sum(y * y * x), std::vector<Tensor>{x, gamma, beta});
        grads.push_back(y);
        return grads;
    };
    set_num_threads(1);
    const auto one = run();
    set_num_threads(2);
    const auto two = run();
    for (size_t i = 0; i < one.size(); ++i) CHECK(array_equal(one[i], two[i]));
}

TEST_CASE("group_norm: layout errors name the op and the values") {
    CHECK_THROWS_WITH_AS(group_norm(Tensor::zeros(Shape{2, 6}), {}, {}, {.samples = 2, .channels = 5}, 1e-3),
                         doctest::Contains("group_norm: layout [2,1,5,1] does not describe input [2,6]"), ShapeError);
    CHECK_THROWS_WITH_AS(group_norm(Tensor::zeros(Shape{2, 6}), {}, {}, {.samples = 2, .channels = 6, .groups = 4}, 1e-3),
                         doctest::Contains("group_norm: 4 groups do not divide 6 channels"), ShapeError);
    CHECK_THROWS_WITH_AS(group_norm(Tensor::zeros(Shape{2, 6}), Tensor::ones(Shape{5}), {},
                                    {.samples = 2, .channels = 6}, 1e-3),
                         doctest::Contains("gamma [5] must have 6 values"), ShapeError);
}

TEST_CASE("UnitNormalization: unit L2 norm over the axes, zero vectors stay zero, gradients") {
    const Tensor x = random({3, 4, 5}, 1);
    for (const auto& [axis, axes] : std::vector<std::pair<std::variant<int64_t, std::vector<int64_t>>, std::vector<int64_t>>>{
             {int64_t{-1}, {2}}, {int64_t{1}, {1}}, {std::vector<int64_t>{1, 2}, {1, 2}}}) {
        const Tensor y = UnitNormalization({.axis = axis})(x);
        // Reference: each set (the coordinates off the axes) divided by its L2 norm, in double.
        std::map<int64_t, double> squares;
        auto key = [&](int64_t i) {
            const auto c = coordinates(i, x.shape());
            int64_t k = 0;
            for (int64_t a = 0; a < 3; ++a)
                if (std::find(axes.begin(), axes.end(), a) == axes.end()) k = k * x.dim(a) + c[static_cast<size_t>(a)];
            return k;
        };
        for (int64_t i = 0; i < x.size(); ++i) squares[key(i)] += double(x.data()[i]) * x.data()[i];
        std::vector<float> want(static_cast<size_t>(x.size()));
        for (int64_t i = 0; i < x.size(); ++i)
            want[static_cast<size_t>(i)] = static_cast<float>(x.data()[i] / std::sqrt(squares[key(i)]));
        CHECK(close(y, Tensor(want, x.shape())));
    }
    CHECK(array_equal(UnitNormalization()(Tensor::zeros(Shape{2, 3})), Tensor::zeros(Shape{2, 3})));
    kiln::testing::check_gradients(
        "unit normalization", [](const std::vector<Tensor>& in) { return UnitNormalization()(in[0]); },
        {random({3, 4}, 2)}, {.eps = 1e-2f, .rtol = 2e-2f, .atol = 2e-3f});
    CHECK(UnitNormalization()->weights().empty());
    CHECK_THROWS_WITH_AS(UnitNormalization({.name = "u", .axis = int64_t{2}})(Tensor::zeros(Shape{2, 3})),
                         doctest::Contains("axis 2"), ValueError);
}

TEST_CASE("normalization layers: configs in the Keras 3 schema, read back to the same layers") {
    LayerNormalization ln({.name = "ln", .axis = int64_t{-1}, .epsilon = 1e-5, .center = false});
    nlohmann::json c = ln->get_config();
    CHECK(c["axis"] == -1);  // as given before build
    ln->build(Shape{2, 3, 4});
    c = ln->get_config();
    CHECK(c["axis"] == nlohmann::json::array({2}));  // Keras 3 writes the resolved list after build
    CHECK(c["epsilon"] == 1e-5);
    CHECK(c["center"] == false);
    CHECK(c["scale"] == true);
    CHECK(c["rms_scaling"] == false);
    CHECK(c["gamma_initializer"]["class_name"] == "Ones");
    CHECK(c["beta_regularizer"].is_null());
    CHECK(LayerNormalizationLayer::from_config(c)->get_config() == c);

    GroupNormalization gn({.name = "gn", .groups = -1});
    CHECK(gn->get_config()["groups"] == -1);
    gn->build(Shape{2, 3, 5});
    c = gn->get_config();
    CHECK(c["groups"] == 5);  // resolved, as Keras 3 writes it
    CHECK(c["axis"] == -1);
    const auto again = GroupNormalizationLayer::from_config(c);
    CHECK(again->get_config() == c);

    const nlohmann::json u = UnitNormalization({.name = "u", .axis = std::vector<int64_t>{1, 2}})->get_config();
    CHECK(u["axis"] == nlohmann::json::array({1, 2}));
    CHECK(UnitNormalizationLayer::from_config(u)->get_config() == u);

    // Keras 3's own configs, keys as Keras writes them.
    const auto keras_ln = nlohmann::json::parse(R"({"name": "layer_normalization", "trainable": true,
        "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
        "axis": [-1], "epsilon": 0.001, "center": true, "scale": true, "rms_scaling": false,
        "beta_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
        "gamma_initializer": {"module": "keras.initializers", "class_name": "Ones", "config": {}, "registered_name": null},
        "beta_regularizer": null, "gamma_regularizer": null, "beta_constraint": null, "gamma_constraint": null})");
    CHECK(LayerNormalizationLayer::from_config(keras_ln)->options().epsilon == 0.001);
    nlohmann::json bad = keras_ln;
    bad["groups"] = 2;
    CHECK_THROWS_WITH_AS(LayerNormalizationLayer::from_config(bad), doctest::Contains("groups"), ValueError);
}
