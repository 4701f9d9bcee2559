// Regularizers: penalties by hand, gradients on the tape, configs, lookup names, legacy JSON forms, errors.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>
#include <kiln/layers/regularizers.hpp>

#include "support/gradcheck.hpp"

using namespace kiln;
using kiln::testing::check_gradients;
using kiln::testing::random_input;
using nlohmann::json;

namespace {

// Values in +-[0.2, 1) with alternating signs: away from the kink of |w| at 0.
Tensor away_from_zero(const Shape& shape, uint64_t seed) {
    Tensor x = random_input(shape, seed, 0.2f, 1.0f);
    for (int64_t i = 1; i < x.size(); i += 2) x.data()[i] = -x.data()[i];
    return x;
}

}  // namespace

TEST_CASE("regularizers: penalties by hand") {
    const Tensor w{1.0f, -2.0f};  // sum |w| = 3, sum w^2 = 5
    CHECK(L1(0.1)(w).item() == doctest::Approx(0.3));
    CHECK(L2(0.1)(w).item() == doctest::Approx(0.5));
    CHECK(L1L2(0.1, 0.1)(w).item() == doctest::Approx(0.8));
    CHECK(L1L2(0.0, 0.2)(w).item() == doctest::Approx(1.0));
    CHECK(L1L2()(w).item() == 0.0f);
    // Keras defaults: L1 and L2 0.01.
    CHECK(L1()(w).item() == doctest::Approx(0.03));
    CHECK(L2()(w).item() == doctest::Approx(0.05));
    const Tensor m({1.0f, 2.0f, 3.0f, -4.0f}, {2, 2});
    CHECK(L2(0.5)(m).item() == doctest::Approx(15.0));
    CHECK(L1(0.5)(m).item() == doctest::Approx(5.0));
    CHECK(L1L2(1.0, 1.0)(Tensor::zeros({0, 3})).item() == 0.0f);
}

TEST_CASE("regularizers: the penalty is a rank-0 tensor") {
    CHECK(L1()(Tensor::ones({3, 4, 5})).rank() == 0);
    CHECK(L2()(Tensor::ones({3})).rank() == 0);
    CHECK(L1L2()(Tensor::ones({2, 2})).rank() == 0);
    CHECK(L1L2(0.1, 0.2)(Tensor::ones({2, 2})).rank() == 0);
}

TEST_CASE("regularizers: gradients on the tape, by hand and by finite differences") {
    const Variable v("dense/kernel", Tensor{1.0f, -2.0f, 0.5f});
    GradientTape tape(/*persistent=*/true);
    const Tensor g1 = tape.gradient(L1(0.1)(v.value()), v.value());
    const Tensor g2 = tape.gradient(L2(0.1)(v.value()), v.value());
    const Tensor g12 = tape.gradient(L1L2(0.1, 0.1)(v.value()), v.value());
    CHECK(allclose(g1, Tensor{0.1f, -0.1f, 0.1f}));              // l1 * sign(w)
    CHECK(allclose(g2, Tensor{0.2f, -0.4f, 0.1f}));              // 2 * l2 * w
    CHECK(allclose(g12, Tensor{0.3f, -0.5f, 0.2f}));

    const Tensor x = away_from_zero({3, 4}, 1);
    check_gradients("L1", [](auto& in) { return L1(0.3)(in[0]); }, {x});
    check_gradients("L2", [](auto& in) { return L2(0.3)(in[0]); }, {x});
    check_gradients("L1L2", [](auto& in) { return L1L2(0.2, 0.7)(in[0]); }, {away_from_zero({2, 3, 2}, 2)});
}

TEST_CASE("regularizers: get() by Keras name and class name") {
    CHECK(regularizers::get("l1")->get_config() == json{{"l1", 0.01}});
    CHECK(regularizers::get("L1")->class_name() == "L1");
    CHECK(regularizers::get("l2")->get_config() == json{{"l2", 0.01}});
    CHECK(regularizers::get("L2")->class_name() == "L2");
    CHECK(regularizers::get("l1_l2")->get_config() == json{{"l1", 0.0}, {"l2", 0.0}});
    CHECK(regularizers::get("L1L2")->class_name() == "L1L2");
}

