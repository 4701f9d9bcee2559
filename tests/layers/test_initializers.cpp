// Initializers: fans, constant fills, sample statistics against the Keras formulas (computed here), truncation,
// seeding and set_random_seed, lookup by every Keras name, the three JSON forms, config round trips, errors.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>
#include <kiln/layers/initializers.hpp>

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

using namespace kiln;
using nlohmann::json;

namespace {

// Mean, standard deviation and range of a tensor, in double precision.
struct Stats {
    double mean = 0.0;
    double std = 0.0;
    double min = 0.0;
    double max = 0.0;
};

Stats stats(const Tensor& t) {
    Stats s;
    const float* p = t.data();
    s.min = s.max = p[0];
    for (int64_t i = 0; i < t.size(); ++i) {
        s.mean += p[i];
        s.min = std::min<double>(s.min, p[i]);
        s.max = std::max<double>(s.max, p[i]);
    }
    s.mean /= static_cast<double>(t.size());
    for (int64_t i = 0; i < t.size(); ++i) s.std += (p[i] - s.mean) * (p[i] - s.mean);
    s.std = std::sqrt(s.std / static_cast<double>(t.size()));
    return s;
}

// Checks the sample mean and std against the expected ones within 5 standard errors of the mean (which is looser
// than 5 standard errors of the std for the normal, uniform and truncated normal distributions).
void check_moments(const Tensor& t, double mean, double std) {
    const Stats s = stats(t);
    const double tolerance = 5.0 * std / std::sqrt(static_cast<double>(t.size()));
    CHECK(std::fabs(s.mean - mean) <= tolerance);
    CHECK(std::fabs(s.std - std) <= tolerance);
}

// Standard deviation of a standard normal truncated to [-2, 2]: sqrt(1 - 2*2*pdf(2) / (cdf(2) - cdf(-2))).
double truncated_unit_std() {
    const double pdf2 = std::exp(-2.0) / std::sqrt(2.0 * std::numbers::pi);
    const double mass = std::erf(2.0 / std::sqrt(2.0));
    return std::sqrt(1.0 - 4.0 * pdf2 / mass);
}

// A dense kernel with fan_in 200 and fan_out 500, large enough for tight statistics.
const Shape kDense{200, 500};

}  // namespace

TEST_CASE("initializers: compute_fans for scalars, vectors, dense and conv kernels") {
    using initializers::compute_fans;
    CHECK(compute_fans({}).fan_in == 1);
    CHECK(compute_fans({}).fan_out == 1);
    CHECK(compute_fans({7}).fan_in == 7);
    CHECK(compute_fans({7}).fan_out == 7);
    CHECK(compute_fans({784, 10}).fan_in == 784);
    CHECK(compute_fans({784, 10}).fan_out == 10);
    // Conv1D [k, in, out], Conv2D [kh, kw, in, out], Conv3D: the receptive field multiplies both fans.
    CHECK(compute_fans({5, 3, 8}).fan_in == 15);
    CHECK(compute_fans({5, 3, 8}).fan_out == 40);
    CHECK(compute_fans({3, 3, 64, 128}).fan_in == 3 * 3 * 64);
    CHECK(compute_fans({3, 3, 64, 128}).fan_out == 3 * 3 * 128);
    CHECK(compute_fans({2, 3, 4, 5, 6}).fan_in == 2 * 3 * 4 * 5);
    CHECK(compute_fans({2, 3, 4, 5, 6}).fan_out == 2 * 3 * 4 * 6);
}

TEST_CASE("initializers: Zeros, Ones and Constant fill the shape") {
    const Tensor z = Zeros()({2, 3});
    CHECK(z.shape() == Shape{2, 3});
    CHECK(z.to_vector() == std::vector<float>(6, 0.0f));
    CHECK(Ones()({4}).to_vector() == std::vector<float>(4, 1.0f));
    const Tensor c = Constant(2.5)({3, 1, 2});
    CHECK(c.shape() == Shape{3, 1, 2});
    CHECK(c.to_vector() == std::vector<float>(6, 2.5f));
    CHECK(Constant()({2}).to_vector() == std::vector<float>{0.0f, 0.0f});
    CHECK(Constant(-1.0)({}).item() == -1.0f);
    CHECK(Zeros()({0, 4}).shape() == Shape{0, 4});
}

