// Optimizers: the first two updates of every rule against hand-computed values (momentum, Nesterov, AMSGrad,
// centered, weight decay, AdamW's decoupling), gradient unscaling and clipping, constraints, slots keyed by path,
// schedules driving the learning rate, state save/restore, configs, lookup by name, errors, and an end-to-end
// minimization with GradientTape. Every case starts from w = [1, 2] unless it says otherwise; g1 and g2 are the
// gradients of the first and second step.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>
#include <kiln/optim/optim.hpp>

#include <cmath>
#include <string>
#include <vector>

using namespace kiln;
using namespace kiln::optim;
using nlohmann::json;

namespace {

const Tensor kG1{0.5f, -1.0f};
const Tensor kG2{1.0f, 1.0f};

Variable make_var(const std::string& path, std::vector<float> values) {
    const auto n = static_cast<int64_t>(values.size());
    return Variable(path, Tensor(std::move(values), {n}));
}

// Two steps with g1 then g2 on a fresh variable [1, 2] named "w".
Variable two_steps(Optimizer& opt) {
    Variable w = make_var("w", {1.0f, 2.0f});
    opt.apply_gradients({kG1}, {w});
    opt.apply_gradients({kG2}, {w});
    return w;
}

// The variable's values against `expected` within a float32 rounding tolerance.
void check_values(const Variable& v, const std::vector<double>& expected, double tolerance = 1e-6) {
    const std::vector<float> got = v.value().to_vector();
    REQUIRE(got.size() == expected.size());
    for (size_t i = 0; i < got.size(); ++i) {
        CAPTURE(i);
        CHECK(got[i] == doctest::Approx(expected[i]).epsilon(tolerance));
    }
}

// Adam's step size with lr 0.1 and the default betas at step t: 0.1 * sqrt(1 - 0.999^t) / (1 - 0.9^t).
double adam_alpha(int t) { return 0.1 * std::sqrt(1.0 - std::pow(0.999, t)) / (1.0 - std::pow(0.9, t)); }

// Adam's update m * alpha / (sqrt(v) + 1e-7).
double adam_update(double m, double v, int t) { return m * adam_alpha(t) / (std::sqrt(v) + 1e-7); }

}  // namespace

TEST_CASE("optim: SGD without momentum") {
    SGD opt({.learning_rate = 0.1});
    // Step 1: w - 0.1 * g1 = [1 - 0.05, 2 + 0.1] = [0.95, 2.1]. Step 2: - 0.1 * g2 = [0.85, 2.0].
    check_values(two_steps(opt), {0.85, 2.0});
    CHECK(opt.iterations() == 2);
    CHECK(opt.variables().size() == 2);  // iteration, learning_rate: no slots without momentum
}

TEST_CASE("optim: SGD with momentum and with Nesterov momentum") {
    SGD momentum({.learning_rate = 0.1, .momentum = 0.9});
    // m1 = -0.1 * g1 = [-0.05, 0.1]; w1 = w0 + m1 = [0.95, 2.1].
    // m2 = 0.9 * m1 - 0.1 * g2 = [-0.045 - 0.1, 0.09 - 0.1] = [-0.145, -0.01]; w2 = [0.805, 2.09].
    check_values(two_steps(momentum), {0.805, 2.09});

    SGD nesterov({.learning_rate = 0.1, .momentum = 0.9, .nesterov = true});
    // w1 = w0 + 0.9 * m1 - 0.1 * g1 = [1 - 0.045 - 0.05, 2 + 0.09 + 0.1] = [0.905, 2.19].
    // w2 = w1 + 0.9 * m2 - 0.1 * g2 = [0.905 - 0.1305 - 0.1, 2.19 - 0.009 - 0.1] = [0.6745, 2.081].
    check_values(two_steps(nesterov), {0.6745, 2.081});
}

TEST_CASE("optim: Adam folds the bias correction into the step size") {
    Adam opt({.learning_rate = 0.1});
    // m1 = 0.1 * g1 = [0.05, -0.1]; v1 = 0.001 * g1^2 = [0.00025, 0.001]; alpha1 = 0.1 * sqrt(0.001) / 0.1.
    // m2 = 0.9 * m1 + 0.1 * g2 = [0.145, 0.01]; v2 = 0.999 * v1 + 0.001 * g2^2 = [0.00124975, 0.001999];
    // alpha2 = 0.1 * sqrt(1 - 0.999^2) / (1 - 0.9^2). Epsilon is added to sqrt(v), not to the corrected v.
    const double w1a = 1.0 - adam_update(0.05, 0.00025, 1);
    const double w1b = 2.0 - adam_update(-0.1, 0.001, 1);
    // Without epsilon the first step is exactly alpha1 * m1 / sqrt(v1) = [0.1, -0.1] (Adam's first step is +-lr).
    CHECK(w1a == doctest::Approx(0.9).epsilon(1e-5));
    CHECK(w1b == doctest::Approx(2.1).epsilon(1e-5));
    check_values(two_steps(opt), {w1a - adam_update(0.145, 0.00124975, 2), w1b - adam_update(0.01, 0.001999, 2)});
}

