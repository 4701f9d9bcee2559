// Constraints: projections by hand for each class, axis lists and negative axes, no tape records, configs, lookup
// names, JSON forms, errors.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>
#include <kiln/layers/constraints.hpp>

#include <cmath>

using namespace kiln;
using nlohmann::json;

namespace {

// Keras's epsilon in the denominators.
constexpr double kEps = 1e-7;

// Columns [3, 4] (norm 5) and [0.3, 0.4] (norm 0.5).
Tensor two_columns() { return Tensor({3.0f, 0.3f, 4.0f, 0.4f}, {2, 2}); }

void check_values(const Tensor& got, const std::vector<double>& expected) {
    REQUIRE(got.size() == static_cast<int64_t>(expected.size()));
    for (size_t i = 0; i < expected.size(); ++i) {
        CAPTURE(i);
        CHECK(got.data()[i] == doctest::Approx(expected[i]).epsilon(1e-6));
    }
}

}  // namespace

TEST_CASE("constraints: NonNeg zeroes the negative entries") {
    const Tensor w({-1.0f, 0.0f, 2.0f, -0.5f}, {2, 2});
    const Tensor p = NonNeg()(w);
    CHECK(p.shape() == Shape{2, 2});
    CHECK(p.to_vector() == std::vector<float>{0.0f, 0.0f, 2.0f, 0.0f});
}

TEST_CASE("constraints: MaxNorm scales columns above max_value down to it, by hand") {
    const Tensor p = MaxNorm()(two_columns());  // max_value 2, axis 0
    const double s0 = 2.0 / (5.0 + kEps);      // norm 5 clipped to 2
    const double s1 = 0.5 / (0.5 + kEps);      // norm 0.5 kept (up to epsilon)
    check_values(p, {3.0 * s0, 0.3 * s1, 4.0 * s0, 0.4 * s1});
    // axis 1: the rows [3, 0.3] and [4, 0.4].
    const double r0 = std::sqrt(9.0 + 0.09);
    const double r1 = std::sqrt(16.0 + 0.16);
    const Tensor q = MaxNorm({.max_value = 3.5, .axis = 1})(two_columns());
    check_values(q, {3.0, 0.3, 4.0 * 3.5 / (r1 + kEps), 0.4 * 3.5 / (r1 + kEps)});
    CHECK(r0 < 3.5);
    // Negative axes count from the end: -1 is axis 1 of a matrix.
    CHECK(allclose(MaxNorm({.max_value = 3.5, .axis = -1})(two_columns()), q));
}

TEST_CASE("constraints: MaxNorm over a list of axes, as for a conv kernel") {
    // Channel 0 holds 0, 2, 4, 6 (norm sqrt(56)); channel 1 holds 1, 3, 5, 7 (norm sqrt(84)).
    const Tensor w = Tensor::arange(8).reshape({2, 2, 2});
    const Tensor p = MaxNorm({.max_value = 2.0, .axis = {0, 1}})(w);
    const double s0 = 2.0 / (std::sqrt(56.0) + kEps);
    const double s1 = 2.0 / (std::sqrt(84.0) + kEps);
    check_values(p, {0.0, 1.0 * s1, 2.0 * s0, 3.0 * s1, 4.0 * s0, 5.0 * s1, 6.0 * s0, 7.0 * s1});
    // A one-element list is the same projection as the integer axis.
    CHECK(allclose(MaxNorm({.axis = {0}})(two_columns()), MaxNorm({.axis = 0})(two_columns())));
}