TEST_CASE("initializers: RandomNormal has the requested mean and stddev") {
    CHECK(RandomNormal({.seed = 1})({3, 4}).shape() == Shape{3, 4});
    check_moments(RandomNormal({.seed = 1})(kDense), 0.0, 0.05);
    check_moments(RandomNormal({.mean = 3.0, .stddev = 2.0, .seed = 2})(kDense), 3.0, 2.0);
    CHECK(RandomNormal({.mean = 1.5, .stddev = 0.0, .seed = 3})({5}).to_vector() == std::vector<float>(5, 1.5f));
}

TEST_CASE("initializers: RandomUniform stays within minval (inclusive) and maxval (exclusive) with the uniform moments") {
    const Tensor d = RandomUniform({.seed = 4})(kDense);
    CHECK(stats(d).min >= -0.05f);
    CHECK(stats(d).max < 0.05f);
    check_moments(d, 0.0, 0.1 / std::sqrt(12.0));
    const Tensor t = RandomUniform({.minval = 1.0, .maxval = 4.0, .seed = 5})(kDense);
    CHECK(stats(t).min >= 1.0);
    CHECK(stats(t).max < 4.0);
    check_moments(t, 2.5, 3.0 / std::sqrt(12.0));
}

TEST_CASE("initializers: TruncatedNormal redraws values beyond 2 stddev") {
    const double mean = -1.0;
    const double stddev = 0.5;
    const Tensor t = TruncatedNormal({.mean = mean, .stddev = stddev, .seed = 6})(kDense);
    const Stats s = stats(t);
    CHECK(s.min >= mean - 2.0 * stddev - 1e-6);
    CHECK(s.max <= mean + 2.0 * stddev + 1e-6);
    // Truncation narrows the spread.
    check_moments(t, mean, stddev * truncated_unit_std());
    // Redrawn, not clipped: clipping would pile 4.6% of the values at the bounds; a density of about 0.06 per unit
    // of z near them leaves about 11 of 100000 within 0.001 stddev of a bound.
    int64_t near_bound = 0;
    for (float v : t.to_vector()) near_bound += std::fabs(v - mean) >= 1.999 * stddev;
    CHECK(near_bound < 50);
    check_moments(TruncatedNormal({.seed = 7})(kDense), 0.0, 0.05 * truncated_unit_std());
}

TEST_CASE("initializers: VarianceScaling follows the Keras formulas for every mode and distribution") {
    const Shape conv{3, 3, 16, 32};  // fan_in 144, fan_out 288, 4608 elements
    const Shape big{4, 4, 64, 100};  // fan_in 1024, fan_out 1600, 102400 elements
    for (const Shape& shape : {conv, big}) {
        const double fan_in = shape[0] * shape[1] * shape[2];
        const double fan_out = shape[0] * shape[1] * shape[3];
        for (const auto& [mode, n] : std::vector<std::pair<std::string, double>>{
                 {"fan_in", fan_in}, {"fan_out", fan_out}, {"fan_avg", (fan_in + fan_out) / 2.0}}) {
            const double scale = 0.7;
            const double stddev = std::sqrt(scale / n);
            CAPTURE(mode);
            CAPTURE(shape);
            const Tensor u = VarianceScaling({scale, mode, "uniform", 11})(shape);
            const double limit = std::sqrt(3.0 * scale / n);
            CHECK(stats(u).min >= -limit);
            CHECK(stats(u).max < limit);
            check_moments(u, 0.0, stddev);
            const Tensor tn = VarianceScaling({scale, mode, "truncated_normal", 12})(shape);
            CHECK(stats(tn).max <= 2.0 * stddev / truncated_unit_std() * (1 + 1e-6));
            CHECK(stats(tn).min >= -2.0 * stddev / truncated_unit_std() * (1 + 1e-6));
            check_moments(tn, 0.0, stddev);
            check_moments(VarianceScaling({scale, mode, "untruncated_normal", 13})(shape), 0.0, stddev);
        }
    }
}

TEST_CASE("initializers: VarianceScaling normalizes the distribution name and keeps n at least 1") {
    CHECK(VarianceScaling({.distribution = "Uniform"}).options().distribution == "uniform");
    CHECK(VarianceScaling({.distribution = "normal"}).options().distribution == "truncated_normal");
    // A [0, 5] shape has fan_in 0: Keras divides by max(1, n), so the (empty) call does not fail.
    CHECK(VarianceScaling({.seed = 1})({0, 5}).shape() == Shape{0, 5});
    // A scalar shape has fans (1, 1): uniform within +-sqrt(3 * scale).
    const float v = VarianceScaling({.scale = 3.0, .distribution = "uniform", .seed = 2})({}).item();
    CHECK(std::fabs(v) < 3.0f);
}