TEST_CASE("optim: Adam with amsgrad divides by the running maximum of v") {
    Adam opt({.learning_rate = 0.1, .amsgrad = true});
    Variable w = make_var("w", {1.0f, 2.0f});
    opt.apply_gradients({kG1}, {w});
    opt.apply_gradients({Tensor{0.0f, 0.0f}}, {w});
    // Step 1 as plain Adam. Step 2 with g2 = 0: m2 = 0.9 * m1 = [0.045, -0.09], v2 = 0.999 * v1 < v1, so
    // v_hat2 = max(v1, v2) = v1 = [0.00025, 0.001] (plain Adam would use 0.999 * v1).
    check_values(w, {1.0 - adam_update(0.05, 0.00025, 1) - adam_update(0.045, 0.00025, 2),
                     2.0 - adam_update(-0.1, 0.001, 1) - adam_update(-0.09, 0.001, 2)});
    CHECK(opt.variables().back().first == "w_velocity_hat");
}

TEST_CASE("optim: weight decay is decoupled: w -= w * weight_decay * lr before the update") {
    SGD sgd({.learning_rate = 0.1}, {.weight_decay = 0.5});
    // Step 1: 0.95 * [1, 2] - 0.1 * g1 = [0.95 - 0.05, 1.9 + 0.1] = [0.9, 2.0].
    // Step 2: 0.95 * [0.9, 2.0] - 0.1 * g2 = [0.855 - 0.1, 1.9 - 0.1] = [0.755, 1.8].
    check_values(two_steps(sgd), {0.755, 1.8});

    // AdamW: each step first scales w by 1 - 0.1 * 0.1 = 0.99; the moments see only the gradients, so the Adam
    // updates u1, u2 are those of the plain Adam case: w2 = 0.99 * (0.99 * w0 - u1) - u2.
    AdamW adamw({.learning_rate = 0.1}, {.weight_decay = 0.1});
    const double u1a = adam_update(0.05, 0.00025, 1);
    const double u1b = adam_update(-0.1, 0.001, 1);
    const double u2a = adam_update(0.145, 0.00124975, 2);
    const double u2b = adam_update(0.01, 0.001999, 2);
    check_values(two_steps(adamw), {0.99 * (0.99 * 1.0 - u1a) - u2a, 0.99 * (0.99 * 2.0 - u1b) - u2b});

    // Adam given the same weight_decay behaves as AdamW (Keras 3 decays in the base optimizer).
    Adam adam({.learning_rate = 0.1}, {.weight_decay = 0.1});
    check_values(two_steps(adam), {0.99 * (0.99 * 1.0 - u1a) - u2a, 0.99 * (0.99 * 2.0 - u1b) - u2b});
    CHECK(AdamW().options().weight_decay == 0.004);
}

TEST_CASE("optim: RMSprop plain, centered and with momentum") {
    // v1 = 0.1 * g1^2 = [0.025, 0.1]; inc1 = 0.1 * g1 / sqrt(v1 + 1e-7).
    // v2 = 0.9 * v1 + 0.1 * g2^2 = [0.1225, 0.19]; inc2 = 0.1 * g2 / sqrt(v2 + 1e-7).
    const double inc1a = 0.1 * 0.5 / std::sqrt(0.025 + 1e-7);
    const double inc1b = 0.1 * -1.0 / std::sqrt(0.1 + 1e-7);
    const double inc2a = 0.1 / std::sqrt(0.1225 + 1e-7);
    const double inc2b = 0.1 / std::sqrt(0.19 + 1e-7);
    RMSprop plain({.learning_rate = 0.1});
    check_values(two_steps(plain), {1.0 - inc1a - inc2a, 2.0 - inc1b - inc2b});

    // Centered: a1 = 0.1 * g1 = [0.05, -0.1]; d1 = v1 - a1^2 = [0.0225, 0.09] (+1e-7); inc1 = [0.05 / 0.15,
    // -0.1 / 0.3] = [1/3, -1/3]. a2 = 0.9 * a1 + 0.1 * g2 = [0.145, 0.01]; d2 = v2 - a2^2 = [0.101475, 0.1899].
    RMSprop centered({.learning_rate = 0.1, .centered = true});
    check_values(two_steps(centered), {1.0 - 0.05 / std::sqrt(0.0225 + 1e-7) - 0.1 / std::sqrt(0.101475 + 1e-7),
                                       2.0 + 0.1 / std::sqrt(0.09 + 1e-7) - 0.1 / std::sqrt(0.1899 + 1e-7)});

    // Momentum 0.5: m1 = inc1, w1 = w0 - m1; m2 = 0.5 * m1 + inc2, w2 = w1 - m2.
    RMSprop momentum({.learning_rate = 0.1, .momentum = 0.5});
    check_values(two_steps(momentum), {1.0 - inc1a - (0.5 * inc1a + inc2a), 2.0 - inc1b - (0.5 * inc1b + inc2b)});
    // Slots in Keras's creation order: velocity, momentum, average_gradient.
    RMSprop both({.momentum = 0.5, .centered = true});
    both.build({make_var("w", {0.0f})});
    const auto state = both.variables();
    REQUIRE(state.size() == 5);
    CHECK(state[2].first == "w_velocity");
    CHECK(state[3].first == "w_momentum");
    CHECK(state[4].first == "w_average_gradient");
}

