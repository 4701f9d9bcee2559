// Tests for SpectralNormalization: a training call assigns kernel / sigma and the new u, checked against the power
// iteration run here in double precision; many iterations reach the largest singular value of a matrix built with
// known singular values; inference and an all-zero kernel change nothing; weights in Keras's order; argument
// errors; finite-difference gradients of the inference path and of the training forward; configs and files.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include <kiln/kiln.hpp>

#include "layers/bind_variable.hpp"
#include "support/gradcheck.hpp"
#include "support/temp_dir.hpp"

using namespace kiln;
using namespace kiln::layers;

namespace {

using Matrix = std::vector<std::vector<double>>;  // row-major rows

// The kernel as the [-1, out] matrix the power method works on.
Matrix as_matrix(const Tensor& kernel) {
    const int64_t out = kernel.dim(-1), rows = kernel.size() / out;
    Matrix w(static_cast<size_t>(rows), std::vector<double>(static_cast<size_t>(out)));
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < out; ++c) w[static_cast<size_t>(r)][static_cast<size_t>(c)] = kernel.data()[r * out + c];
    return w;
}

std::vector<double> normalized(std::vector<double> x) {
    double squares = 0.0;
    for (double e : x) squares += e * e;
    for (double& e : x) e /= std::sqrt(squares);
    return x;
}

// Keras's power method in double: returns sigma and leaves the final u in `u`.
double power_iteration(const Matrix& w, std::vector<double>& u, int iterations) {
    const size_t rows = w.size(), out = w[0].size();
    std::vector<double> v(rows);
    for (int i = 0; i < iterations; ++i) {
        for (size_t r = 0; r < rows; ++r) {
            v[r] = 0.0;
            for (size_t c = 0; c < out; ++c) v[r] += u[c] * w[r][c];  // u W^T
        }
        v = normalized(v);
        for (size_t c = 0; c < out; ++c) {
            u[c] = 0.0;
            for (size_t r = 0; r < rows; ++r) u[c] += v[r] * w[r][c];  // v W
        }
        u = normalized(u);
    }
    double sigma = 0.0;
    for (size_t r = 0; r < rows; ++r)
        for (size_t c = 0; c < out; ++c) sigma += v[r] * w[r][c] * u[c];  // v W u^T
    return sigma;
}

std::vector<double> doubles(const Tensor& t) {
    std::vector<double> out;
    for (int64_t i = 0; i < t.size(); ++i) out.push_back(t.data()[i]);
    return out;
}

Tensor floats(const std::vector<double>& values, const Shape& shape) {
    return Tensor(std::vector<float>(values.begin(), values.end()), shape);
}

// A wrapped Dense(units) built for inputs [*, in], with random kernel, bias and vector_u.
SpectralNormalization wrapped_dense(int64_t in, int64_t units, int64_t iterations, uint64_t seed) {
    Dense dense({.name = "dense", .units = units});
    SpectralNormalization sn({.layer = dense, .name = "sn", .power_iterations = iterations});
    sn->build(Shape{2, in});
    for (const Variable& v : sn->weights()) v.assign(Tensor::random_uniform(v.shape(), -1.0f, 1.0f, ++seed));
    return sn;
}

}  // namespace