TEST_CASE("initializers: fan axes (Keras 3.15 input_axes and output_axes) pick the sizes that make the fans") {
    using initializers::compute_fans;
    // An attention-style kernel [in, heads, head_dim]: fan_in 64, fan_out 8 * 16 = 128.
    const initializers::Fans fans = compute_fans({64, 8, 16}, FanAxes{.input_axes = {0}, .output_axes = {1, -1}});
    CHECK(fans.fan_in == 64);
    CHECK(fans.fan_out == 128);
    CHECK_THROWS_WITH_AS(compute_fans({64, 8}, FanAxes{.input_axes = {0}, .output_axes = {2}}),
                         "VarianceScaling: output_axes holds axis 2, outside the weight shape [64,8]", ShapeError);
    // Glorot with those axes: uniform within sqrt(6 / (fan_in + fan_out)), not the default rule's
    // sqrt(6 / (64*8 + 8*16)).
    const Shape shape{400, 5, 20};
    const double limit = std::sqrt(6.0 / (400.0 + 100.0));
    const Tensor t = GlorotUniform(3, FanAxes{{0}, {1, 2}})(shape);
    CHECK(stats(t).max < limit);
    check_moments(t, 0.0, limit / std::sqrt(3.0));
    const double he_stddev = std::sqrt(2.0 / 400.0);
    check_moments(VarianceScaling({2.0, "fan_in", "untruncated_normal", 4, FanAxes{{0}, {1, 2}}})({400, 50, 10}), 0.0,
                  he_stddev);
}

TEST_CASE("initializers: fan axes are read from Keras 3.15 configs, null when unused, and written only when given") {
    const json keras315 = {{"module", "keras.initializers"},
                           {"class_name", "GlorotUniform"},
                           {"config", {{"seed", nullptr}, {"input_axes", nullptr}, {"output_axes", nullptr}}},
                           {"registered_name", nullptr}};
    const InitializerPtr plain = initializers::deserialize(keras315);
    CHECK(plain->get_config() == json{{"seed", nullptr}});
    json with_axes = keras315;
    with_axes["config"]["input_axes"] = {0};
    with_axes["config"]["output_axes"] = {1, 2};
    const InitializerPtr axes = initializers::deserialize(with_axes);
    CHECK(axes->get_config() == json{{"seed", nullptr}, {"input_axes", {0}}, {"output_axes", {1, 2}}});
    CHECK(initializers::deserialize(initializers::serialize(*axes))->get_config() == axes->get_config());
    const json vs = {{"class_name", "VarianceScaling"},
                     {"config", {{"scale", 2.0}, {"mode", "fan_out"}, {"distribution", "uniform"}, {"seed", 5},
                                 {"input_axes", {-2}}, {"output_axes", {-1}}}}};
    CHECK(initializers::deserialize(vs)->get_config()["input_axes"] == json{-2});
    json one_sided = keras315;
    one_sided["config"]["input_axes"] = {0};
    CHECK_THROWS_WITH_AS(initializers::deserialize(one_sided),
                         doctest::Contains("input_axes and output_axes must be given together, got input_axes=[0] "
                                           "and output_axes=null"),
                         ValueError);
    with_axes["config"]["output_axes"] = "1";
    CHECK_THROWS_WITH_AS(initializers::deserialize(with_axes),
                         doctest::Contains("config key 'output_axes' must be a list of integers"), ValueError);
}

