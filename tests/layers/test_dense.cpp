// Dense: values by hand and by a naive product written here, weights, regularization and constraints, errors,
// gradients (input, kernel and bias through the layer) and Keras 3 configs.
#include <doctest/doctest.h>

#include <cmath>

#include <kiln/kiln.hpp>

#include "layers/bind_variable.hpp"
#include "support/gradcheck.hpp"

using namespace kiln;
using layers::Dense;
using layers::DenseLayer;

namespace {

// y[r, u] = sum_i x[r, i] * k[i, u] + b[u] over the rows of x flattened to [rows, in].
std::vector<float> naive_dense(const Tensor& x, const Tensor& k, const Tensor& b) {
    const int64_t in = k.dim(0), units = k.dim(1), rows = x.size() / in;
    std::vector<float> y;
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t u = 0; u < units; ++u) {
            double total = b.defined() ? b.data()[u] : 0.0;
            for (int64_t i = 0; i < in; ++i)
                total += static_cast<double>(x.data()[r * in + i]) * k.data()[i * units + u];
            y.push_back(static_cast<float>(total));
        }
    return y;
}

}  // namespace

TEST_CASE("Dense: a 2x3 input by hand, with bias and relu") {
    Dense dense({.units = 2, .activation = "relu"});
    dense->build({2, 3});
    dense->set_weights({Tensor({1, 0, 0, 1, 1, -1}, {3, 2}), Tensor{0.5f, -1.0f}});
    const Tensor y = dense(Tensor({1, 2, 3, 4, 5, 6}, {2, 3}));
    // Row 1: [1+3, 2-3] + [0.5, -1] = [4.5, -2] -> relu [4.5, 0]; row 2: [4+6, 5-6] + b = [10.5, -2] -> [10.5, 0].
    CHECK(y.shape() == Shape{2, 2});
    CHECK(y.to_vector() == std::vector<float>{4.5f, 0.0f, 10.5f, 0.0f});
}

TEST_CASE("Dense: a rank-3 input is multiplied along its last axis") {
    Dense dense({.units = 3});
    const Tensor x = Tensor::random_uniform({2, 4, 5}, -1.0f, 1.0f, 3);
    const Tensor y = dense(x);
    CHECK(y.shape() == Shape{2, 4, 3});
    CHECK(dense->compute_output_shape({2, 4, 5}) == Shape{2, 4, 3});
    const std::vector<float> expected = naive_dense(x, dense->kernel().value(), dense->bias().value());
    for (int64_t i = 0; i < y.size(); ++i) CHECK(y.data()[i] == doctest::Approx(expected[i]).epsilon(1e-5));
}

TEST_CASE("Dense: without bias there is only a kernel") {
    Dense dense({.name = "nobias", .units = 2, .use_bias = false});
    dense->build({1, 2});
    dense->set_weights({Tensor({1, 2, 3, 4}, {2, 2})});
    CHECK(!dense->bias().defined());
    CHECK(dense->count_params() == 4);
    // [1, 1] @ [[1, 2], [3, 4]] = [4, 6]
    CHECK(dense(Tensor({1, 1}, {1, 2})).to_vector() == std::vector<float>{4.0f, 6.0f});
}

TEST_CASE("Dense: weight names, order, shapes and count_params") {
    Dense dense({.name = "dense_w", .units = 4});
    CHECK(dense->weights().empty());
    dense(Tensor::ones({2, 3}));
    const auto w = dense->weights();
    REQUIRE(w.size() == 2);
    CHECK(w[0].name() == "dense_w/kernel");
    CHECK(w[0].shape() == Shape{3, 4});
    CHECK(w[1].name() == "dense_w/bias");
    CHECK(w[1].shape() == Shape{4});
    CHECK(dense->trainable_weights().size() == 2);
    CHECK(dense->count_params() == 3 * 4 + 4);
    CHECK(Dense({.units = 1})->name().rfind("dense", 0) == 0);
}

TEST_CASE("Dense: glorot_uniform kernel within +-sqrt(6 / (fan_in + fan_out)) and zero bias") {
    Dense dense({.units = 30});
    dense->build({1, 20});
    const double limit = std::sqrt(6.0 / (20 + 30));
    const Tensor k = dense->kernel().value();
    double largest = 0.0;
    for (float v : k.to_vector()) {
        CHECK(std::fabs(v) <= limit);
        largest = std::max(largest, static_cast<double>(std::fabs(v)));
    }
    CHECK(largest > 0.9 * limit);  // 600 uniform draws reach close to the bound
    CHECK(dense->bias().value().to_vector() == std::vector<float>(30, 0.0f));
}