TEST_CASE("SpectralNormalization: a training call assigns kernel / sigma and u from the power iteration") {
    for (const int iterations : {1, 3}) {
        CAPTURE(iterations);
        SpectralNormalization sn = wrapped_dense(4, 3, iterations, 10);
        const Tensor kernel = sn->kernel().value().copy();
        const Tensor bias = std::dynamic_pointer_cast<DenseLayer>(sn->layer())->bias().value().copy();
        std::vector<double> u = doubles(sn->vector_u().value());
        const Matrix w = as_matrix(kernel);
        const double sigma = power_iteration(w, u, iterations);
        const Tensor x = Tensor::random_uniform({5, 4}, -1.0f, 1.0f, 3);

        const Tensor y = sn(x, true);

        std::vector<double> want_kernel = doubles(kernel);
        for (double& k : want_kernel) k /= sigma;
        CHECK(allclose(sn->kernel().value(), floats(want_kernel, {4, 3}), 1e-5f, 1e-6f));
        CHECK(allclose(sn->vector_u().value(), floats(u, {1, 3}), 1e-5f, 1e-6f));
        // The output is the Dense of the normalized kernel: x W / sigma + b.
        std::vector<double> want_y;
        for (int64_t r = 0; r < 5; ++r)
            for (int64_t c = 0; c < 3; ++c) {
                double s = bias.data()[c];
                for (int64_t k = 0; k < 4; ++k) s += x.data()[r * 4 + k] * want_kernel[static_cast<size_t>(k * 3 + c)];
                want_y.push_back(s);
            }
        CHECK(allclose(y, floats(want_y, {5, 3}), 1e-5f, 1e-5f));
    }
}

TEST_CASE("SpectralNormalization: a Conv2D kernel is reshaped to (kh * kw * in, filters) for the power iteration") {
    Conv2D conv({.filters = 4, .kernel_size = {2, 2}});
    SpectralNormalization sn({.layer = conv, .power_iterations = 2});
    const Tensor x = Tensor::random_uniform({1, 4, 4, 3}, -1.0f, 1.0f, 5);
    sn->build(x.shape());
    CHECK(sn->vector_u().shape() == Shape{1, 4});
    sn->vector_u().assign(Tensor::random_uniform({1, 4}, -1.0f, 1.0f, 6));
    const Tensor kernel = sn->kernel().value().copy();
    std::vector<double> u = doubles(sn->vector_u().value());
    const double sigma = power_iteration(as_matrix(kernel), u, 2);
    sn(x, true);
    std::vector<double> want = doubles(kernel);
    for (double& k : want) k /= sigma;
    CHECK(allclose(sn->kernel().value(), floats(want, kernel.shape()), 1e-5f, 1e-6f));
    CHECK(allclose(sn->vector_u().value(), floats(u, {1, 4}), 1e-5f, 1e-6f));
}

TEST_CASE("SpectralNormalization: many iterations divide by the largest singular value of a matrix made with them") {
    // W = Q diag(5, 2) R^T with Q's two columns orthonormal in R^3 and R a rotation: singular values 5 and 2.
    const double a = 0.3, b = 1.1;
    const Matrix q = {{std::cos(a), -std::sin(a)}, {std::sin(a) * 0.6, std::cos(a) * 0.6}, {std::sin(a) * 0.8, std::cos(a) * 0.8}};
    const Matrix r = {{std::cos(b), -std::sin(b)}, {std::sin(b), std::cos(b)}};
    const double s[2] = {5.0, 2.0};
    std::vector<double> w;
    for (size_t i = 0; i < 3; ++i)
        for (size_t j = 0; j < 2; ++j) w.push_back(q[i][0] * s[0] * r[j][0] + q[i][1] * s[1] * r[j][1]);
    Dense dense({.units = 2, .use_bias = false});
    SpectralNormalization sn({.layer = dense, .power_iterations = 60});
    sn->build(Shape{1, 3});
    sn->kernel().assign(floats(w, {3, 2}));
    sn->vector_u().assign(Tensor({0.3f, 0.9f}, Shape{1, 2}));
    sn(Tensor::ones({1, 3}), true);
    std::vector<double> want = w;
    for (double& e : want) e /= 5.0;
    CHECK(allclose(sn->kernel().value(), floats(want, {3, 2}), 1e-5f, 1e-6f));
    // The normalized kernel's largest singular value is 1: one more call leaves it as it is.
    const Tensor once = sn->kernel().value().copy();
    sn(Tensor::ones({1, 3}), true);
    CHECK(allclose(sn->kernel().value(), once, 1e-5f, 1e-6f));
}

