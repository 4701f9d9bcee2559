// Conv2D: values by hand and against a naive loop written here (both data formats, padding, strides,
// dilation, groups, bias and activation), weights, output shapes, validation, gradients (input, kernel and
// bias through the layer) and Keras 3 configs.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include <kiln/kiln.hpp>

#include "layers/bind_variable.hpp"
#include "support/gradcheck.hpp"

using namespace kiln;
using layers::Conv2D;
using layers::Conv2DLayer;

namespace {

struct NaiveConv {
    int64_t stride = 1, dilation = 1, groups = 1;
    bool same = false, channels_first = false, relu = false;
};

// Output size and leading padding along one axis (TensorFlow's "same": ceil(in / stride) outputs, the smaller
// half of the padding before).
std::pair<int64_t, int64_t> naive_axis(int64_t in, int64_t k, const NaiveConv& c) {
    const int64_t span = (k - 1) * c.dilation + 1;
    if (!c.same) return {(in - span) / c.stride + 1, 0};
    const int64_t out = (in + c.stride - 1) / c.stride;
    return {out, std::max<int64_t>(0, (out - 1) * c.stride + span - in) / 2};
}

// The convolution by its definition: y[n, i, j, f] = b[f] + sum over taps and the group's channels, in the
// data format of c (x and y both NHWC or both NCHW), kernel [kh, kw, C/groups, F].
std::vector<double> naive_conv(const Tensor& x, const Tensor& k, const Tensor& b, const NaiveConv& c) {
    const Shape& s = x.shape();
    const int64_t n_batch = s[0], h = c.channels_first ? s[2] : s[1], w = c.channels_first ? s[3] : s[2];
    const int64_t kh = k.dim(0), kw = k.dim(1), group_c = k.dim(2), filters = k.dim(3);
    const auto [oh, ph] = naive_axis(h, kh, c);
    const auto [ow, pw] = naive_axis(w, kw, c);
    auto x_at = [&](int64_t n, int64_t i, int64_t j, int64_t ch) {
        return c.channels_first ? x.at({n, ch, i, j}) : x.at({n, i, j, ch});
    };
    std::vector<double> y(static_cast<size_t>(n_batch * oh * ow * filters));
    for (int64_t n = 0; n < n_batch; ++n)
        for (int64_t i = 0; i < oh; ++i)
            for (int64_t j = 0; j < ow; ++j)
                for (int64_t f = 0; f < filters; ++f) {
                    double total = b.defined() ? b.at({f}) : 0.0;
                    const int64_t group = f / (filters / c.groups);
                    for (int64_t a = 0; a < kh; ++a)
                        for (int64_t bb = 0; bb < kw; ++bb)
                            for (int64_t ci = 0; ci < group_c; ++ci) {
                                const int64_t r = i * c.stride + a * c.dilation - ph;
                                const int64_t q = j * c.stride + bb * c.dilation - pw;
                                if (r < 0 || r >= h || q < 0 || q >= w) continue;
                                total += x_at(n, r, q, group * group_c + ci) * k.at({a, bb, ci, f});
                            }
                    if (c.relu) total = std::max(total, 0.0);
                    const int64_t index = c.channels_first ? ((n * filters + f) * oh + i) * ow + j
                                                           : ((n * oh + i) * ow + j) * filters + f;
                    y[static_cast<size_t>(index)] = total;
                }
    return y;
}

const nlohmann::json kDtype = nlohmann::json::parse(
    R"({"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null})");

}  // namespace