TEST_CASE("optim: Adagrad accumulates squared gradients from initial_accumulator_value") {
    Adagrad opt({.learning_rate = 0.1});
    // acc1 = 0.1 + g1^2 = [0.35, 1.1]; w1 = w0 - 0.1 * g1 / sqrt(acc1 + 1e-7).
    // acc2 = acc1 + g2^2 = [1.35, 2.1]; w2 = w1 - 0.1 * g2 / sqrt(acc2 + 1e-7).
    check_values(two_steps(opt), {1.0 - 0.05 / std::sqrt(0.35 + 1e-7) - 0.1 / std::sqrt(1.35 + 1e-7),
                                  2.0 + 0.1 / std::sqrt(1.1 + 1e-7) - 0.1 / std::sqrt(2.1 + 1e-7)});
    const auto state = opt.variables();
    CHECK(state[2].first == "w_accumulator");
}

TEST_CASE("optim: clipnorm per variable, global_clipnorm over all, clipvalue elementwise, loss_scale_factor") {
    // SGD with lr 1 from zeros, so w = -(processed gradient).
    auto run = [](const OptimizerOptions& common, const Tensor& ga, const Tensor& gb) {
        SGD opt({.learning_rate = 1.0}, common);
        Variable a = make_var("a", {0.0f, 0.0f});
        Variable b = make_var("b", {0.0f, 0.0f});
        opt.apply_gradients({ga, gb}, {a, b});
        return std::pair{a, b};
    };
    // clipnorm 1: [3, 4] has norm 5 -> [0.6, 0.8]; [0.3, 0.4] has norm 0.5 <= 1 and is left alone.
    auto [a1, b1] = run({.clipnorm = 1.0}, Tensor{3.0f, 4.0f}, Tensor{0.3f, 0.4f});
    check_values(a1, {-0.6, -0.8});
    check_values(b1, {-0.3, -0.4});
    // global_clipnorm 1: the global norm of [3, 0] and [0, 4] is 5 -> both scaled by 0.2.
    auto [a2, b2] = run({.global_clipnorm = 1.0}, Tensor{3.0f, 0.0f}, Tensor{0.0f, 4.0f});
    check_values(a2, {-0.6, 0.0});
    check_values(b2, {0.0, -0.8});
    // The same gradients with clipnorm 1 clip each to norm 1 instead.
    auto [a3, b3] = run({.clipnorm = 1.0}, Tensor{3.0f, 0.0f}, Tensor{0.0f, 4.0f});
    check_values(a3, {-1.0, 0.0});
    check_values(b3, {0.0, -1.0});
    // global_clipnorm above the global norm changes nothing.
    auto [a4, b4] = run({.global_clipnorm = 10.0}, Tensor{3.0f, 0.0f}, Tensor{0.0f, 4.0f});
    check_values(a4, {-3.0, 0.0});
    check_values(b4, {0.0, -4.0});
    // clipvalue 0.5: [3, -0.2] -> [0.5, -0.2]; [-7, 0.5] -> [-0.5, 0.5].
    auto [a5, b5] = run({.clipvalue = 0.5}, Tensor{3.0f, -0.2f}, Tensor{-7.0f, 0.5f});
    check_values(a5, {-0.5, 0.2});
    check_values(b5, {0.5, -0.5});
    // loss_scale_factor 4 divides the gradients: [4, -8] -> [1, -2], then clipvalue does not apply (not set).
    auto [a6, b6] = run({.loss_scale_factor = 4.0}, Tensor{4.0f, -8.0f}, Tensor{0.0f, 2.0f});
    check_values(a6, {-1.0, 2.0});
    check_values(b6, {0.0, -0.5});
}