TEST_CASE("SpectralNormalization: Keras's ones-kernel example, 4 at inference and 2 in training") {
    // Conv2D(1, (2, 2)) with a kernel of ones on a 2x2 image of ones: the sum 4; W is a [4, 1] column of ones
    // whose spectral norm is 2.
    Conv2D conv({.filters = 1, .kernel_size = {2, 2}, .kernel_initializer = initializers::get("ones")});
    SpectralNormalization sn({.layer = conv, .power_iterations = 8});
    const Tensor images = Tensor::ones({1, 2, 2, 1});
    CHECK(allclose(sn(images, false), Tensor::full({1, 1, 1, 1}, 4.0f)));
    CHECK(allclose(sn(images, true), Tensor::full({1, 1, 1, 1}, 2.0f), 1e-6f, 1e-6f));
}

TEST_CASE("SpectralNormalization: inference is the wrapped layer alone, an all-zero kernel is left as it is") {
    SpectralNormalization sn = wrapped_dense(4, 3, 1, 20);
    const Tensor kernel = sn->kernel().value().copy(), u = sn->vector_u().value().copy();
    const Tensor x = Tensor::random_uniform({2, 4}, -1.0f, 1.0f, 4);
    CHECK(array_equal(sn(x), (*sn->layer())(x)));  // training defaults to false
    CHECK(array_equal(sn(x, false), (*sn->layer())(x, false)));
    CHECK(array_equal(sn->kernel().value(), kernel));
    CHECK(array_equal(sn->vector_u().value(), u));

    sn->kernel().assign(Tensor::zeros({4, 3}));
    sn(x, true);
    CHECK(array_equal(sn->kernel().value(), Tensor::zeros({4, 3})));
    CHECK(array_equal(sn->vector_u().value(), u));
}

TEST_CASE("SpectralNormalization: weights are kernel, vector_u, bias as in Keras, vector_u TruncatedNormal(0.02)") {
    Dense dense({.name = "d", .units = 3});
    SpectralNormalization sn({.layer = dense, .name = "sn"});
    sn(Tensor::ones({2, 4}));
    const std::vector<Variable> w = sn->weights();
    REQUIRE(w.size() == 3);
    CHECK(w[0].name() == "d/kernel");
    CHECK(w[1].name() == "sn/vector_u");
    CHECK(w[2].name() == "d/bias");
    CHECK(w[0].same_as(dense->kernel()));
    CHECK(sn->trainable_weights().size() == 2);
    CHECK(sn->trainable_weights()[1].same_as(dense->bias()));
    REQUIRE(sn->non_trainable_weights().size() == 1);
    CHECK(sn->non_trainable_weights()[0].same_as(sn->vector_u()));
    CHECK(sn->count_params() == 4 * 3 + 3 + 3);
    CHECK(sn->vector_u().shape() == Shape{1, 3});
    const Tensor u = sn->vector_u().value();
    bool nonzero = false;
    for (int64_t i = 0; i < u.size(); ++i) {
        CHECK(std::fabs(u.data()[i]) <= 0.04f);  // redrawn beyond 2 stddev
        nonzero = nonzero || u.data()[i] != 0.0f;
    }
    CHECK(nonzero);
    // Frozen, nothing is trainable, and the kernel is frozen by the wrapped layer, once.
    sn->set_trainable(false);
    CHECK(sn->trainable_weights().empty());
    CHECK_FALSE(dense->kernel().trainable());
    sn->set_trainable(true);
    CHECK(dense->kernel().trainable());
    CHECK(sn->get_weights().size() == 3);
}