TEST_CASE("initializers: Glorot, He and Lecun presets match their formulas") {
    const double fan_in = 200.0;
    const double fan_out = 500.0;
    const double glorot_limit = std::sqrt(6.0 / (fan_in + fan_out));
    const Tensor gu = GlorotUniform(1)(kDense);
    CHECK(stats(gu).max < glorot_limit);
    CHECK(stats(gu).min >= -glorot_limit);
    check_moments(gu, 0.0, glorot_limit / std::sqrt(3.0));
    check_moments(GlorotNormal(2)(kDense), 0.0, std::sqrt(2.0 / (fan_in + fan_out)));
    check_moments(HeNormal(3)(kDense), 0.0, std::sqrt(2.0 / fan_in));
    const Tensor hu = HeUniform(4)(kDense);
    CHECK(stats(hu).max < std::sqrt(6.0 / fan_in));
    check_moments(hu, 0.0, std::sqrt(6.0 / fan_in) / std::sqrt(3.0));
    check_moments(LecunNormal(5)(kDense), 0.0, std::sqrt(1.0 / fan_in));
    const Tensor lu = LecunUniform(6)(kDense);
    CHECK(stats(lu).max < std::sqrt(3.0 / fan_in));
    check_moments(lu, 0.0, std::sqrt(3.0 / fan_in) / std::sqrt(3.0));
    // Truncated presets never exceed 2 of their pre-truncation stddevs.
    const double he_bound = 2.0 * std::sqrt(2.0 / fan_in) / truncated_unit_std();
    CHECK(stats(HeNormal(7)(kDense)).max <= he_bound * (1 + 1e-6));
}

TEST_CASE("initializers: a seed makes every call return the same tensor, different seeds differ") {
    const std::vector<InitializerPtr> seeded_a = {
        std::make_shared<RandomNormal>(NormalOptions{.seed = 42}),
        std::make_shared<TruncatedNormal>(NormalOptions{.seed = 42}),
        std::make_shared<RandomUniform>(RandomUniformOptions{.seed = 42}),
        std::make_shared<VarianceScaling>(VarianceScalingOptions{.seed = 42}),
        std::make_shared<GlorotUniform>(42),
        std::make_shared<HeNormal>(42),
    };
    const std::vector<InitializerPtr> seeded_b = {
        std::make_shared<RandomNormal>(NormalOptions{.seed = 43}),
        std::make_shared<TruncatedNormal>(NormalOptions{.seed = 43}),
        std::make_shared<RandomUniform>(RandomUniformOptions{.seed = 43}),
        std::make_shared<VarianceScaling>(VarianceScalingOptions{.seed = 43}),
        std::make_shared<GlorotUniform>(43),
        std::make_shared<HeNormal>(43),
    };
    for (size_t i = 0; i < seeded_a.size(); ++i) {
        CAPTURE(seeded_a[i]->class_name());
        const Tensor first = (*seeded_a[i])({8, 8});
        CHECK(array_equal(first, (*seeded_a[i])({8, 8})));
        CHECK(array_equal(first, (*initializers::deserialize(initializers::serialize(*seeded_a[i])))({8, 8})));
        CHECK_FALSE(array_equal(first, (*seeded_b[i])({8, 8})));
    }
}

TEST_CASE("initializers: unseeded calls differ, and set_random_seed makes a sequence of them reproducible") {
    const GlorotUniform glorot;
    const RandomNormal normal;
    CHECK_FALSE(array_equal(glorot({8, 8}), glorot({8, 8})));
    set_random_seed(1234);
    const Tensor a1 = glorot({8, 8});
    const Tensor a2 = normal({8, 8});
    const Tensor a3 = initializers::get("truncated_normal")->operator()({8, 8});
    set_random_seed(1234);
    CHECK(array_equal(a1, glorot({8, 8})));
    CHECK(array_equal(a2, normal({8, 8})));
    CHECK(array_equal(a3, initializers::get("truncated_normal")->operator()({8, 8})));
    set_random_seed(1235);
    CHECK_FALSE(array_equal(a1, glorot({8, 8})));
}

TEST_CASE("initializers: get() knows every Keras class name and snake_case name") {
    const std::vector<std::pair<std::string, std::string>> names = {
        {"zeros", "Zeros"},
        {"ones", "Ones"},
        {"constant", "Constant"},
        {"random_normal", "RandomNormal"},
        {"random_uniform", "RandomUniform"},
        {"truncated_normal", "TruncatedNormal"},
        {"variance_scaling", "VarianceScaling"},
        {"glorot_uniform", "GlorotUniform"},
        {"glorot_normal", "GlorotNormal"},
        {"he_normal", "HeNormal"},
        {"he_uniform", "HeUniform"},
        {"lecun_normal", "LecunNormal"},
        {"lecun_uniform", "LecunUniform"},
        // Keras's short aliases.
        {"zero", "Zeros"},
        {"one", "Ones"},
        {"normal", "RandomNormal"},
        {"uniform", "RandomUniform"},
    };
    for (const auto& [snake, cls] : names) {
        CAPTURE(snake);
        CHECK(initializers::get(snake)->class_name() == cls);
        CHECK(initializers::get(cls)->class_name() == cls);
        CHECK(initializers::get(snake)->operator()({2, 3}).shape() == Shape{2, 3});
    }
    // Defaults as Keras.
    CHECK(initializers::get("random_normal")->get_config() == json{{"mean", 0.0}, {"stddev", 0.05}, {"seed", nullptr}});
    CHECK(initializers::get("glorot_uniform")->get_config() == json{{"seed", nullptr}});
}

