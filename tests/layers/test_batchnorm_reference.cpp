// Every case of shared/reference/batchnorm_cases.json, read from the file and run through the public API:
// outputs, moving statistics after each call, and dx, dgamma, dbeta, to rtol 1e-4 / atol 1e-5. The runner
// follows the file's schema, not its particular cases, so other cases of the same kinds run the same way.
//
// One allowance: the reference is float64 truth for float64 inputs, and kiln's tensors are float32. Where an
// input is not representable in float32 (values near 1000 have a spacing of 6e-5), no float32 implementation
// can reach atol 1e-5; a float64 computation on the rounded inputs misses it too. The rounding error r of the
// inputs is measured, and its first-order effect, bounded by 4 * r / sigma_min * (output scale), is added to the
// tolerance. For inputs of ordinary size this is below 1e-6 and the stated tolerance holds as it is.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include <kiln/kiln.hpp>

#include "support/shared_data.hpp"

using namespace kiln;
using nlohmann::json;

namespace {

constexpr double kRtol = 1e-4;
constexpr double kAtol = 1e-5;

std::vector<float> floats(const json& j) { return j.get<std::vector<float>>(); }

// The smallest per-channel standard deviation of the float64 input (normalized axes from the config).
double min_channel_sigma(const json& c) {
    const std::vector<int64_t> shape = c.at("shape").get<std::vector<int64_t>>();
    const int64_t rank = static_cast<int64_t>(shape.size());
    std::vector<int64_t> axes;
    if (c["config"]["axis"].is_array()) axes = c["config"]["axis"].get<std::vector<int64_t>>();
    else axes = {c["config"]["axis"].get<int64_t>()};
    for (int64_t& a : axes) a = a < 0 ? a + rank : a;
    const std::vector<double> x = c.at("x").get<std::vector<double>>();
    std::map<int64_t, std::pair<double, double>> sums;  // channel -> (sum, sum of squares)
    std::map<int64_t, double> counts;
    for (size_t e = 0; e < x.size(); ++e) {
        int64_t rest = static_cast<int64_t>(e), channel = 0, stride = 1;
        for (int64_t d = rank - 1; d >= 0; --d) {
            const int64_t coord = rest % shape[d];
            rest /= shape[d];
            if (std::find(axes.begin(), axes.end(), d) != axes.end()) {
                channel += coord * stride;
                stride *= shape[d];
            }
        }
        sums[channel].first += x[e];
        sums[channel].second += x[e] * x[e];
        counts[channel] += 1;
    }
    double sigma = INFINITY;
    const double eps = c["config"].value("epsilon", 1e-3);
    for (const auto& [channel, s] : sums) {
        const double mean = s.first / counts[channel];
        sigma = std::min(sigma, std::sqrt(std::max(0.0, s.second / counts[channel] - mean * mean) + eps));
    }
    return sigma;
}

// The first-order effect of rounding the inputs to float32, per unit of output scale (see the file comment).
double rounding_slack(const json& c, const Tensor& x) {
    const std::vector<double> exact = c.at("x").get<std::vector<double>>();
    double r = 0;
    for (size_t i = 0; i < exact.size(); ++i) r = std::max(r, std::fabs(exact[i] - x.data()[i]));
    return 4.0 * r / min_channel_sigma(c);
}

double slack_per_scale = 0.0;  // set per case

void check_close(const std::string& what, const Tensor& got, const json& expected) {
    const std::vector<double> want = expected.get<std::vector<double>>();
    double scale = 1.0;
    for (double w : want) scale = std::max(scale, std::fabs(w));
    const double atol = kAtol + slack_per_scale * scale;
    REQUIRE_MESSAGE(got.size() == static_cast<int64_t>(want.size()), what, ": size ", got.size(), " vs ", want.size());
    int bad = 0;
    for (size_t i = 0; i < want.size(); ++i) {
        const double g = got.data()[i];
        if (!(std::fabs(g - want[i]) <= atol + kRtol * std::fabs(want[i]))) {
            if (++bad <= 3) FAIL_CHECK(what, "[", i, "]: got ", g, ", expected ", want[i]);
        }
    }
    CHECK_MESSAGE(bad == 0, what, ": ", bad, " of ", want.size(), " values differ");
}

Variable weight_named(const Layer& layer, const std::string& name) {
    for (const Variable& v : layer.weights())
        if (v.name() == layer.name() + "/" + name) return v;
    FAIL("no weight named ", name);
    return {};
}

void run_case(const json& c) {
    const std::string name = c.at("name");
    INFO("case ", name);
    const Shape shape = c.at("shape").get<std::vector<int64_t>>();

    // The config is a Keras config: build the layer through from_config, then add what configs cannot hold.
    auto layer = layers::BatchNormalizationLayer::from_config(c.at("config"));
    if (c.contains("adjustment")) {
        layers::BatchNormalizationOptions options = layer->options();
        const Tensor scale(floats(c["adjustment"]["scale"]), {static_cast<int64_t>(c["adjustment"]["scale"].size())});
        const Tensor bias(floats(c["adjustment"]["bias"]), {static_cast<int64_t>(c["adjustment"]["bias"].size())});
        options.adjustment = [scale, bias](const Shape&) { return std::pair{scale, bias}; };
        options.name = "";
        layer = std::make_shared<layers::BatchNormalizationLayer>(options);
    }
    layer->build(shape);
    for (const auto& [wname, values] : c.at("initial_weights").items()) {
        Variable v = weight_named(*layer, wname);
        v.assign(Tensor(floats(values), v.shape()));
    }
    REQUIRE(layer->weights().size() == c.at("initial_weights").size());

    const Tensor x(floats(c.at("x")), shape);
    slack_per_scale = rounding_slack(c, x);
    INFO("input rounding slack per unit of output: ", slack_per_scale);
    Tensor mask;
    if (c.contains("mask")) mask = Tensor(floats(c["mask"]), c["mask_shape"].get<std::vector<int64_t>>());

    int call_index = 0;
    for (const json& call : c.at("calls")) {
        INFO("call ", call_index, " training=", call.at("training").get<bool>());
        const bool training = call.at("training");
        if (call.contains("dy")) {
            GradientTape tape;
            tape.watch(x);
            std::vector<Tensor> sources{x};
            // Watch gamma and beta explicitly: they are not trainable (so not auto-watched) when the layer is frozen.
            for (const char* p : {"gamma", "beta"})
                if (c["initial_weights"].contains(p)) {
                    tape.watch(weight_named(*layer, p));
                    sources.push_back(weight_named(*layer, p).value());
                }
            Tensor y = (*layer)(x, training, mask);
            check_close("y", y, call.at("y"));
            const Tensor dy(floats(call.at("dy")), shape);
            std::vector<Tensor> grads = tape.gradient(sum(y * dy), sources);
            check_close("dx", grads[0], call.at("dx"));
            size_t k = 1;
            for (const char* p : {"gamma", "beta"}) {
                if (!c["initial_weights"].contains(p)) continue;
                const std::string key = std::string("d") + p;
                if (call.contains(key)) check_close(key, grads[k], call.at(key));
                ++k;
            }
        } else {
            check_close("y", (*layer)(x, training, mask), call.at("y"));
        }
        for (const auto& [wname, values] : call.at("weights_after").items())
            check_close(wname + " after call", weight_named(*layer, wname).value(), values);
        ++call_index;
    }
}

}  // namespace

TEST_CASE("batchnorm reference: every case in shared/reference/batchnorm_cases.json") {
    const std::string path = kiln::testing::shared_dir() + "/reference/batchnorm_cases.json";
    std::ifstream in(path);
    REQUIRE_MESSAGE(in.good(), "cannot open ", path, " (set KILN_SHARED_DIR to the shared/ folder)");
    const json data = json::parse(in);
    REQUIRE(data.at("cases").size() > 0);
    for (const json& c : data.at("cases")) run_case(c);
}