TEST_CASE("constraints: MinMaxNorm clips norms into (min, max), partially with rate < 1") {
    // Column norms 5, 0.5 and 1.5.
    const Tensor w({3.0f, 0.3f, 0.9f, 4.0f, 0.4f, 1.2f}, {2, 3});
    const Tensor p = MinMaxNorm({.min_value = 1.0, .max_value = 2.0})(w);
    const double s0 = 2.0 / (5.0 + kEps);
    const double s1 = 1.0 / (0.5 + kEps);
    const double s2 = 1.5 / (1.5 + kEps);
    check_values(p, {3.0 * s0, 0.3 * s1, 0.9 * s2, 4.0 * s0, 0.4 * s1, 1.2 * s2});
    // rate 0.5: desired = 0.5 * clip(norm) + 0.5 * norm.
    const Tensor q = MinMaxNorm({.min_value = 1.0, .max_value = 2.0, .rate = 0.5})(w);
    const double h0 = (0.5 * 2.0 + 0.5 * 5.0) / (5.0 + kEps);
    const double h1 = (0.5 * 1.0 + 0.5 * 0.5) / (0.5 + kEps);
    check_values(q, {3.0 * h0, 0.3 * h1, 0.9 * s2, 4.0 * h0, 0.4 * h1, 1.2 * s2});
    // Defaults: norms into [0, 1].
    check_values(MinMaxNorm()(Tensor{3.0f, 4.0f}), {3.0 / (5.0 + kEps), 4.0 / (5.0 + kEps)});
}

TEST_CASE("constraints: UnitNorm divides by the norm plus epsilon") {
    const Tensor w({3.0f, 0.0f, 4.0f, 2.0f}, {2, 2});
    check_values(UnitNorm()(w), {3.0 / (5.0 + kEps), 0.0, 4.0 / (5.0 + kEps), 2.0 / (2.0 + kEps)});
    check_values(UnitNorm(1)(w), {1.0 / (1.0 + kEps / 3.0), 0.0, 4.0 / (std::sqrt(20.0) + kEps),
                                  2.0 / (std::sqrt(20.0) + kEps)});
    // A zero column stays zero instead of becoming NaN.
    CHECK(UnitNorm()(Tensor::zeros({3, 2})).to_vector() == std::vector<float>(6, 0.0f));
    const Tensor k = UnitNorm({0, 1, 2})(Tensor::arange(1.0f, 9.0f).reshape({2, 2, 1, 2}));
    const Tensor squares = sum(square(k), {0, 1, 2});
    check_values(squares, {1.0, 1.0});
}

TEST_CASE("constraints: projections return new tensors and record nothing on a tape") {
    const Variable v("dense/kernel", two_columns());
    const std::vector<ConstraintPtr> all = {std::make_shared<NonNeg>(), std::make_shared<MaxNorm>(),
                                            std::make_shared<MinMaxNorm>(), std::make_shared<UnitNorm>()};
    GradientTape tape;
    for (const ConstraintPtr& c : all) {
        CAPTURE(c->class_name());
        const Tensor p = (*c)(v.value());
        CHECK(tape.num_records() == 0);
        CHECK_FALSE(tape.tracks(p));
        CHECK_FALSE(p.shares_storage_with(v.value()));
        CHECK(array_equal(v.value(), two_columns()));
    }
}

TEST_CASE("constraints: get() by Keras name and class name") {
    for (const auto& [snake, cls] : std::vector<std::pair<std::string, std::string>>{
             {"non_neg", "NonNeg"},
             {"max_norm", "MaxNorm"},
             {"min_max_norm", "MinMaxNorm"},
             {"unit_norm", "UnitNorm"}}) {
        CAPTURE(snake);
        CHECK(constraints::get(snake)->class_name() == cls);
        CHECK(constraints::get(cls)->class_name() == cls);
    }
}