TEST_CASE("initializers: deserialize accepts a name, a Keras 3 dict and a legacy Keras 2 dict") {
    CHECK(initializers::deserialize("he_uniform")->class_name() == "HeUniform");

    const json keras3 = json::parse(R"({"module": "keras.initializers", "class_name": "RandomUniform",
        "config": {"minval": -1, "maxval": 2.5, "seed": 7}, "registered_name": null})");
    const InitializerPtr u = initializers::deserialize(keras3);
    REQUIRE(u->class_name() == "RandomUniform");
    const auto& options = dynamic_cast<const RandomUniform&>(*u).options();
    CHECK(options.minval == -1.0);
    CHECK(options.maxval == 2.5);
    CHECK(options.seed == uint64_t{7});

    const json keras2 = json::parse(R"({"class_name": "VarianceScaling",
        "config": {"scale": 2.0, "mode": "fan_out", "distribution": "uniform", "seed": null}})");
    const InitializerPtr vs_ptr = initializers::deserialize(keras2);
    const auto& vs = dynamic_cast<const VarianceScaling&>(*vs_ptr);
    CHECK(vs.options().scale == 2.0);
    CHECK(vs.options().mode == "fan_out");
    CHECK(vs.options().distribution == "uniform");
    CHECK_FALSE(vs.options().seed.has_value());

    // Missing keys take the Keras defaults; a missing config is an empty one.
    CHECK(dynamic_cast<const Constant&>(*initializers::deserialize(json{{"class_name", "Constant"}})).value() == 0.0);
    const json legacy_glorot = json::parse(R"({"class_name": "GlorotUniform", "config": {"seed": 3}})");
    CHECK(array_equal(initializers::deserialize(legacy_glorot)->operator()({4, 4}), GlorotUniform(3)({4, 4})));
}

TEST_CASE("initializers: get_config of every class and serialize/deserialize round trips") {
    const std::vector<std::pair<InitializerPtr, json>> cases = {
        {std::make_shared<Zeros>(), json::object()},
        {std::make_shared<Ones>(), json::object()},
        {std::make_shared<Constant>(0.25), {{"value", 0.25}}},
        {std::make_shared<RandomNormal>(NormalOptions{1.0, 2.0, 5}), {{"mean", 1.0}, {"stddev", 2.0}, {"seed", 5}}},
        {std::make_shared<TruncatedNormal>(), {{"mean", 0.0}, {"stddev", 0.05}, {"seed", nullptr}}},
        {std::make_shared<RandomUniform>(), {{"minval", -0.05}, {"maxval", 0.05}, {"seed", nullptr}}},
        {std::make_shared<VarianceScaling>(),
         {{"scale", 1.0}, {"mode", "fan_in"}, {"distribution", "truncated_normal"}, {"seed", nullptr}}},
        {std::make_shared<VarianceScaling>(VarianceScalingOptions{0.5, "fan_avg", "untruncated_normal", 9}),
         {{"scale", 0.5}, {"mode", "fan_avg"}, {"distribution", "untruncated_normal"}, {"seed", 9}}},
        {std::make_shared<GlorotUniform>(), {{"seed", nullptr}}},
        {std::make_shared<GlorotNormal>(1), {{"seed", 1}}},
        {std::make_shared<HeNormal>(), {{"seed", nullptr}}},
        {std::make_shared<HeUniform>(2), {{"seed", 2}}},
        {std::make_shared<LecunNormal>(), {{"seed", nullptr}}},
        {std::make_shared<LecunUniform>(3), {{"seed", 3}}},
    };
    for (const auto& [init, config] : cases) {
        CAPTURE(init->class_name());
        CHECK(init->get_config() == config);
        const json j = initializers::serialize(*init);
        CHECK(j == json{{"module", "keras.initializers"},
                        {"class_name", init->class_name()},
                        {"config", config},
                        {"registered_name", nullptr}});
        const InitializerPtr back = initializers::deserialize(j);
        CHECK(back->class_name() == init->class_name());
        CHECK(back->get_config() == config);
        // Through text, as a saved model would be read.
        CHECK(initializers::deserialize(json::parse(j.dump()))->get_config() == config);
    }
}

