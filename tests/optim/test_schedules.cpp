// Learning-rate schedules: values at chosen steps by hand (staircase, interval boundaries, clamping, warmup), the
// Keras 3 configs and their round trips, strict deserialization, argument errors.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>
#include <kiln/optim/schedules.hpp>

#include <cmath>
#include <numbers>
#include <vector>

using namespace kiln;
using namespace kiln::optim;
using nlohmann::json;

TEST_CASE("optim schedules: ExponentialDecay, continuous and staircase") {
    const ExponentialDecay smooth(1.0, 10, 0.5);
    CHECK(smooth(0) == 1.0);                                           // 0.5^0
    CHECK(smooth(5) == doctest::Approx(1.0 / std::sqrt(2.0)));        // 0.5^(5/10)
    CHECK(smooth(10) == doctest::Approx(0.5));                        // 0.5^1
    CHECK(smooth(25) == doctest::Approx(0.25 / std::sqrt(2.0)));      // 0.5^2.5
    const ExponentialDecay stairs(0.2, 10, 0.5, true);
    CHECK(stairs(9) == doctest::Approx(0.2));   // floor(0.9) = 0
    CHECK(stairs(10) == doctest::Approx(0.1));  // floor(1.0) = 1
    CHECK(stairs(19) == doctest::Approx(0.1));
    CHECK(stairs(20) == doctest::Approx(0.05));
    CHECK_THROWS_WITH_AS(ExponentialDecay(0.1, 0, 0.5), doctest::Contains("decay_steps must be > 0"), ValueError);
}

TEST_CASE("optim schedules: PiecewiseConstantDecay includes each boundary in the interval it closes") {
    const PiecewiseConstantDecay s({10, 20}, {1.0, 0.5, 0.1});
    CHECK(s(0) == 1.0);
    CHECK(s(10) == 1.0);  // step <= 10
    CHECK(s(11) == 0.5);  // 10 < step <= 20
    CHECK(s(20) == 0.5);
    CHECK(s(21) == 0.1);  // step > 20
    CHECK(s(1000000) == 0.1);
    CHECK(PiecewiseConstantDecay({}, {0.3})(7) == 0.3);
    CHECK_THROWS_WITH_AS(PiecewiseConstantDecay({10, 20}, {1.0, 0.5}), doctest::Contains("one more element"),
                         ValueError);
    CHECK_THROWS_WITH_AS(PiecewiseConstantDecay({20, 10}, {1.0, 0.5, 0.1}), doctest::Contains("strictly increasing"),
                         ValueError);
}

TEST_CASE("optim schedules: CosineDecay with alpha, clamping and linear warmup") {
    const CosineDecay plain(1.0, 100);
    CHECK(plain(0) == doctest::Approx(1.0));   // 0.5 * (1 + cos 0)
    CHECK(plain(50) == doctest::Approx(0.5));  // 0.5 * (1 + cos(pi/2))
    CHECK(plain(100) == doctest::Approx(0.0).epsilon(1e-12));
    CHECK(plain(500) == doctest::Approx(0.0).epsilon(1e-12));  // clamped to decay_steps
    const CosineDecay floor(2.0, 100, 0.1);
    CHECK(floor(50) == doctest::Approx(2.0 * (0.9 * 0.5 + 0.1)));  // 1.1
    CHECK(floor(100) == doctest::Approx(0.2));                     // 2.0 * alpha
    CHECK(floor(25) == doctest::Approx(2.0 * (0.9 * 0.5 * (1.0 + std::cos(std::numbers::pi / 4)) + 0.1)));
    // Warmup from 0 to 1 over 10 steps, then the cosine from 1 over 100 steps.
    const CosineDecay warm(0.0, 100, 0.0, 1.0, 10);
    CHECK(warm(0) == 0.0);
    CHECK(warm(5) == doctest::Approx(0.5));  // 5/10 of the way
    CHECK(warm(10) == doctest::Approx(1.0));
    CHECK(warm(35) == doctest::Approx(0.5 * (1.0 + std::cos(std::numbers::pi / 4))));  // 25 of 100 decay steps
    CHECK(warm(60) == doctest::Approx(0.5));
    CHECK(warm(110) == doctest::Approx(0.0).epsilon(1e-12));
    CHECK(warm(1000) == doctest::Approx(0.0).epsilon(1e-12));
    // A warmup target without warmup steps decays from the target.
    CHECK(CosineDecay(0.0, 100, 0.0, 0.4)(0) == doctest::Approx(0.4));
    CHECK_THROWS_AS(CosineDecay(0.1, 0), ValueError);
    CHECK_THROWS_AS(CosineDecay(0.1, 10, 0.0, 1.0, -1), ValueError);
}

