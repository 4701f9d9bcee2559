// Tests for the Normalization preprocessing layer: Keras's documented examples (values worked out by hand),
// adapt() over several kept axes against a float64 reference computed here, given mean and variance broadcast
// onto the kept axes, the epsilon floor, the identity before adapt() (as Keras 3), weights, argument errors,
// finite-difference gradients of the input, configs in the Keras 3 schema and a .keras round trip.
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <vector>

#include <kiln/kiln.hpp>

#include "support/gradcheck.hpp"
#include "support/temp_dir.hpp"

using namespace kiln;
using namespace kiln::layers;

namespace {

bool close(const Tensor& got, const std::vector<double>& want, float tol = 1e-6f) {
    return allclose(got, Tensor(std::vector<float>(want.begin(), want.end()), got.shape()), tol, tol);
}

// The coordinates of flat index i of `shape` on `axes` as one number (row-major over those axes).
int64_t key_on(int64_t i, const Shape& shape, const std::vector<int64_t>& axes) {
    std::vector<int64_t> c(static_cast<size_t>(shape.rank()));
    for (int64_t a = shape.rank() - 1; a >= 0; --a) {
        c[static_cast<size_t>(a)] = i % shape[a];
        i /= shape[a];
    }
    int64_t k = 0;
    for (int64_t a : axes) k = k * shape[a] + c[static_cast<size_t>(a)];
    return k;
}

}  // namespace

TEST_CASE("Normalization: Keras's documented examples") {
    // axis=None: the mean of 1..5 is 3 and the population variance 2, so 1, 2, 3 map to -2/sqrt(2), -1/sqrt(2), 0.
    Normalization global({.axis = {}});
    global->adapt(Tensor({1.0f, 2.0f, 3.0f, 4.0f, 5.0f}, Shape{5}));
    CHECK(global->mean().shape() == Shape{});
    CHECK(close(global(Tensor({1.0f, 2.0f, 3.0f}, Shape{3})), {-std::sqrt(2.0), -std::sqrt(0.5), 0.0}));

    // Per feature: means 1, 8, 5 and variances 1, so [0, 7, 4] maps to -1 everywhere.
    const Tensor data({0, 7, 4, 2, 9, 6, 0, 7, 4, 2, 9, 6}, Shape{4, 3});
    Normalization features;
    features->adapt(data);
    CHECK(close(features->mean().value(), {1, 8, 5}));
    CHECK(close(features->variance().value(), {1, 1, 1}));
    CHECK(close(features(Tensor({0, 7, 4}, Shape{1, 3})), {-1, -1, -1}));

    // Given mean 3 and variance 2.
    Normalization given({.mean = Tensor::scalar(3.0f), .variance = Tensor::scalar(2.0f)});
    CHECK(close(given(Tensor({1, 2, 3}, Shape{3, 1})), {-std::sqrt(2.0), -std::sqrt(0.5), 0.0}));
    CHECK(given->weights().empty());

    // invert: mean + x * sqrt(variance) = [1 + 1, 8 + 2, 5 + 3].
    Normalization invert({.invert = true});
    invert->adapt(data);
    CHECK(close(invert(Tensor({1, 2, 3}, Shape{1, 3})), {2, 10, 8}));
}