TEST_CASE("Dense: regularizer losses and constraints") {
    Dense dense({.units = 2,
                 .kernel_regularizer = std::make_shared<L2>(0.1),
                 .bias_regularizer = std::make_shared<L1>(0.5),
                 .kernel_constraint = constraints::get("non_neg"),
                 .bias_constraint = std::make_shared<MaxNorm>()});
    dense->build({3, 2});
    dense->set_weights({Tensor({1, -2, 3, -4}, {2, 2}), Tensor{3.0f, -4.0f}});
    const auto losses = dense->losses();
    REQUIRE(losses.size() == 2);
    CHECK(losses[0].item() == doctest::Approx(0.1 * (1 + 4 + 9 + 16)));
    CHECK(losses[1].item() == doctest::Approx(0.5 * (3 + 4)));
    dense->apply_constraints();
    CHECK(dense->kernel().value().to_vector() == std::vector<float>{1, 0, 3, 0});
    // max_norm(2) over axis 0 of the bias: norm 5 -> scaled by 2 / (1e-7 + 5).
    CHECK(dense->bias().value().at({0}) == doctest::Approx(3.0 * 2.0 / 5.0));
    CHECK(dense->bias().value().at({1}) == doctest::Approx(-4.0 * 2.0 / 5.0));
}

TEST_CASE("Dense: errors name the layer and the shapes") {
    Dense dense({.name = "dense_err", .units = 2});
    dense(Tensor::ones({2, 3}));
    CHECK_THROWS_WITH_AS(
        dense(Tensor::ones({2, 4})),
        doctest::Contains("Dense 'dense_err': expected axis -1 of the input to have size 3, got shape [2,4]"),
        ShapeError);
    CHECK_THROWS_WITH_AS(Dense({.units = 2})(Tensor::ones({3})), doctest::Contains("rank >= 2, got shape [3]"),
                         ShapeError);
    CHECK_THROWS_WITH_AS(Dense({.name = "d0", .units = 0}), doctest::Contains("Dense 'd0': units must be a positive"),
                         ValueError);
    CHECK_THROWS_AS(Dense({.units = -3}), ValueError);
    CHECK_THROWS_WITH_AS(Dense({.units = 2, .activation = "relu7"}), doctest::Contains("unknown activation 'relu7'"),
                         ValueError);
    CHECK_THROWS_AS(Dense({.units = 2, .activity_regularizer = regularizers::get("l2")}), NotImplementedError);
}

TEST_CASE("Dense: gradients with respect to the input, the kernel and the bias") {
    Dense dense({.units = 3, .activation = "tanh"});
    dense->build({4, 5});
    testing::check_gradients(
        "Dense",
        [&dense](const std::vector<Tensor>& in) {
            testing::bind_variable(dense->kernel(), in[1]);
            testing::bind_variable(dense->bias(), in[2]);
            return dense(in[0]);
        },
        {testing::random_input({2, 2, 5}, 1), testing::random_input({5, 3}, 2), testing::random_input({3}, 3)});
}

TEST_CASE("Dense: get_config is Keras 3's default config") {
    Dense dense({.name = "dense_cfg", .units = 10});
    const nlohmann::json expected = nlohmann::json::parse(R"({
      "name": "dense_cfg", "trainable": true,
      "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
      "units": 10, "activation": "linear", "use_bias": true,
      "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null},
                             "registered_name": null},
      "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {},
                           "registered_name": null},
      "kernel_regularizer": null, "bias_regularizer": null, "kernel_constraint": null, "bias_constraint": null})");
    CHECK(dense->get_config() == expected);
}

TEST_CASE("Dense: from_config round trips, reads tf.keras and Keras 3 extras at their defaults, rejects the rest") {
    Dense dense({.name = "dense_rt",
                 .trainable = false,
                 .units = 7,
                 .activation = "swish",
                 .use_bias = false,
                 .kernel_initializer = std::make_shared<HeNormal>(5),
                 .bias_initializer = std::make_shared<Constant>(0.5),
                 .kernel_regularizer = std::make_shared<L1L2>(0.01, 0.02),
                 .bias_regularizer = std::make_shared<L2>(0.3),
                 .kernel_constraint = std::make_shared<UnitNorm>(1),
                 .bias_constraint = constraints::get("non_neg")});
    const nlohmann::json config = dense->get_config();
    CHECK(config["activation"] == "silu");
    CHECK(DenseLayer::from_config(config)->get_config() == config);
    const LayerPtr restored = serialization::deserialize_layer(serialization::serialize_layer(*dense));
    CHECK(restored->class_name() == "Dense");
    CHECK(restored->get_config() == config);

    nlohmann::json extras = config;
    extras["activity_regularizer"] = nullptr;  // tf.keras always writes it
    extras["lora_rank"] = nullptr;
    extras["quantization_config"] = nullptr;  // Keras >= 3.13
    CHECK(DenseLayer::from_config(extras)->get_config() == config);

    nlohmann::json lora = config;
    lora["lora_rank"] = 4;
    CHECK_THROWS_WITH_AS(DenseLayer::from_config(lora), doctest::Contains("Dense config key 'lora_rank'"),
                         NotImplementedError);
    nlohmann::json activity = config;
    activity["activity_regularizer"] = regularizers::serialize(L2(0.1));
    CHECK_THROWS_WITH_AS(DenseLayer::from_config(activity), doctest::Contains("'activity_regularizer'"),
                         NotImplementedError);
    nlohmann::json unknown = config;
    unknown["unitz"] = 3;
    CHECK_THROWS_WITH_AS(DenseLayer::from_config(unknown), doctest::Contains("unknown keys 'unitz'"), ValueError);
    nlohmann::json no_units = config;
    no_units.erase("units");
    CHECK_THROWS_WITH_AS(DenseLayer::from_config(no_units), doctest::Contains("'units': required"), ValueError);
}