TEST_CASE("optim schedules: configs carry the Keras 3 keys and round-trip") {
    const ExponentialDecay exp(0.1, 1000, 0.96, true, "my_decay");
    CHECK(exp.get_config() == json{{"initial_learning_rate", 0.1},
                                   {"decay_steps", 1000},
                                   {"decay_rate", 0.96},
                                   {"staircase", true},
                                   {"name", "my_decay"}});
    const PiecewiseConstantDecay piecewise({100, 200}, {0.1, 0.01, 0.001});
    CHECK(piecewise.get_config() ==
          json{{"boundaries", {100, 200}}, {"values", {0.1, 0.01, 0.001}}, {"name", "PiecewiseConstant"}});
    const CosineDecay cosine(0.0, 500, 0.1, 0.01, 50);
    CHECK(cosine.get_config() == json{{"initial_learning_rate", 0.0},
                                      {"decay_steps", 500},
                                      {"alpha", 0.1},
                                      {"name", "CosineDecay"},
                                      {"warmup_target", 0.01},
                                      {"warmup_steps", 50}});
    CHECK(CosineDecay(0.1, 10).get_config()["warmup_target"] == nullptr);

    const std::vector<const LearningRateSchedule*> all{&exp, &piecewise, &cosine};
    for (const LearningRateSchedule* s : all) {
        CAPTURE(s->class_name());
        const json serialized = schedules::serialize(*s);
        CHECK(serialized["module"] == "keras.optimizers.schedules");
        CHECK(serialized["class_name"] == s->class_name());
        CHECK(serialized["registered_name"] == nullptr);
        const LearningRateSchedulePtr back = schedules::deserialize(serialized);
        CHECK(back->get_config() == s->get_config());
        for (int64_t step : {0, 1, 99, 150, 1000}) CHECK((*back)(step) == (*s)(step));
    }
}

TEST_CASE("optim schedules: deserialize is strict") {
    const auto dict = [](const char* cls, json config) { return json{{"class_name", cls}, {"config", config}}; };
    // Required keys, with the optional ones defaulted and a null name meaning the default.
    const auto exp = schedules::deserialize(
        dict("ExponentialDecay", {{"initial_learning_rate", 1.0}, {"decay_steps", 10}, {"decay_rate", 0.5},
                                  {"name", nullptr}}));
    CHECK(exp->get_config()["staircase"] == false);
    CHECK(exp->get_config()["name"] == "ExponentialDecay");
    CHECK_THROWS_WITH_AS(schedules::deserialize(dict("ExponentialDecay", {{"initial_learning_rate", 1.0}})),
                         doctest::Contains("'decay_steps' is required"), ValueError);
    CHECK_THROWS_WITH_AS(
        schedules::deserialize(dict("CosineDecay", {{"initial_learning_rate", 1.0}, {"decay_steps", 10}, {"x", 1}})),
        doctest::Contains("unknown config key 'x'"), ValueError);
    CHECK_THROWS_WITH_AS(
        schedules::deserialize(dict("CosineDecay", {{"initial_learning_rate", 1.0}, {"decay_steps", 10.5}})),
        doctest::Contains("'decay_steps' must be an integer"), ValueError);
    CHECK_THROWS_AS(schedules::deserialize(dict("PiecewiseConstantDecay", {{"boundaries", {1}}, {"values", {1, "a"}}})),
                    ValueError);
    CHECK_THROWS_WITH_AS(schedules::deserialize(dict("PolynomialDecay", json::object())),
                         doctest::Contains("unknown schedule 'PolynomialDecay'"), ValueError);
    CHECK_THROWS_AS(schedules::deserialize("ExponentialDecay"), ValueError);
}