TEST_CASE("Normalization: adapt over the axes not kept matches the float64 mean and population variance") {
    const Tensor x = Tensor::random_uniform({6, 4, 3, 5}, -3.0f, 5.0f, 11);
    Normalization n({.axis = {1, -2}});
    n->adapt(x);
    CHECK(n->kept_axes() == std::vector<int64_t>{1, 2});
    REQUIRE(n->mean().shape() == Shape{4, 3});
    std::map<int64_t, double> sums, squares;
    std::map<int64_t, int64_t> counts;
    for (int64_t i = 0; i < x.size(); ++i) {
        sums[key_on(i, x.shape(), {1, 2})] += x.data()[i];
        ++counts[key_on(i, x.shape(), {1, 2})];
    }
    for (int64_t i = 0; i < x.size(); ++i) {
        const int64_t k = key_on(i, x.shape(), {1, 2});
        const double d = x.data()[i] - sums[k] / static_cast<double>(counts[k]);
        squares[k] += d * d;
    }
    std::vector<double> mean, variance;
    for (int64_t k = 0; k < 12; ++k) {
        CHECK(counts[k] == 30);
        mean.push_back(sums[k] / 30.0);
        variance.push_back(squares[k] / 30.0);
    }
    CHECK(close(n->mean().value(), mean));
    CHECK(close(n->variance().value(), variance, 1e-5f));
    CHECK(n->count().value().item() == 0.0f);  // Keras 3 leaves it at 0
    // The output, element by element.
    const Tensor y = n(x);
    std::vector<double> want;
    for (int64_t i = 0; i < x.size(); ++i) {
        const auto k = static_cast<size_t>(key_on(i, x.shape(), {1, 2}));
        want.push_back((x.data()[i] - mean[k]) / std::sqrt(variance[k]));
    }
    CHECK(close(y, want, 1e-5f));
    // A second adapt replaces the statistics.
    n->adapt(Tensor::full({2, 4, 3, 1}, 7.0f));
    CHECK(close(n->mean().value(), std::vector<double>(12, 7.0)));
    CHECK(close(n->variance().value(), std::vector<double>(12, 0.0)));
}

TEST_CASE("Normalization: given mean and variance align with the kept axes from the right and broadcast") {
    const Tensor x = Tensor::random_uniform({2, 3, 4}, -1.0f, 1.0f, 3);
    struct Case {
        const char* name;
        Tensor mean, variance;
        // The mean and variance of element (i1, i2) on the kept axes 1 and 2.
        double (*m)(int64_t, int64_t);
        double (*v)(int64_t, int64_t);
    };
    const std::vector<Case> cases = {
        {"one per last kept axis", Tensor({1, 2, 3, 4}, Shape{4}), Tensor({1, 4, 9, 16}, Shape{4}),
         [](int64_t, int64_t j) { return j + 1.0; }, [](int64_t, int64_t j) { return (j + 1.0) * (j + 1.0); }},
        {"one per first kept axis", Tensor({-1, 0, 1}, Shape{3, 1}), Tensor({2, 3, 4}, Shape{3, 1}),
         [](int64_t i, int64_t) { return i - 1.0; }, [](int64_t i, int64_t) { return i + 2.0; }},
        {"scalar", Tensor::scalar(0.5f), Tensor::scalar(0.25f), [](int64_t, int64_t) { return 0.5; },
         [](int64_t, int64_t) { return 0.25; }},
    };
    for (const Case& c : cases) {
        CAPTURE(c.name);
        for (const bool inverted : {false, true}) {
            Normalization n({.axis = {1, 2}, .mean = c.mean, .variance = c.variance, .invert = inverted});
            std::vector<double> want;
            for (int64_t i = 0; i < x.size(); ++i) {
                const int64_t i1 = (i / 4) % 3, i2 = i % 4;
                const double sd = std::sqrt(c.v(i1, i2));
                want.push_back(inverted ? c.m(i1, i2) + x.data()[i] * sd : (x.data()[i] - c.m(i1, i2)) / sd);
            }
            CHECK(close(n(x), want, 1e-5f));
        }
    }
    // A variance of 0 divides by Keras's epsilon 1e-7 instead.
    Normalization zero({.mean = Tensor::scalar(1.0f), .variance = Tensor::scalar(0.0f)});
    CHECK(close(zero(Tensor({1.5f}, Shape{1, 1})), {0.5 / 1e-7}, 1e-5f));
    CHECK_THROWS_WITH_AS(Normalization({.name = "n", .axis = {1, 2}, .mean = Tensor::zeros({5}),
                                        .variance = Tensor::ones({5})})(x),
                         doctest::Contains("Normalization 'n': mean and variance of shape [5] do not broadcast"),
                         ValueError);
}