TEST_CASE("SpectralNormalization: bad arguments and layers without a kernel raise errors naming the layer") {
    CHECK_THROWS_WITH_AS(SpectralNormalization({.layer = Dense({.units = 2}), .name = "sn", .power_iterations = 0}),
                         doctest::Contains("SpectralNormalization 'sn': power_iterations should be greater than zero, "
                                           "got 0"),
                         ValueError);
    CHECK_THROWS_WITH_AS(SpectralNormalization({.layer = Dense({.units = 2}), .power_iterations = -3}),
                         doctest::Contains("got -3"), ValueError);
    CHECK_THROWS_WITH_AS(SpectralNormalization({.name = "empty"}),
                         doctest::Contains("SpectralNormalization 'empty': needs a layer to wrap"), ValueError);
    SpectralNormalization relu({.layer = ReLU({.name = "r"}), .name = "sn_relu"});
    CHECK_THROWS_WITH_AS(relu(Tensor::ones({4, 2})),
                         doctest::Contains("SpectralNormalization 'sn_relu': the wrapped ReLU 'r' has no 'kernel' nor "
                                           "'embeddings' variable"),
                         ValueError);
    SpectralNormalization sn = wrapped_dense(4, 3, 1, 30);
    CHECK_THROWS_WITH_AS(sn(Tensor::ones({2, 5})), doctest::Contains("'sn'"), ShapeError);
    sn->vector_u().assign(Tensor::zeros({1, 3}));
    CHECK_THROWS_WITH_AS(sn(Tensor::ones({2, 4}), true),
                         doctest::Contains("SpectralNormalization 'sn': the spectral norm estimate is 0"), StateError);
}

TEST_CASE("SpectralNormalization: finite-difference gradients of the inference path and of the training forward") {
    SpectralNormalization sn = wrapped_dense(3, 2, 1, 40);
    const std::vector<Variable> trainable = sn->trainable_weights();  // kernel, bias
    std::vector<Tensor> inputs{Tensor::random_uniform({4, 3}, -1.0f, 1.0f, 5)};
    for (const Variable& v : trainable) inputs.push_back(v.value().copy());
    kiln::testing::check_gradients(
        "spectral normalization, inference",
        [sn, trainable](const std::vector<Tensor>& in) {
            for (size_t i = 0; i < trainable.size(); ++i) kiln::testing::bind_variable(trainable[i], in[i + 1]);
            return sn(in[0], false);
        },
        inputs, {.eps = 1e-2f});

    // Training: each call normalizes again, so every evaluation starts from the same kernel and u. The input's
    // gradient is that of the wrapped layer with the normalized kernel.
    const Tensor kernel = sn->kernel().value().copy(), u = sn->vector_u().value().copy();
    kiln::testing::check_gradients(
        "spectral normalization, training forward",
        [sn, kernel, u](const std::vector<Tensor>& in) {
            sn->kernel().assign(kernel);
            sn->vector_u().assign(u);
            return sn(in[0], true);
        },
        {inputs[0]}, {.eps = 1e-2f});

    // The kernel's gradient in training is the wrapped layer's at the assigned kernel, which it now holds: the
    // normalization itself is not differentiated (as in Keras 3).
    sn->kernel().assign(kernel);
    sn->vector_u().assign(u);
    const Tensor x = Tensor::random_uniform({4, 3}, -1.0f, 1.0f, 6);
    std::vector<Tensor> trained;
    {
        GradientTape tape;
        trained = tape.gradient(sum(square(sn(x, true))), std::vector<Tensor>{sn->kernel().value()});
    }
    Dense plain({.units = 2});
    plain->build(Shape{4, 3});
    plain->kernel().assign(sn->kernel().value());
    plain->bias().assign(std::dynamic_pointer_cast<DenseLayer>(sn->layer())->bias().value());
    GradientTape tape;
    const auto want = tape.gradient(sum(square(plain(x))), std::vector<Tensor>{plain->kernel().value()});
    CHECK(allclose(trained[0], want[0], 1e-5f, 1e-6f));
}