TEST_CASE("optim: constraints are applied after the update") {
    SGD opt({.learning_rate = 1.0}, {.weight_decay = 0.5});
    Variable w = make_var("w", {1.0f, 1.0f});
    w.set_constraint([](const Tensor& t) { return relu(t); });
    // Decay: 1 - 1 * 0.5 * 1 = 0.5; update: 0.5 - g = [0.5 - 2, 0.5 + 1] = [-1.5, 1.5]; non-negative: [0, 1.5].
    // Constraining before the update would have left [-1.5, 1.5].
    opt.apply_gradients({Tensor{2.0f, -1.0f}}, {w});
    check_values(w, {0.0, 1.5});
}

TEST_CASE("optim: an undefined gradient skips its variable entirely") {
    SGD opt({.learning_rate = 0.1, .momentum = 0.9}, {.weight_decay = 0.5});
    Variable a = make_var("a", {1.0f, 2.0f});
    Variable b = make_var("b", {1.0f, 2.0f});
    opt.apply_gradients({Tensor(), kG1}, {a, b});
    check_values(a, {1.0, 2.0});  // neither decayed nor updated
    // b: 0.95 * [1, 2] + m1, m1 = -0.1 * g1 = [-0.05, 0.1] -> [0.9, 2.0].
    check_values(b, {0.9, 2.0});
    CHECK(opt.iterations() == 1);
    // Slots exist for both (as Keras builds on every variable passed), variable order first.
    const auto state = opt.variables();
    REQUIRE(state.size() == 4);
    CHECK(state[2].first == "a_momentum");
    CHECK(state[3].first == "b_momentum");
    // All undefined is an error; empty lists do nothing.
    CHECK_THROWS_WITH_AS(opt.apply_gradients({Tensor()}, {a}), doctest::Contains("no gradient"), ValueError);
    opt.apply_gradients({}, {});
    CHECK(opt.iterations() == 1);
}

TEST_CASE("optim: slots are keyed by path and survive a different variable order") {
    SGD opt({.learning_rate = 0.1, .momentum = 0.9});
    Variable kernel = make_var("dense/kernel", {1.0f, 2.0f});
    Variable bias = make_var("dense/bias", {0.0f, 0.0f});
    opt.apply_gradients({kG1, Tensor{1.0f, 0.0f}}, {kernel, bias});
    // Second call: reversed order, and the kernel as a new Variable object with the same path and value.
    Variable kernel_again = make_var("dense/kernel", kernel.value().to_vector());
    opt.apply_gradients({Tensor{0.0f, 1.0f}, kG2}, {bias, kernel_again});
    // The kernel follows the SGD momentum case: [0.805, 2.09].
    check_values(kernel_again, {0.805, 2.09});
    // bias: m1 = [-0.1, 0], w1 = [-0.1, 0]; m2 = 0.9 * m1 - 0.1 * [0, 1] = [-0.09, -0.1]; w2 = [-0.19, -0.1].
    check_values(bias, {-0.19, -0.1});
    const auto state = opt.variables();
    REQUIRE(state.size() == 4);
    CHECK(state[2].first == "dense_kernel_momentum");
    CHECK(state[3].first == "dense_bias_momentum");
}

TEST_CASE("optim: Adam's state interleaves momentum and velocity per variable, then velocity_hat, as Keras 3") {
    // Keras 3's Adam.build creates momentum and velocity in one loop over the variables (real .keras files hold
    // m(kernel), v(kernel), m(bias), v(bias)); amsgrad's velocity_hat slots come after, in a second loop.
    Adam opt({.amsgrad = true});
    opt.build({make_var("dense/kernel", {0.0f, 0.0f}), make_var("dense/bias", {0.0f})});
    std::vector<std::string> names;
    for (const auto& [name, value] : opt.variables()) names.push_back(name);
    CHECK(names == std::vector<std::string>{"iteration", "learning_rate", "dense_kernel_momentum",
                                            "dense_kernel_velocity", "dense_bias_momentum", "dense_bias_velocity",
                                            "dense_kernel_velocity_hat", "dense_bias_velocity_hat"});
    CHECK(opt.variables()[3].second.shape() == Shape{2});
    CHECK(opt.variables()[4].second.shape() == Shape{1});
}

