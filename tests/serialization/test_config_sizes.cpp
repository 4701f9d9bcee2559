// Configs with absurd sizes (10^18, 2^62, 2^63 - 1, -1, 0 where a positive size is needed) give a kiln::Error
// naming the layer's place in the config and the key, never a crash, UB or an allocation the machine cannot satisfy.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include <limits>

using namespace kiln;

namespace {

nlohmann::json layer(const std::string& cls, nlohmann::json config) {
    config["name"] = "probe_layer";
    return {{"module", "keras.layers"}, {"class_name", cls}, {"config", config}, {"registered_name", nullptr}};
}

// A Keras 3 Sequential config: an InputLayer of `batch_shape` then `item`.
std::string sequential(const nlohmann::json& batch_shape, const nlohmann::json& item) {
    const nlohmann::json input = {{"module", "keras.layers"},
                                  {"class_name", "InputLayer"},
                                  {"config", {{"batch_shape", batch_shape}, {"dtype", "float32"}, {"name", "input_layer"}}},
                                  {"registered_name", nullptr}};
    return nlohmann::json{{"module", "keras"},
                          {"class_name", "Sequential"},
                          {"config", {{"name", "s"}, {"layers", {input, item}}}},
                          {"registered_name", nullptr}}
        .dump();
}

const std::vector<int64_t> kAbsurd{int64_t{1000000000000000000}, int64_t{1} << 62,
                                   std::numeric_limits<int64_t>::max(), -1, 0};

// `key` empty: a size the config may hold (an input dimension of 0) that a later layer cannot work with, so the
// error names the layer's place only.
void check_refused(const std::string& text, const std::string& what, const std::string& key = "") {
    CAPTURE(what);
    try {
        (void)model_from_json(text);
        FAIL("model_from_json accepted it");
    } catch (const Error& e) {
        const std::string message = e.what();
        CAPTURE(message);
        CHECK(message.find("config.layers[") != std::string::npos);
        if (!key.empty()) CHECK(message.find(cat("config key '", key, "'")) != std::string::npos);
    }
}

}  // namespace

TEST_CASE("config sizes: absurd units, filters, kernel sizes, strides and input shapes are kiln errors") {
    for (const int64_t v : kAbsurd) {
        CAPTURE(v);
        const std::string input_key = v == 0 ? "" : "batch_shape";  // a dimension of 0 is a valid shape
        check_refused(sequential({nullptr, 8}, layer("Dense", {{"units", v}})), "Dense units", "units");
        check_refused(sequential({nullptr, v}, layer("Dense", {{"units", 4}})), "input size before Dense", input_key);
        check_refused(sequential({nullptr, v, v}, layer("Dense", {{"units", 4}})), "2-D input before Dense", input_key);
        check_refused(sequential({nullptr, 8, 8, 1}, layer("Conv2D", {{"filters", v}, {"kernel_size", {3, 3}}})), "Conv2D filters", "filters");
        check_refused(sequential({nullptr, 8, 8, 1}, layer("Conv2D", {{"filters", 2}, {"kernel_size", {v, v}}})), "Conv2D kernel_size", "kernel_size");
        check_refused(sequential({nullptr, v, v, 1}, layer("Conv2D", {{"filters", 2}, {"kernel_size", {3, 3}}})), "Conv2D input", input_key);
        check_refused(sequential({nullptr, 8, 8, 1}, layer("Conv2D", {{"filters", 2}, {"kernel_size", {3, 3}}, {"strides", {v, 1}}})), "Conv2D strides", "strides");
        check_refused(sequential({nullptr, 8, 8, 1}, layer("Conv2D", {{"filters", 2}, {"kernel_size", {3, 3}}, {"dilation_rate", {v, v}}})), "Conv2D dilation_rate", "dilation_rate");
        check_refused(sequential({nullptr, 8, 8, 1}, layer("MaxPooling2D", {{"pool_size", {v, v}}})), "pool_size", "pool_size");
        check_refused(sequential({nullptr, v}, layer("BatchNormalization", nlohmann::json::object())), "BN channels", input_key);
    }
}

TEST_CASE("config sizes: integers beyond int64 and floats beyond int64 are refused naming the key, not wrapped") {
    for (const char* units : {"18446744073709551615", "1e300", "-1e300", "9.3e18"}) {
        CAPTURE(units);
        std::string text = sequential({nullptr, 8}, layer("Dense", {{"units", 1}}));
        const std::string one = "\"units\":1";
        REQUIRE(text.find(one) != std::string::npos);
        text.replace(text.find(one), one.size(), cat("\"units\":", units));
        check_refused(text, "units", "units");
    }
}

TEST_CASE("Shape::numel refuses products that overflow int64, naming the shape") {
    CHECK(Shape{int64_t{1} << 31, int64_t{1} << 31}.numel() == int64_t{1} << 62);
    CHECK_THROWS_WITH_AS(Shape({int64_t{1} << 32, int64_t{1} << 32}).numel(), doctest::Contains("[4294967296,4294967296]"),
                         ShapeError);
    CHECK(Shape{-1, 784}.numel() == -784);  // an unknown (-1) size keeps its old meaning
}

TEST_CASE("compute_fans refuses overflowing fans even when a zero size keeps numel small") {
    const Shape shape{int64_t{1} << 32, int64_t{1} << 32, 0, 1};  // receptive field 2^64
    CHECK(shape.numel() == 0);
    CHECK_THROWS_AS(initializers::compute_fans(shape), ShapeError);
}

TEST_CASE("add_weight refuses variables above max_variable_elements, and the limit can be raised") {
    const int64_t saved = max_variable_elements();
    CHECK(saved == int64_t{1} << 31);
    set_max_variable_elements(100);
    auto small = layers::Dense({.units = 10});
    CHECK_NOTHROW(small(Tensor::zeros({1, 9})));  // 90 elements
    auto big = layers::Dense({.name = "too_big", .units = 11});
    CHECK_THROWS_WITH_AS(big(Tensor::zeros({1, 10})), doctest::Contains("'kernel' of shape [10,11] has 110 elements"),
                         MemoryError);
    CHECK_THROWS_AS(set_max_variable_elements(0), ValueError);
    set_max_variable_elements(saved);
}

TEST_CASE("tensor storage larger than the machine's memory is a MemoryError before any allocation") {
    CHECK_THROWS_WITH_AS(Tensor::zeros({int64_t{1} << 40, 1024}), doctest::Contains("do not fit in this machine"),
                         MemoryError);
}