TEST_CASE("SpectralNormalization: config with the wrapped layer in Keras 3 object form, read back by the registry") {
    SpectralNormalization sn({.layer = Dense({.name = "d", .units = 3, .activation = "relu"}), .name = "sn",
                              .power_iterations = 2});
    const nlohmann::json c = sn->get_config();
    CHECK(c["name"] == "sn");
    CHECK(c["trainable"] == true);
    CHECK(c["dtype"]["class_name"] == "DTypePolicy");
    CHECK(c["power_iterations"] == 2);
    CHECK(c["layer"]["module"] == "keras.layers");
    CHECK(c["layer"]["class_name"] == "Dense");
    CHECK(c["layer"]["registered_name"].is_null());
    CHECK(c["layer"]["config"]["units"] == 3);
    CHECK(c["layer"]["config"]["activation"] == "relu");
    const LayerPtr again = serialization::layer_from_config("SpectralNormalization", c);
    CHECK(again->class_name() == "SpectralNormalization");
    CHECK(again->get_config() == c);

    // Keras writes the wrapped layer's build_config too.
    nlohmann::json keras = c;
    keras["layer"]["build_config"] = {{"input_shape", {nullptr, 4}}};
    CHECK(serialization::layer_from_config("SpectralNormalization", keras)->get_config() == c);

    nlohmann::json bad = c;
    bad.erase("layer");
    CHECK_THROWS_WITH_AS(serialization::layer_from_config("SpectralNormalization", bad),
                         doctest::Contains("'layer': required"), ValueError);
    bad = c;
    bad["power_iterations"] = 0;
    CHECK_THROWS_WITH_AS(serialization::layer_from_config("SpectralNormalization", bad),
                         doctest::Contains("got 0"), ValueError);
    bad = c;
    bad["momentum"] = 0.5;
    CHECK_THROWS_WITH_AS(serialization::layer_from_config("SpectralNormalization", bad),
                         doctest::Contains("momentum"), ValueError);
    bad = c;
    bad["layer"]["config"]["units"] = -1;
    CHECK_THROWS_WITH_AS(serialization::layer_from_config("SpectralNormalization", bad),
                         doctest::Contains("layer (class 'Dense', name 'd')"), ValueError);
}

TEST_CASE("SpectralNormalization: fit moves the kernel, .keras and .weights.h5 files keep every weight") {
    SpectralNormalization sn({.layer = Dense({.units = 2}), .power_iterations = 2});
    Model model = Sequential({Input({3}), sn, Dense({.units = 1})});
    model.compile({.optimizer = optim::SGD({.learning_rate = 0.05}), .loss = "mse"});
    const Tensor x = Tensor::random_uniform({16, 3}, -1.0f, 1.0f, 7);
    const Tensor y = Tensor::random_uniform({16, 1}, -1.0f, 1.0f, 8);
    const Tensor before = sn->kernel().value().copy(), u_before = sn->vector_u().value().copy();
    model.fit(x, y, {.batch_size = 8, .epochs = 2, .verbose = 0});
    CHECK_FALSE(array_equal(sn->kernel().value(), before));
    CHECK_FALSE(array_equal(sn->vector_u().value(), u_before));

    kiln::testing::TempDir dir;
    model.save(dir.path("sn.keras"));
    const Model loaded = load_model(dir.path("sn.keras"));
    const auto weights = model.get_weights(), again = loaded.get_weights();
    REQUIRE(weights.size() == again.size());
    for (size_t i = 0; i < weights.size(); ++i) CHECK(array_equal(weights[i], again[i]));
    CHECK(array_equal(loaded.predict(x), model.predict(x)));

    model.save_weights(dir.path("sn.weights.h5"));
    SpectralNormalization fresh({.layer = Dense({.units = 2}), .power_iterations = 2});
    const Model other = Sequential({Input({3}), fresh, Dense({.units = 1})});
    other.load_weights(dir.path("sn.weights.h5"));
    CHECK(array_equal(fresh->vector_u().value(), sn->vector_u().value()));
    CHECK(array_equal(other.predict(x), model.predict(x)));
}