TEST_CASE("optim: a schedule gives the learning rate at each step") {
    // PiecewiseConstantDecay([1], [0.1, 0.01]): steps 0 and 1 use 0.1, step 2 uses 0.01.
    SGD opt({.learning_rate = std::make_shared<PiecewiseConstantDecay>(std::vector<int64_t>{1},
                                                                       std::vector<double>{0.1, 0.01})});
    Variable w = make_var("w", {0.0f, 0.0f});
    std::vector<double> rates;
    for (int step = 0; step < 3; ++step) {
        rates.push_back(opt.learning_rate());
        opt.apply_gradients({kG2}, {w});
    }
    CHECK(rates == std::vector<double>{0.1, 0.1, 0.01});
    // w = -(0.1 + 0.1 + 0.01) * [1, 1].
    check_values(w, {-0.21, -0.21});
    // A schedule keeps no learning_rate variable; set_learning_rate replaces it with a constant that does.
    CHECK(opt.variables().size() == 1);
    opt.set_learning_rate(0.5);
    CHECK(opt.learning_rate_schedule() == nullptr);
    CHECK(opt.learning_rate() == 0.5);
    CHECK(opt.variables()[1].first == "learning_rate");

    // Weight decay uses the scheduled rate too: ExponentialDecay(0.1, 1, 0.5) gives 0.1, then 0.05.
    SGD decayed({.learning_rate = std::make_shared<ExponentialDecay>(0.1, 1, 0.5)}, {.weight_decay = 1.0});
    Variable v = make_var("v", {1.0f, 1.0f});
    decayed.apply_gradients({Tensor{0.0f, 1.0f}}, {v});
    decayed.apply_gradients({Tensor{0.0f, 1.0f}}, {v});
    // Step 1: 0.9 * [1, 1] - 0.1 * [0, 1] = [0.9, 0.8]; step 2: 0.95 * [0.9, 0.8] - 0.05 * [0, 1] = [0.855, 0.71].
    check_values(v, {0.855, 0.71});
}

TEST_CASE("optim: set_variables into a fresh optimizer continues exactly where the original was") {
    const std::vector<OptimizerPtr> originals{
        std::make_shared<SGD>(SGDOptions{.learning_rate = 0.1, .momentum = 0.9, .nesterov = true}),
        std::make_shared<Adam>(AdamOptions{.learning_rate = 0.05, .amsgrad = true}),
        std::make_shared<AdamW>(AdamOptions{.learning_rate = 0.05}, OptimizerOptions{.weight_decay = 0.1}),
        std::make_shared<RMSprop>(RMSpropOptions{.learning_rate = 0.05, .momentum = 0.5, .centered = true}),
        std::make_shared<Adagrad>(AdagradOptions{.learning_rate = 0.1}),
        std::make_shared<Adam>(AdamOptions{.learning_rate = std::make_shared<CosineDecay>(0.1, 10)}),
    };
    for (const OptimizerPtr& original : originals) {
        CAPTURE(original->class_name());
        Variable a = make_var("dense/kernel", {1.0f, 2.0f});
        Variable b = make_var("dense/bias", {-1.0f});
        original->apply_gradients({kG1, Tensor{0.3f}}, {a, b});
        original->apply_gradients({kG2, Tensor{-0.7f}}, {a, b});

        // A fresh optimizer of the same config, built on copies of the variables, restored from the state.
        const OptimizerPtr fresh = deserialize(serialize(*original));
        Variable a2 = make_var("dense/kernel", a.value().to_vector());
        Variable b2 = make_var("dense/bias", b.value().to_vector());
        fresh->build({a2, b2});
        fresh->set_variables(original->variables());
        CHECK(fresh->iterations() == 2);

        const std::vector<Tensor> g3{Tensor{-0.25f, 0.75f}, Tensor{0.5f}};
        original->apply_gradients(g3, {a, b});
        fresh->apply_gradients(g3, {a2, b2});
        CHECK(array_equal(a.value(), a2.value()));
        CHECK(array_equal(b.value(), b2.value()));
        const auto s1 = original->variables();
        const auto s2 = fresh->variables();
        REQUIRE(s1.size() == s2.size());
        for (size_t i = 0; i < s1.size(); ++i) {
            CHECK(s1[i].first == s2[i].first);
            CHECK(array_equal(s1[i].second, s2[i].second));
        }
    }
}

TEST_CASE("optim: set_variables is strict and changes nothing when it fails") {
    Adam original;
    Variable w = make_var("w", {1.0f, 2.0f});
    original.apply_gradients({kG1}, {w});
    const auto state = original.variables();

    Adam unbuilt;
    CHECK_THROWS_WITH_AS(unbuilt.set_variables(state), doctest::Contains("expected 2 variables, got 4"), ValueError);

    Adam fresh;
    fresh.build({w});
    auto renamed = state;
    renamed[2].first = "v_momentum";
    CHECK_THROWS_WITH_AS(fresh.set_variables(renamed), doctest::Contains("must be 'w_momentum'"), ValueError);
    auto reshaped = state;
    reshaped[3].second = Tensor{0.0f, 0.0f, 0.0f};
    CHECK_THROWS_WITH_AS(fresh.set_variables(reshaped), doctest::Contains("'w_velocity' must have shape [2]"),
                         ShapeError);
    auto fractional = state;
    fractional[0].second = Tensor::scalar(1.5f);
    CHECK_THROWS_AS(fresh.set_variables(fractional), ValueError);
    CHECK(fresh.iterations() == 0);
    CHECK(fresh.variables()[2].second.to_vector() == std::vector<float>{0.0f, 0.0f});
    // A schedule-driven optimizer keeps no learning_rate variable, so a constant-rate optimizer's state does not fit.
    Adam scheduled({.learning_rate = std::make_shared<ExponentialDecay>(0.1, 10, 0.5)});
    scheduled.build({w});
    CHECK_THROWS_AS(scheduled.set_variables(state), ValueError);
}