TEST_CASE("Conv2D: a 3x3 image by hand") {
    Conv2D conv({.filters = 1, .kernel_size = 2});
    conv->build({1, 3, 3, 1});
    conv->set_weights({Tensor({1, 2, 3, 4}, {2, 2, 1, 1}), Tensor{10.0f}});
    // x = [[1,2,3],[4,5,6],[7,8,9]]; y[i,j] = 1*x[i,j] + 2*x[i,j+1] + 3*x[i+1,j] + 4*x[i+1,j+1] + 10.
    const Tensor y = conv(Tensor({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 3, 3, 1}));
    CHECK(y.shape() == Shape{1, 2, 2, 1});
    CHECK(y.to_vector() ==
          std::vector<float>{1 + 4 + 12 + 20 + 10, 2 + 6 + 15 + 24 + 10, 4 + 10 + 21 + 32 + 10, 5 + 12 + 24 + 36 + 10});
}

TEST_CASE("Conv2D: against a naive loop in both data formats") {
    struct Case {
        layers::Conv2DOptions options;
        NaiveConv naive;
    };
    for (bool first : {false, true}) {
        const std::string format = first ? "channels_first" : "channels_last";
        const std::vector<Case> cases = {
            {{.filters = 3, .kernel_size = {3, 2}, .data_format = format}, {.channels_first = first}},
            {{.filters = 2,
              .kernel_size = 3,
              .strides = 2,
              .padding = "same",
              .data_format = format,
              .activation = "relu"},
             {.stride = 2, .same = true, .channels_first = first, .relu = true}},
            {{.filters = 2, .kernel_size = 2, .padding = "same", .data_format = format, .dilation_rate = 2},
             {.dilation = 2, .same = true, .channels_first = first}},
            {{.filters = 4, .kernel_size = 3, .data_format = format, .groups = 2, .use_bias = false},
             {.groups = 2, .channels_first = first}},
        };
        for (size_t i = 0; i < cases.size(); ++i) {
            CAPTURE(format);
            CAPTURE(i);
            Conv2D conv(cases[i].options);
            const Shape shape = first ? Shape{2, 4, 6, 7} : Shape{2, 6, 7, 4};
            const Tensor x = Tensor::random_uniform(shape, -1.0f, 1.0f, 10 + i);
            conv->build(shape);
            if (conv->bias().defined())
                conv->bias().assign(Tensor::random_uniform({conv->options().filters}, -1, 1, 3));
            const Tensor y = conv(x);
            CHECK(y.shape() == conv->compute_output_shape(shape));
            const std::vector<double> expected = naive_conv(
                x, conv->kernel().value(), conv->bias().defined() ? conv->bias().value() : Tensor(), cases[i].naive);
            REQUIRE(static_cast<size_t>(y.size()) == expected.size());
            for (int64_t e = 0; e < y.size(); ++e) CHECK(y.data()[e] == doctest::Approx(expected[e]).epsilon(1e-4));
        }
    }
}

TEST_CASE("Conv2D: weights, names and shapes as Keras (the same kernel layout in both data formats)") {
    Conv2D conv({.name = "conv_w", .filters = 6, .kernel_size = 3, .data_format = "channels_first", .groups = 2});
    conv(Tensor::ones({1, 4, 5, 5}));
    const auto w = conv->weights();
    REQUIRE(w.size() == 2);
    CHECK(w[0].name() == "conv_w/kernel");
    CHECK(w[0].shape() == Shape{3, 3, 2, 6});
    CHECK(w[1].name() == "conv_w/bias");
    CHECK(w[1].shape() == Shape{6});
    CHECK(conv->count_params() == 3 * 3 * 2 * 6 + 6);
    CHECK(Conv2D({.filters = 1, .kernel_size = 1})->name().rfind("conv2d", 0) == 0);
    // glorot_uniform over fans 3*3*2 and 3*3*6.
    const double limit = std::sqrt(6.0 / (3 * 3 * 2 + 3 * 3 * 6));
    for (float v : w[0].value().to_vector()) CHECK(std::fabs(v) <= limit);
}