TEST_CASE("Normalization: before adapt the variables hold 0 and 1 and the input passes through, as in Keras 3") {
    Normalization n({.name = "n"});
    const Tensor x = Tensor::random_uniform({3, 4}, -2.0f, 2.0f, 5);
    CHECK(allclose(n(x), x));
    const std::vector<Variable> w = n->weights();
    REQUIRE(w.size() == 3);
    CHECK(w[0].name() == "n/mean");
    CHECK(w[1].name() == "n/variance");
    CHECK(w[2].name() == "n/count");
    CHECK(w[0].shape() == Shape{4});
    CHECK(w[2].shape() == Shape{});
    CHECK(array_equal(w[1].value(), Tensor::ones({4})));
    CHECK(n->trainable_weights().empty());
    CHECK(n->non_trainable_weights().size() == 3);
    CHECK(n->weight_dtype(w[2]) == "int64");
    CHECK(n->weight_dtype(w[0]) == "float32");
    CHECK(n->count_params() == 9);
}

TEST_CASE("Normalization: bad arguments raise errors naming the layer and the values") {
    CHECK_THROWS_WITH_AS(Normalization({.name = "n", .mean = Tensor::scalar(0.5f)}),
                         doctest::Contains("Normalization 'n': when setting values directly, both mean and variance "
                                           "must be set, got mean=0.5 and variance=null"),
                         ValueError);
    CHECK_THROWS_WITH_AS(Normalization({.name = "n", .variance = Tensor::scalar(0.1f)}),
                         doctest::Contains("got mean=null and variance=0.1"), ValueError);
    CHECK_THROWS_WITH_AS(Normalization({.name = "n", .mean = Tensor::zeros({3}), .variance = Tensor::ones({2})}),
                         doctest::Contains("mean shape [3] and variance shape [2]"), ValueError);
    CHECK_THROWS_WITH_AS(Normalization({.name = "n", .mean = Tensor::zeros({2, 3}), .variance = Tensor::ones({2, 3})}),
                         doctest::Contains("at most the number of axes (1), got mean shape [2,3]"), ValueError);
    CHECK_THROWS_WITH_AS(Normalization({.name = "n", .mean = Tensor::zeros({2}), .variance = Tensor({1, -1}, Shape{2})}),
                         doctest::Contains("variance must not be negative"), ValueError);
    CHECK_THROWS_WITH_AS(Normalization({.name = "n", .axis = {3}})(Tensor::zeros({2, 2})),
                         doctest::Contains("Normalization 'n': every axis must be in [-ndim, ndim), got axis [3]"),
                         ValueError);
    CHECK_THROWS_WITH_AS(Normalization({.name = "n", .axis = {-4}})->build(Shape{2, 3, 4}),
                         doctest::Contains("got axis [-4]"), ValueError);
    CHECK_THROWS_WITH_AS(Normalization({.name = "n", .axis = {1}})->build(Shape{-1, -1}),
                         doctest::Contains("the axes kept must have a known size, axis 1"), ValueError);
    Normalization built({.name = "n"});
    built->build(Shape{10, 5});
    CHECK_THROWS_WITH_AS(built->adapt(Tensor::zeros({10, 3})),
                         doctest::Contains("built for inputs of shape [10,5], but adapt() got data of an incompatible "
                                           "shape [10,3]"),
                         ValueError);
    CHECK_THROWS_WITH_AS(built->adapt(Tensor::zeros({0, 5})), doctest::Contains("at least one sample"), ValueError);
    CHECK_THROWS_WITH_AS(built(Tensor::zeros({2, 4})), doctest::Contains("'n'"), ShapeError);
    CHECK_THROWS_WITH_AS(Normalization({.name = "g", .mean = Tensor::scalar(0), .variance = Tensor::scalar(1)})
                             ->adapt(Tensor::zeros({2, 2})),
                         doctest::Contains("Normalization 'g': adapt() computes mean and variance, but this layer was "
                                           "given them"),
                         ValueError);
}

TEST_CASE("Normalization: finite-difference gradients of the input, adapted and given, plain and inverted") {
    const Tensor data = Tensor::random_uniform({8, 3}, -2.0f, 2.0f, 9);
    for (const bool inverted : {false, true}) {
        CAPTURE(inverted);
        Normalization adapted({.invert = inverted});
        adapted->adapt(data);
        kiln::testing::check_gradients(
            "normalization adapted", [adapted](const std::vector<Tensor>& in) { return adapted(in[0]); },
            {Tensor::random_uniform({4, 3}, -1.0f, 1.0f, 1)}, {.eps = 1e-2f});
        Normalization given({.axis = {}, .mean = Tensor::scalar(0.3f), .variance = Tensor::scalar(2.5f),
                             .invert = inverted});
        kiln::testing::check_gradients(
            "normalization given", [given](const std::vector<Tensor>& in) { return given(in[0]); },
            {Tensor::random_uniform({2, 3, 2}, -1.0f, 1.0f, 2)}, {.eps = 1e-2f});
    }
}