TEST_CASE("optim: argument errors name the variable path and leave everything unchanged") {
    SGD opt({.learning_rate = 0.1, .momentum = 0.5});
    Variable a = make_var("dense/kernel", {1.0f, 2.0f});
    Variable b = make_var("dense/bias", {1.0f});
    CHECK_THROWS_WITH_AS(opt.apply_gradients({kG1}, {a, b}), doctest::Contains("got 1 gradients for 2 variables"),
                         ValueError);
    CHECK_THROWS_WITH_AS(opt.apply_gradients({kG1, Tensor{1.0f, 2.0f}}, {a, b}),
                         doctest::Contains("the gradient of 'dense/bias' has shape [2], the variable has shape [1]"),
                         ShapeError);
    Variable twin = make_var("dense/kernel", {0.0f, 0.0f});
    CHECK_THROWS_WITH_AS(opt.apply_gradients({kG1, kG1}, {a, twin}),
                         doctest::Contains("two variables have the same path 'dense/kernel'"), ValueError);
    CHECK_THROWS_AS(opt.apply_gradients({kG1}, {Variable()}), ValueError);
    CHECK(opt.iterations() == 0);
    CHECK(opt.variables().size() == 2);  // no slot was created
    check_values(a, {1.0, 2.0});

    // A known path must keep its shape.
    opt.apply_gradients({kG1}, {a});
    Variable reshaped = make_var("dense/kernel", {1.0f, 2.0f, 3.0f});
    CHECK_THROWS_WITH_AS(opt.apply_gradients({Tensor{1.0f, 1.0f, 1.0f}}, {reshaped}),
                         doctest::Contains("'dense/kernel' has shape [3]"), ShapeError);
}

TEST_CASE("optim: option errors") {
    CHECK_THROWS_WITH_AS(SGD({}, {.clipnorm = 1.0, .clipvalue = 1.0}),
                         doctest::Contains("only one of clipnorm, clipvalue and global_clipnorm"), ValueError);
    CHECK_THROWS_AS(Adam({}, {.clipnorm = 1.0, .global_clipnorm = 1.0}), ValueError);
    CHECK_THROWS_AS(Adam({}, {.clipvalue = 1.0, .global_clipnorm = 1.0}), ValueError);
    CHECK_THROWS_WITH_AS(SGD({.learning_rate = -0.1}), doctest::Contains("learning_rate must be a finite number >= 0"),
                         ValueError);
    CHECK_THROWS_AS(Adam({.learning_rate = LearningRateSchedulePtr{}}), ValueError);
    SGD sgd;
    CHECK_THROWS_AS(sgd.set_learning_rate(-1.0), ValueError);
    CHECK(sgd.learning_rate() == 0.01);
    CHECK_THROWS_AS(SGD({.momentum = 1.5}), ValueError);
    CHECK_THROWS_AS(Adam({.beta_1 = 1.0}), ValueError);
    CHECK_THROWS_AS(RMSprop({.rho = -0.1}), ValueError);
    CHECK_THROWS_AS(Adagrad({.initial_accumulator_value = -1.0}), ValueError);
    CHECK_THROWS_AS(SGD({}, {.weight_decay = -0.1}), ValueError);
    CHECK_THROWS_AS(SGD({}, {.clipnorm = -1.0}), ValueError);
    CHECK_THROWS_AS(SGD({}, {.loss_scale_factor = 0.0}), ValueError);
    CHECK_THROWS_WITH_AS(Adam({}, {.use_ema = true}), doctest::Contains("use_ema"), NotImplementedError);
    CHECK_THROWS_WITH_AS(Adam({}, {.gradient_accumulation_steps = 4}), doctest::Contains("gradient_accumulation_steps"),
                         NotImplementedError);
    // A schedule that turns negative is caught at the step that would use it.
    SGD negative({.learning_rate = std::make_shared<PiecewiseConstantDecay>(std::vector<int64_t>{0},
                                                                            std::vector<double>{0.1, -0.1})});
    Variable w = make_var("w", {1.0f});
    negative.apply_gradients({Tensor{1.0f}}, {w});
    CHECK_THROWS_WITH_AS(negative.apply_gradients({Tensor{1.0f}}, {w}), doctest::Contains("at step 1"), ValueError);
}