TEST_CASE("Conv2D: compute_output_shape for valid and same padding with strides") {
    CHECK(Conv2D({.filters = 5, .kernel_size = 3, .strides = 2})->compute_output_shape({1, 7, 8, 3}) ==
          Shape{1, 3, 3, 5});
    CHECK(
        Conv2D({.filters = 5, .kernel_size = 3, .strides = 2, .padding = "same"})->compute_output_shape({1, 7, 8, 3}) ==
        Shape{1, 4, 4, 5});
    CHECK(Conv2D({.filters = 5, .kernel_size = {1, 3}, .strides = {1, 3}, .data_format = "channels_first"})
              ->compute_output_shape({2, 3, 7, 10}) == Shape{2, 5, 7, 3});
    CHECK(Conv2D({.filters = 2, .kernel_size = 3, .dilation_rate = 2})->compute_output_shape({1, 9, 9, 1}) ==
          Shape{1, 5, 5, 2});
    CHECK_THROWS_AS(Conv2D({.filters = 2, .kernel_size = 5})->compute_output_shape({1, 4, 4, 1}), ShapeError);
    CHECK_THROWS_AS(Conv2D({.filters = 2, .kernel_size = 1})->compute_output_shape({4, 4, 1}), ShapeError);
}

TEST_CASE("Conv2D: validation errors name the layer") {
    CHECK_THROWS_WITH_AS(Conv2D({.name = "c", .filters = 0, .kernel_size = 3}),
                         doctest::Contains("Conv2D 'c': filters must be a positive integer"), ValueError);
    CHECK_THROWS_WITH_AS(Conv2D({.filters = 2}), doctest::Contains("kernel_size must be positive"), ValueError);
    CHECK_THROWS_WITH_AS(Conv2D({.filters = 2, .kernel_size = 3, .strides = {1, 0}}),
                         doctest::Contains("strides must be positive"), ValueError);
    CHECK_THROWS_WITH_AS(Conv2D({.filters = 2, .kernel_size = 3, .strides = 2, .dilation_rate = {1, 2}}),
                         doctest::Contains("strides > 1 is not supported together with dilation_rate > 1"), ValueError);
    CHECK_THROWS_WITH_AS(Conv2D({.filters = 3, .kernel_size = 3, .groups = 2}),
                         doctest::Contains("filters must be divisible by groups"), ValueError);
    CHECK_THROWS_WITH_AS(Conv2D({.filters = 2, .kernel_size = 3, .padding = "full"}), doctest::Contains("padding"),
                         ValueError);
    CHECK_THROWS_WITH_AS(Conv2D({.filters = 2, .kernel_size = 3, .data_format = "nhwc"}),
                         doctest::Contains("data_format"), ValueError);
    CHECK_THROWS_AS(Conv2D({.filters = 2, .kernel_size = 3, .activation = "bogus"}), ValueError);
    CHECK_THROWS_AS(Conv2D({.filters = 2, .kernel_size = 3, .activity_regularizer = regularizers::get("l1")}),
                    NotImplementedError);
    CHECK_THROWS_WITH_AS(Conv2D({.filters = 2, .kernel_size = 1, .groups = 2})(Tensor::ones({1, 3, 3, 3})),
                         doctest::Contains("input channels must be divisible by groups"), ValueError);
    Conv2D conv({.name = "conv_err", .filters = 2, .kernel_size = 1});
    CHECK_THROWS_WITH_AS(conv(Tensor::ones({3, 3, 3})),
                         doctest::Contains("Conv2D 'conv_err': expected an input of rank 4"), ShapeError);
    conv(Tensor::ones({1, 3, 3, 3}));
    CHECK_THROWS_WITH_AS(
        conv(Tensor::ones({1, 3, 3, 2})),
        doctest::Contains("Conv2D 'conv_err': expected axis 3 of the input to have size 3, got shape [1,3,3,2]"),
        ShapeError);
}