TEST_CASE("Normalization: configs in the Keras 3 schema, read back to the same layer") {
    const nlohmann::json d = Normalization({.name = "n"})->get_config();
    CHECK(d["axis"] == nlohmann::json::array({-1}));
    CHECK(d["invert"] == false);
    CHECK(d["mean"].is_null());
    CHECK(d["variance"].is_null());
    CHECK(d["dtype"]["class_name"] == "DTypePolicy");
    CHECK(NormalizationLayer::from_config(d)->get_config() == d);

    const nlohmann::json g = Normalization({.name = "g",
                                            .axis = {1, 2},
                                            .mean = Tensor({0.5f, 0.2f, -0.1f}, Shape{1, 3}),
                                            .variance = Tensor({0.1f, 0.2f, 0.3f}, Shape{1, 3}),
                                            .invert = true})
                                 ->get_config();
    CHECK(g["axis"] == nlohmann::json::array({1, 2}));
    CHECK(g["invert"] == true);
    CHECK(g["mean"].dump() == "[[0.5,0.2,-0.1]]");  // NumPy's tolist() form, shortest decimals
    CHECK(g["variance"].dump() == "[[0.1,0.2,0.3]]");
    const auto again = NormalizationLayer::from_config(g);
    CHECK(again->get_config() == g);
    CHECK(again->options().mean.shape() == Shape{1, 3});

    // Keras's own forms: axis null (None, written [] by Keras 3) or an int (tf.keras), scalar mean and variance.
    nlohmann::json keras = d;
    keras["axis"] = nullptr;
    CHECK(NormalizationLayer::from_config(keras)->options().axis.empty());
    keras["axis"] = 1;
    keras["mean"] = 3.0;
    keras["variance"] = 2;
    const auto scalar = NormalizationLayer::from_config(keras);
    CHECK(scalar->options().axis == std::vector<int64_t>{1});
    CHECK(scalar->options().mean.shape() == Shape{});
    CHECK(scalar->get_config()["mean"] == 3.0);
    keras.erase("axis");
    CHECK(NormalizationLayer::from_config(keras)->options().axis == std::vector<int64_t>{-1});
    CHECK(serialization::layer_from_config("Normalization", d)->class_name() == "Normalization");

    nlohmann::json bad = d;
    bad["mean"] = nlohmann::json::parse("[[1, 2], [3]]");
    bad["variance"] = bad["mean"];
    CHECK_THROWS_WITH_AS(NormalizationLayer::from_config(bad), doctest::Contains("Normalization config key 'mean'"),
                         ValueError);
    bad = d;
    bad["mean"] = "zero";
    CHECK_THROWS_AS(NormalizationLayer::from_config(bad), ValueError);
    bad = d;
    bad["epsilon"] = 1e-3;
    CHECK_THROWS_WITH_AS(NormalizationLayer::from_config(bad), doctest::Contains("epsilon"), ValueError);
}

TEST_CASE("Normalization: an adapted model saved as .keras loads with its statistics") {
    const Tensor data = Tensor::random_uniform({20, 3}, 1.0f, 9.0f, 4);
    Normalization n;
    n->adapt(data);
    const Model model = Sequential({Input({3}), n, Dense({.units = 2})});
    kiln::testing::TempDir dir;
    model.save(dir.path("norm.keras"));
    const Model loaded = load_model(dir.path("norm.keras"));
    const auto ln = std::dynamic_pointer_cast<NormalizationLayer>(loaded.get_layer(n->name()));
    REQUIRE(ln);
    CHECK(array_equal(ln->mean().value(), n->mean().value()));
    CHECK(array_equal(ln->variance().value(), n->variance().value()));
    CHECK(array_equal(loaded.predict(data), model.predict(data)));
}