TEST_CASE("constraints: configs and serialize/deserialize round trips") {
    const std::vector<std::pair<ConstraintPtr, json>> cases = {
        {std::make_shared<NonNeg>(), json::object()},
        {std::make_shared<MaxNorm>(), {{"max_value", 2.0}, {"axis", 0}}},
        {std::make_shared<MaxNorm>(MaxNormOptions{3.0, {0, 1, 2}}), {{"max_value", 3.0}, {"axis", {0, 1, 2}}}},
        {std::make_shared<MinMaxNorm>(), {{"min_value", 0.0}, {"max_value", 1.0}, {"rate", 1.0}, {"axis", 0}}},
        {std::make_shared<MinMaxNorm>(MinMaxNormOptions{0.5, 4.0, 0.25, -1}),
         {{"min_value", 0.5}, {"max_value", 4.0}, {"rate", 0.25}, {"axis", -1}}},
        {std::make_shared<UnitNorm>(), {{"axis", 0}}},
        {std::make_shared<UnitNorm>(NormAxis{1}), {{"axis", json::array({1})}}},
    };
    for (const auto& [c, config] : cases) {
        CAPTURE(c->class_name());
        CHECK(c->get_config() == config);
        const json j = constraints::serialize(*c);
        CHECK(j == json{{"module", "keras.constraints"},
                        {"class_name", c->class_name()},
                        {"config", config},
                        {"registered_name", nullptr}});
        CHECK(constraints::deserialize(json::parse(j.dump()))->get_config() == config);
    }
}

TEST_CASE("constraints: deserialize accepts names, Keras 3 dicts and legacy Keras 2 dicts") {
    CHECK(constraints::deserialize("unit_norm")->class_name() == "UnitNorm");
    // Keras writes MaxNorm's default max_value as the integer 2.
    const json keras3 = json::parse(R"({"module": "keras.constraints", "class_name": "MaxNorm",
        "config": {"max_value": 2, "axis": [0, 1, 2]}, "registered_name": null})");
    const ConstraintPtr m = constraints::deserialize(keras3);
    const auto& options = dynamic_cast<const MaxNorm&>(*m).options();
    CHECK(options.max_value == 2.0);
    CHECK(options.axis.is_list());
    CHECK(options.axis.axes() == std::vector<int64_t>{0, 1, 2});
    const json keras2 = json::parse(R"({"class_name": "MinMaxNorm",
        "config": {"min_value": 0.0, "max_value": 1.5, "rate": 1.0, "axis": 0}})");
    CHECK(constraints::deserialize(keras2)->get_config()["max_value"] == 1.5);
    CHECK(constraints::deserialize(json{{"class_name", "UnitNorm"}})->get_config() == json{{"axis", 0}});
}

TEST_CASE("constraints: invalid arguments, axes, names and keys raise ValueError") {
    CHECK_THROWS_WITH_AS(MaxNorm({.max_value = -1.0}), "MaxNorm: max_value must be >= 0, got max_value=-1",
                         ValueError);
    CHECK_THROWS_WITH_AS(MinMaxNorm({.min_value = 2.0, .max_value = 1.0}),
                         "MinMaxNorm: min_value must be <= max_value, got min_value=2 max_value=1", ValueError);
    CHECK_THROWS_WITH_AS(UnitNorm(NormAxis(std::vector<int64_t>{})), "UnitNorm: axis must not be an empty list",
                         ValueError);
    CHECK_THROWS_WITH_AS(MaxNorm({.axis = 2})(two_columns()), "MaxNorm: axis 2 is out of range for rank 2",
                         ValueError);
    CHECK_THROWS_WITH_AS(UnitNorm({0, 0})(two_columns()), doctest::Contains("UnitNorm: duplicate axis"), ValueError);
    CHECK_THROWS_WITH_AS(constraints::get("maxnorm"), doctest::Contains("unknown constraint 'maxnorm'"), ValueError);
    CHECK_THROWS_WITH_AS(constraints::deserialize(json::parse(R"({"class_name": "UnitNorm", "config": {"axes": 0}})")),
                         "UnitNorm: unknown config key 'axes'", ValueError);
    CHECK_THROWS_WITH_AS(
        constraints::deserialize(json::parse(R"({"class_name": "MaxNorm", "config": {"axis": [0, 1.5]}})")),
        "MaxNorm: config key 'axis' must be an integer, got 1.5", ValueError);
    CHECK_THROWS_WITH_AS(constraints::deserialize(json::parse(R"({"class_name": "MaxNorm", "config": {"axis": "0"}})")),
                         "MaxNorm: config key 'axis' must be an integer, got \"0\"", ValueError);
}