TEST_CASE("regularizers: configs and serialize/deserialize round trips") {
    const std::vector<std::pair<RegularizerPtr, json>> cases = {
        {std::make_shared<L1>(0.25), {{"l1", 0.25}}},
        {std::make_shared<L2>(), {{"l2", 0.01}}},
        {std::make_shared<L1L2>(0.001, 0.002), {{"l1", 0.001}, {"l2", 0.002}}},
    };
    for (const auto& [reg, config] : cases) {
        CAPTURE(reg->class_name());
        CHECK(reg->get_config() == config);
        const json j = regularizers::serialize(*reg);
        CHECK(j == json{{"module", "keras.regularizers"},
                        {"class_name", reg->class_name()},
                        {"config", config},
                        {"registered_name", nullptr}});
        CHECK(regularizers::deserialize(json::parse(j.dump()))->get_config() == config);
    }
}

TEST_CASE("regularizers: deserialize accepts names, Keras 3 dicts and legacy Keras 2 forms") {
    CHECK(regularizers::deserialize("l2")->class_name() == "L2");
    const json keras3 = json::parse(
        R"({"module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.0005}, "registered_name": null})");
    CHECK(dynamic_cast<const L2&>(*regularizers::deserialize(keras3)).l2() == 0.0005);
    // Keras 2 wrote float32 factors widened to double; they are kept exactly.
    const json legacy = json::parse(R"({"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.0010000000474974513}})");
    const RegularizerPtr l1l2_ptr = regularizers::deserialize(legacy);
    const auto& l1l2 = dynamic_cast<const L1L2&>(*l1l2_ptr);
    CHECK(l1l2.l1() == 0.0);
    CHECK(l1l2.l2() == 0.0010000000474974513);
    CHECK(regularizers::serialize(l1l2)["config"] == legacy["config"]);
    const json snake = json::parse(R"({"class_name": "l1_l2", "config": {"l1": 0.01, "l2": 0.01}})");
    CHECK(regularizers::deserialize(snake)->get_config() == json{{"l1", 0.01}, {"l2", 0.01}});
    CHECK(regularizers::deserialize(json{{"class_name", "L1"}, {"config", {{"l1", 1}}}})->get_config() ==
          json{{"l1", 1.0}});
}

TEST_CASE("regularizers: invalid factors, unknown names and keys raise ValueError") {
    CHECK_THROWS_WITH_AS(L1(-0.1), "L1: l1 must be a finite number >= 0, got l1=-0.1", ValueError);
    CHECK_THROWS_WITH_AS(L2(std::nan("")), doctest::Contains("L2: l2 must be a finite number >= 0"), ValueError);
    CHECK_THROWS_WITH_AS(L1L2(0.0, -1.0), "L1L2: l2 must be a finite number >= 0, got l2=-1", ValueError);
    CHECK_THROWS_WITH_AS(regularizers::get("l3"), doctest::Contains("unknown regularizer 'l3'"), ValueError);
    CHECK_THROWS_WITH_AS(regularizers::deserialize(json::parse(R"({"class_name": "L2", "config": {"l1": 0.1}})")),
                         "L2: unknown config key 'l1'", ValueError);
    CHECK_THROWS_WITH_AS(regularizers::deserialize(json::parse(R"({"class_name": "L1", "config": {"l1": -2}})")),
                         "L1: l1 must be a finite number >= 0, got l1=-2", ValueError);
    CHECK_THROWS_WITH_AS(regularizers::deserialize(json::parse(
                             R"({"module": "keras.initializers", "class_name": "L1", "config": {}})")),
                         doctest::Contains("module must be \"keras.regularizers\""), ValueError);
}