TEST_CASE("optim: get finds every optimizer by any case of its name, with Keras defaults") {
    CHECK(get("sgd")->class_name() == "SGD");
    CHECK(get("SGD")->class_name() == "SGD");
    CHECK(get("adam")->class_name() == "Adam");
    CHECK(get("ADAM")->class_name() == "Adam");
    CHECK(get("AdamW")->class_name() == "AdamW");
    CHECK(get("rmsprop")->class_name() == "RMSprop");
    CHECK(get("RMSprop")->class_name() == "RMSprop");
    CHECK(get("adagrad")->class_name() == "Adagrad");
    CHECK_THROWS_WITH_AS(get("nadam"), doctest::Contains("unknown optimizer 'nadam'"), ValueError);

    CHECK(get("sgd")->learning_rate() == 0.01);
    CHECK(get("sgd")->name() == "SGD");
    CHECK(get("adam")->learning_rate() == 0.001);
    CHECK(get("adam")->name() == "adam");
    CHECK(get("adamw")->name() == "adamw");
    CHECK(get("adamw")->options().weight_decay == 0.004);
    CHECK(get("rmsprop")->name() == "rmsprop");
    CHECK(get("adagrad")->name() == "adagrad");
    const json adam = get("adam")->get_config();
    CHECK(adam["beta_1"] == 0.9);
    CHECK(adam["beta_2"] == 0.999);
    CHECK(adam["epsilon"] == 1e-7);
    CHECK(adam["amsgrad"] == false);
    const json rms = get("rmsprop")->get_config();
    CHECK(rms["rho"] == 0.9);
    CHECK(rms["momentum"] == 0.0);
    CHECK(rms["centered"] == false);
    CHECK(get("adagrad")->get_config()["initial_accumulator_value"] == 0.1);
}

TEST_CASE("optim: configs carry the Keras 3 keys and round-trip for every optimizer") {
    const std::vector<OptimizerPtr> optimizers{
        std::make_shared<SGD>(SGDOptions{.learning_rate = 0.1, .momentum = 0.9, .nesterov = true},
                              OptimizerOptions{.name = "my_sgd", .clipnorm = 2.0}),
        std::make_shared<Adam>(AdamOptions{.beta_1 = 0.8, .beta_2 = 0.99, .epsilon = 1e-6, .amsgrad = true},
                               OptimizerOptions{.weight_decay = 0.01, .global_clipnorm = 1.5}),
        std::make_shared<AdamW>(AdamOptions{.learning_rate = 0.003}, OptimizerOptions{.clipvalue = 0.5}),
        std::make_shared<RMSprop>(RMSpropOptions{.rho = 0.8, .momentum = 0.3, .epsilon = 1e-5, .centered = true},
                                  OptimizerOptions{.ema_momentum = 0.9, .loss_scale_factor = 128.0}),
        std::make_shared<Adagrad>(AdagradOptions{.initial_accumulator_value = 0.2, .epsilon = 1e-6}),
        std::make_shared<SGD>(SGDOptions{.learning_rate = std::make_shared<CosineDecay>(0.1, 100, 0.05, 0.5, 10)}),
    };
    const std::vector<std::string> common{"name",         "learning_rate",           "weight_decay",
                                          "clipnorm",     "global_clipnorm",         "clipvalue",
                                          "use_ema",      "ema_momentum",            "ema_overwrite_frequency",
                                          "loss_scale_factor", "gradient_accumulation_steps"};
    for (const OptimizerPtr& opt : optimizers) {
        CAPTURE(opt->class_name());
        const json config = opt->get_config();
        for (const std::string& key : common) {
            CAPTURE(key);
            CHECK(config.contains(key));
        }
        CHECK(from_config(opt->class_name(), config)->get_config() == config);
        const json serialized = serialize(*opt);
        CHECK(serialized["module"] == "keras.optimizers");
        CHECK(serialized["class_name"] == opt->class_name());
        CHECK(serialized["registered_name"] == nullptr);
        const OptimizerPtr back = deserialize(serialized);
        CHECK(back->class_name() == opt->class_name());
        CHECK(serialize(*back) == serialized);
    }
    // Keys beyond the common ones: exactly the optimizer's own.
    CHECK(optimizers[0]->get_config().size() == common.size() + 2);  // momentum, nesterov
    CHECK(optimizers[1]->get_config().size() == common.size() + 4);  // beta_1, beta_2, epsilon, amsgrad
    CHECK(optimizers[3]->get_config().size() == common.size() + 4);  // rho, momentum, epsilon, centered
    CHECK(optimizers[4]->get_config().size() == common.size() + 2);  // initial_accumulator_value, epsilon
    const json sgd = optimizers[0]->get_config();
    CHECK(sgd["name"] == "my_sgd");
    CHECK(sgd["clipnorm"] == 2.0);
    CHECK(sgd["weight_decay"] == nullptr);
    CHECK(sgd["use_ema"] == false);
    CHECK(sgd["ema_momentum"] == 0.99);
    // A schedule is stored as its serialized dict.
    const json scheduled = optimizers[5]->get_config()["learning_rate"];
    CHECK(scheduled["module"] == "keras.optimizers.schedules");
    CHECK(scheduled["class_name"] == "CosineDecay");
    CHECK(scheduled["config"]["warmup_target"] == 0.5);
}