TEST_CASE("initializers: invalid arguments raise ValueError naming the class and the value") {
    CHECK_THROWS_WITH_AS(RandomNormal({.stddev = -1.0}), "RandomNormal: stddev must be >= 0, got stddev=-1",
                         ValueError);
    CHECK_THROWS_WITH_AS(TruncatedNormal({.stddev = -0.5}), "TruncatedNormal: stddev must be >= 0, got stddev=-0.5",
                         ValueError);
    CHECK_THROWS_WITH_AS(RandomUniform({.minval = 1.0, .maxval = 0.0}),
                         "RandomUniform: maxval must be >= minval, got minval=1 maxval=0", ValueError);
    CHECK_THROWS_WITH_AS(VarianceScaling({.scale = 0.0}), "VarianceScaling: scale must be positive, got scale=0",
                         ValueError);
    CHECK_THROWS_WITH_AS(VarianceScaling({.mode = "fan_sum"}), doctest::Contains("got mode='fan_sum'"), ValueError);
    CHECK_THROWS_WITH_AS(VarianceScaling({.distribution = "gamma"}), doctest::Contains("got distribution='gamma'"),
                         ValueError);
    // The same checks apply to deserialized configs.
    CHECK_THROWS_WITH_AS(initializers::deserialize(json::parse(R"({"class_name": "VarianceScaling",
                             "config": {"scale": -2}})")),
                         "VarianceScaling: scale must be positive, got scale=-2", ValueError);
}

TEST_CASE("initializers: unknown names and keys, and malformed JSON, raise ValueError") {
    CHECK_THROWS_WITH_AS(initializers::get("glorot"), doctest::Contains("unknown initializer 'glorot'"), ValueError);
    CHECK_THROWS_WITH_AS(initializers::get("Glorot_Uniform"), doctest::Contains("'Glorot_Uniform'"), ValueError);
    CHECK_THROWS_WITH_AS(initializers::deserialize(json::parse(R"({"class_name": "RandomNormal",
                             "config": {"stdev": 1.0}})")),
                         "RandomNormal: unknown config key 'stdev'", ValueError);
    CHECK_THROWS_WITH_AS(initializers::deserialize(json::parse(R"({"class_name": "Zeros",
                             "config": {"dtype": null}})")),
                         "Zeros: unknown config key 'dtype'", ValueError);
    CHECK_THROWS_WITH_AS(initializers::deserialize(json::parse(R"({"class_name": "RandomNormal",
                             "config": {"mean": "zero"}})")),
                         "RandomNormal: config key 'mean' must be a number, got \"zero\"", ValueError);
    CHECK_THROWS_WITH_AS(initializers::deserialize(json::parse(R"({"class_name": "HeNormal",
                             "config": {"seed": -1}})")),
                         "HeNormal: config key 'seed' must be null or a non-negative integer, got -1", ValueError);
    CHECK_THROWS_WITH_AS(initializers::deserialize(json::parse(R"({"class_name": "HeNormal", "config": [1]})")),
                         doctest::Contains("HeNormal: config must be a JSON object"), ValueError);
    CHECK_THROWS_WITH_AS(initializers::deserialize(json::parse(R"({"config": {}})")),
                         doctest::Contains("needs a string \"class_name\""), ValueError);
    CHECK_THROWS_WITH_AS(initializers::deserialize(json::parse(R"({"class_name": "Ones", "name": "x"})")),
                         doctest::Contains("unknown key 'name'"), ValueError);
    CHECK_THROWS_WITH_AS(
        initializers::deserialize(json::parse(R"({"module": "keras.layers", "class_name": "Ones", "config": {}})")),
        doctest::Contains("module must be \"keras.initializers\""), ValueError);
    CHECK_THROWS_WITH_AS(initializers::deserialize(json::parse(R"({"module": "keras.initializers",
                             "class_name": "Ones", "config": {}, "registered_name": "my>Ones"})")),
                         doctest::Contains("custom objects are not supported"), ValueError);
    CHECK_THROWS_WITH_AS(initializers::deserialize(json(3)), doctest::Contains("expected a name or a dict"),
                         ValueError);
}