TEST_CASE("Conv2D: gradients with respect to the input, the kernel and the bias in both data formats") {
    for (const char* format : {"channels_last", "channels_first"}) {
        Conv2D conv({.filters = 2,
                     .kernel_size = 3,
                     .strides = 2,
                     .padding = "same",
                     .data_format = format,
                     .activation = "tanh"});
        const bool first = std::string(format) == "channels_first";
        const Shape shape = first ? Shape{2, 3, 5, 4} : Shape{2, 5, 4, 3};
        conv->build(shape);
        testing::check_gradients(
            format,
            [&conv](const std::vector<Tensor>& in) {
                testing::bind_variable(conv->kernel(), in[1]);
                testing::bind_variable(conv->bias(), in[2]);
                return conv(in[0]);
            },
            {testing::random_input(shape, 5), testing::random_input({3, 3, 3, 2}, 6), testing::random_input({2}, 7)});
    }
}

TEST_CASE("Conv2D: get_config is Keras 3's default config") {
    Conv2D conv({.name = "conv_cfg", .filters = 32, .kernel_size = 3});
    nlohmann::json expected = nlohmann::json::parse(R"({
      "name": "conv_cfg", "trainable": true,
      "filters": 32, "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid", "data_format": "channels_last",
      "dilation_rate": [1, 1], "groups": 1, "activation": "linear", "use_bias": true,
      "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null},
                             "registered_name": null},
      "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {},
                           "registered_name": null},
      "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
      "kernel_constraint": null, "bias_constraint": null})");
    expected["dtype"] = kDtype;
    CHECK(conv->get_config() == expected);
}

TEST_CASE("Conv2D: from_config round trips, reads ints and any case, rejects what it does not support") {
    Conv2D conv({.name = "conv_rt",
                 .filters = 4,
                 .kernel_size = {3, 1},
                 .strides = {2, 1},
                 .padding = "SAME",
                 .data_format = "Channels_First",
                 .groups = 2,
                 .activation = "relu",
                 .use_bias = false,
                 .kernel_initializer = std::make_shared<HeUniform>(3),
                 .kernel_regularizer = regularizers::get("l2"),
                 .bias_constraint = std::make_shared<MaxNorm>()});
    const nlohmann::json config = conv->get_config();
    CHECK(config["padding"] == "same");
    CHECK(config["data_format"] == "channels_first");
    CHECK(config["kernel_size"] == nlohmann::json::array({3, 1}));
    CHECK(Conv2DLayer::from_config(config)->get_config() == config);
    CHECK(serialization::deserialize_layer(serialization::serialize_layer(*conv))->get_config() == config);

    nlohmann::json ints = config;
    ints["kernel_size"] = 5;
    ints["strides"] = nlohmann::json::array({1});
    ints["dilation_rate"] = 2;
    const auto from_ints = Conv2DLayer::from_config(ints);
    CHECK(from_ints->get_config()["kernel_size"] == nlohmann::json::array({5, 5}));
    CHECK(from_ints->get_config()["strides"] == nlohmann::json::array({1, 1}));
    CHECK(from_ints->get_config()["dilation_rate"] == nlohmann::json::array({2, 2}));

    nlohmann::json three = config;
    three["kernel_size"] = nlohmann::json::array({3, 3, 3});
    CHECK_THROWS_WITH_AS(Conv2DLayer::from_config(three), doctest::Contains("'kernel_size'"), ValueError);
    nlohmann::json lora = config;
    lora["lora_rank"] = 2;
    CHECK_THROWS_WITH_AS(Conv2DLayer::from_config(lora), doctest::Contains("Conv2D config key 'lora_rank'"),
                         NotImplementedError);
    nlohmann::json unknown = config;
    unknown["kernel"] = 3;
    CHECK_THROWS_WITH_AS(Conv2DLayer::from_config(unknown), doctest::Contains("unknown keys 'kernel'"), ValueError);
    nlohmann::json no_filters = config;
    no_filters.erase("filters");
    CHECK_THROWS_WITH_AS(Conv2DLayer::from_config(no_filters), doctest::Contains("'filters': required"), ValueError);
}