TEST_CASE("optim: from_config is strict") {
    CHECK_THROWS_WITH_AS(from_config("Adam", {{"learning_rate", 0.1}, {"decay", 0.0}}),
                         doctest::Contains("unknown config key 'decay'"), ValueError);
    CHECK_THROWS_WITH_AS(from_config("SGD", {{"nesterov", 1}}), doctest::Contains("'nesterov' must be a boolean"),
                         ValueError);
    CHECK_THROWS_WITH_AS(from_config("Adam", {{"use_ema", true}}), doctest::Contains("use_ema"), NotImplementedError);
    CHECK_THROWS_WITH_AS(from_config("RMSprop", {{"gradient_accumulation_steps", 2}}),
                         doctest::Contains("gradient_accumulation_steps"), NotImplementedError);
    CHECK_THROWS_AS(from_config("AdamW", {{"weight_decay", nullptr}}), ValueError);
    CHECK_THROWS_AS(from_config("Adam", {{"learning_rate", "fast"}}), ValueError);
    CHECK_THROWS_AS(from_config("SGD", {{"clipnorm", 1.0}, {"clipvalue", 1.0}}), ValueError);
    CHECK_THROWS_AS(deserialize({{"module", "keras.layers"}, {"class_name", "Adam"}, {"config", json::object()}}),
                    ValueError);
    // Accepted: nulls for the nullable keys, any case of the class name, a Keras 3 dict with a schedule.
    const json keras = {
        {"module", "keras.optimizers"},
        {"class_name", "adam"},
        {"config",
         {{"name", nullptr},
          {"learning_rate",
           {{"module", "keras.optimizers.schedules"},
            {"class_name", "ExponentialDecay"},
            {"config", {{"initial_learning_rate", 0.1}, {"decay_steps", 10}, {"decay_rate", 0.5}}},
            {"registered_name", nullptr}}},
          {"weight_decay", nullptr},
          {"clipnorm", nullptr},
          {"ema_overwrite_frequency", nullptr}}},
        {"registered_name", nullptr}};
    const OptimizerPtr adam = deserialize(keras);
    CHECK(adam->class_name() == "Adam");
    CHECK(adam->name() == "adam");
    CHECK(adam->learning_rate() == 0.1);
    REQUIRE(adam->learning_rate_schedule() != nullptr);
    CHECK(adam->learning_rate_schedule()->class_name() == "ExponentialDecay");
}

TEST_CASE("optim: every optimizer minimizes (w - 3)^2 from 0 with GradientTape") {
    // Learning rates chosen for each rule; Adam and RMSprop take nearly lr-sized steps, so they decay to 0.
    const std::vector<std::pair<OptimizerPtr, int>> cases{
        {std::make_shared<SGD>(SGDOptions{.learning_rate = 0.1}), 60},  // error * 0.8 per step
        {std::make_shared<SGD>(SGDOptions{.learning_rate = 0.05, .momentum = 0.8, .nesterov = true}), 100},
        {std::make_shared<Adam>(AdamOptions{.learning_rate = std::make_shared<CosineDecay>(0.3, 300)}), 300},
        {std::make_shared<AdamW>(AdamOptions{.learning_rate = std::make_shared<CosineDecay>(0.3, 300)},
                                 OptimizerOptions{.weight_decay = 1e-4}),
         300},
        {std::make_shared<RMSprop>(RMSpropOptions{.learning_rate = std::make_shared<CosineDecay>(0.1, 300)}), 300},
        {std::make_shared<Adagrad>(AdagradOptions{.learning_rate = 1.0}), 300},
    };
    for (const auto& [opt, steps] : cases) {
        CAPTURE(opt->class_name());
        Variable w("w", Tensor::scalar(0.0f));
        for (int i = 0; i < steps; ++i) {
            GradientTape tape;
            const Tensor loss = square(w.value() - 3.0f);
            opt->apply_gradients(tape.gradient(loss, std::vector<Variable>{w}), {w});
        }
        CHECK(std::fabs(w.value().item() - 3.0f) < 1e-2f);
    }
}
