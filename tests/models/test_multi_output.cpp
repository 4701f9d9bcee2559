// Functional models with several inputs and outputs: outputs by position and by name, per-output losses,
// loss_weights and metrics, Keras 3's log names, which layers each head's gradients reach, nested two-output
// models used as layers, and the errors for data and compile arguments that do not fit the outputs.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include <cmath>
#include <set>

#include "models/model_helpers.hpp"
#include "support/gradcheck.hpp"
#include "support/temp_dir.hpp"

using namespace kiln;
using kiln::testing::all_equal;
using kiln::testing::CaptureCout;
using kiln::testing::column;
using kiln::testing::TempDir;
using kiln::testing::values_of;

namespace {

// Inputs "x1" (2 features) and "x2" (1 feature). "trunk" = Dense(2) on x1, "policy" = Dense(1) on trunk,
// "value" = Dense(1) on x2: the policy head depends on trunk and policy only, the value head on value only.
// Weights: trunk kernel [[1, 2], [3, 4]], bias [0, 0]; policy kernel [[1], [-1]], bias [0.5]; value kernel [[2]],
// bias [-1].
struct TwoHeads {
    layers::Dense trunk{{.name = "trunk", .units = 2}};
    layers::Dense policy{{.name = "policy", .units = 1}};
    layers::Dense value{{.name = "value", .units = 1}};
    Model model;

    TwoHeads() : model(make()) {
        trunk->set_weights({Tensor({1, 2, 3, 4}, Shape{2, 2}), Tensor({0, 0}, Shape{2})});
        policy->set_weights({Tensor({1, -1}, Shape{2, 1}), Tensor({0.5f}, Shape{1})});
        value->set_weights({Tensor({2}, Shape{1, 1}), Tensor({-1}, Shape{1})});
    }

private:
    Model make() {
        const SymbolicTensor x1 = layers::Input({2}, {.name = "x1"});
        const SymbolicTensor x2 = layers::Input({1}, {.name = "x2"});
        return Model({x1, x2}, {policy(trunk(x1)), value(x2)}, "two_heads");
    }
};

// The batch: x1 rows [1, 0], [0, 1], [1, 1]; x2 = [1, 2, 3]; targets policy [0, 1, -1], value [1, 2, 3].
const Tensor x1_data({1, 0, 0, 1, 1, 1}, Shape{3, 2});
const Tensor x2_data = column({1, 2, 3});
const Tensor policy_target = column({0, 1, -1});
const Tensor value_target = column({1, 2, 3});

// The heads computed here from the weights above, in double.
std::vector<double> policy_by_hand() {
    std::vector<double> out;
    for (int64_t i = 0; i < 3; ++i) {
        const double a = x1_data.at({i, 0}), b = x1_data.at({i, 1});
        const double t0 = 1 * a + 3 * b, t1 = 2 * a + 4 * b;  // trunk = x1 @ [[1, 2], [3, 4]]
        out.push_back(t0 - t1 + 0.5);
    }
    return out;  // [-0.5, -0.5, -1.5]
}

std::vector<double> value_by_hand() {
    std::vector<double> out;
    for (int64_t i = 0; i < 3; ++i) out.push_back(2.0 * x2_data.at({i, 0}) - 1.0);
    return out;  // [1, 3, 5]
}

double mse(const std::vector<double>& pred, const Tensor& target) {
    double s = 0;
    for (size_t i = 0; i < pred.size(); ++i) {
        const double d = pred[i] - target.at({static_cast<int64_t>(i), 0});
        s += d * d;
    }
    return s / static_cast<double>(pred.size());
}

double mae(const std::vector<double>& pred, const Tensor& target) {
    double s = 0;
    for (size_t i = 0; i < pred.size(); ++i) s += std::abs(pred[i] - target.at({static_cast<int64_t>(i), 0}));
    return s / static_cast<double>(pred.size());
}

std::set<std::string> keys_of(const std::map<std::string, double>& logs) {
    std::set<std::string> out;
    for (const auto& [key, value] : logs) out.insert(key);
    return out;
}

std::set<std::string> keys_of(const History& h) {
    std::set<std::string> out;
    for (const auto& [key, values] : h.history) out.insert(key);
    return out;
}

void check_column(const Tensor& t, const std::vector<double>& expected) {
    REQUIRE(t.shape() == Shape{static_cast<int64_t>(expected.size()), 1});
    for (size_t i = 0; i < expected.size(); ++i)
        CHECK(t.at({static_cast<int64_t>(i), 0}) == doctest::Approx(expected[i]).epsilon(1e-6));
}

}  // namespace

TEST_CASE("multi-output: outputs by position, output names from their layers, inputs by list or by name") {
    TwoHeads m;
    CHECK(m.model.output_names() == std::vector<std::string>{"policy", "value"});
    CHECK(m.model->input_names() == std::vector<std::string>{"x1", "x2"});
    const std::vector<Tensor> outs = m.model.call_outputs({x1_data, x2_data});
    REQUIRE(outs.size() == 2);
    check_column(outs[0], policy_by_hand());
    check_column(outs[1], value_by_hand());

    const std::vector<Tensor> predicted =
        m.model.predict_outputs(std::map<std::string, Tensor>{{"x2", x2_data}, {"x1", x1_data}}, {.batch_size = 2});
    REQUIRE(predicted.size() == 2);
    check_column(predicted[0], policy_by_hand());
    check_column(predicted[1], value_by_hand());

    const std::map<std::string, Tensor> by_name = m.model.predict_by_name({x1_data, x2_data});
    REQUIRE(by_name.size() == 2);
    check_column(by_name.at("policy"), policy_by_hand());
    check_column(by_name.at("value"), value_by_hand());

    CHECK_THROWS_WITH_AS(m.model.predict({x1_data, x2_data}), doctest::Contains("has 2 outputs; predict_outputs()"),
                         ValueError);
    CHECK_THROWS_AS(m.model({x1_data, x2_data}), ValueError);
    CHECK_THROWS_WITH_AS(m.model.predict_outputs(std::map<std::string, Tensor>{{"x1", x1_data}}),
                         doctest::Contains("x2"), ValueError);
    CHECK_THROWS_AS(m.model.predict_outputs({x1_data}), ValueError);
}

TEST_CASE("multi-output: the total loss is the loss_weights-weighted sum of the heads' losses") {
    TwoHeads m;
    const double policy_mse = mse(policy_by_hand(), policy_target);  // (0.25 + 2.25 + 0.25) / 3
    const double value_mae = mae(value_by_hand(), value_target);     // (0 + 1 + 2) / 3 = 1
    SUBCASE("loss and loss_weights as maps by output name") {
        m.model.compile({.optimizer = optim::SGD({.learning_rate = 0.0}),
                         .loss = {{"policy", "mse"}, {"value", "mae"}},
                         .loss_weights = {{"policy", 0.5}, {"value", 2.0}}});
    }
    SUBCASE("loss and loss_weights as lists by output position") {
        m.model.compile({.optimizer = optim::SGD({.learning_rate = 0.0}),
                         .loss = {LossArg("mse"), LossArg("mae")},
                         .loss_weights = {0.5, 2.0}});
    }
    const auto logs = m.model.evaluate({x1_data, x2_data}, {policy_target, value_target}, {.verbose = 0});
    CHECK(keys_of(logs) == std::set<std::string>{"loss", "policy_loss", "value_loss"});
    CHECK(logs.at("policy_loss") == doctest::Approx(policy_mse).epsilon(1e-6));
    CHECK(logs.at("value_loss") == doctest::Approx(value_mae).epsilon(1e-6));
    CHECK(logs.at("loss") == doctest::Approx(0.5 * policy_mse + 2.0 * value_mae).epsilon(1e-6));

    // y by output name gives the same numbers.
    const auto by_name = m.model.test_on_batch({x1_data, x2_data},
                                               std::map<std::string, Tensor>{{"value", value_target},
                                                                             {"policy", policy_target}});
    CHECK(by_name.at("loss") == doctest::Approx(0.5 * policy_mse + 2.0 * value_mae).epsilon(1e-6));
}

TEST_CASE("multi-output: one loss for every output, and sample weights weigh each head") {
    TwoHeads m;
    m.model.compile({.optimizer = optim::SGD({.learning_rate = 0.0}), .loss = "mse"});
    const Tensor weights({1, 0, 2}, Shape{3});
    const auto logs = m.model.test_on_batch({x1_data, x2_data}, {policy_target, value_target}, weights);
    // Keras's weighted mean over the batch: sum(w * e^2) / n, n = 3.
    auto weighted_mse = [&weights](const std::vector<double>& pred, const Tensor& target) {
        double s = 0;
        for (int64_t i = 0; i < 3; ++i) {
            const double d = pred[static_cast<size_t>(i)] - target.at({i, 0});
            s += weights.at({i}) * d * d;
        }
        return s / 3.0;
    };
    const double p = weighted_mse(policy_by_hand(), policy_target), v = weighted_mse(value_by_hand(), value_target);
    CHECK(logs.at("policy_loss") == doctest::Approx(p).epsilon(1e-6));
    CHECK(logs.at("value_loss") == doctest::Approx(v).epsilon(1e-6));
    CHECK(logs.at("loss") == doctest::Approx(p + v).epsilon(1e-6));
}

TEST_CASE("multi-output: each head's gradients reach only the layers it depends on") {
    TwoHeads m;
    const std::vector<Tensor> trunk_before = values_of(m.trunk->weights());
    const std::vector<Tensor> policy_before = values_of(m.policy->weights());
    const std::vector<Tensor> value_before = values_of(m.value->weights());
    SUBCASE("a loss on the value head alone moves only the value layer, by the SGD step computed by hand") {
        m.model.compile({.optimizer = optim::SGD({.learning_rate = 0.1}),
                         .loss = {{"policy", LossArg()}, {"value", "mse"}}});
        const auto logs = m.model.train_on_batch({x1_data, x2_data}, {policy_target, value_target});
        CHECK(keys_of(logs) == std::set<std::string>{"loss"});
        CHECK(all_equal(values_of(m.trunk->weights()), trunk_before));
        CHECK(all_equal(values_of(m.policy->weights()), policy_before));
        // L = mean((v - y)^2): dL/dw = 2/3 sum(x2 (v - y)), dL/db = 2/3 sum(v - y).
        const std::vector<double> v = value_by_hand();
        double gw = 0, gb = 0;
        for (int64_t i = 0; i < 3; ++i) {
            const double err = v[static_cast<size_t>(i)] - value_target.at({i, 0});
            gw += 2.0 / 3.0 * x2_data.at({i, 0}) * err;
            gb += 2.0 / 3.0 * err;
        }
        const std::vector<Tensor> after = m.value->get_weights();
        CHECK(after[0].at({0, 0}) == doctest::Approx(2.0 - 0.1 * gw).epsilon(1e-6));
        CHECK(after[1].at({0}) == doctest::Approx(-1.0 - 0.1 * gb).epsilon(1e-6));
    }
    SUBCASE("a loss on the policy head alone leaves the value layer as it was") {
        m.model.compile({.optimizer = optim::SGD({.learning_rate = 0.1}), .loss = {LossArg("mse"), LossArg()}});
        m.model.train_on_batch({x1_data, x2_data}, {policy_target, value_target});
        CHECK(all_equal(values_of(m.value->weights()), value_before));
        CHECK_FALSE(all_equal(values_of(m.trunk->weights()), trunk_before));
        CHECK_FALSE(all_equal(values_of(m.policy->weights()), policy_before));
    }
}

TEST_CASE("multi-output: fit, evaluate and History use Keras 3's names, with val_ forms, and the progress bar shows them") {
    TwoHeads m;
    m.model.compile({.optimizer = optim::SGD({.learning_rate = 0.0}),
                     .loss = {{"policy", "mse"}, {"value", "mae"}},
                     .metrics = MetricsByOutput{{"policy", {"mae"}}, {"value", {"mse", "mae"}}}});
    const Tensor x1 = concatenate({x1_data, x1_data}, 0), x2 = concatenate({x2_data, x2_data}, 0);
    const Tensor yp = concatenate({policy_target, policy_target}, 0), yv = concatenate({value_target, value_target}, 0);
    History h;
    std::string printed;
    {
        CaptureCout capture;
        h = m.model.fit({x1, x2}, {yp, yv}, {.batch_size = 3, .epochs = 1, .verbose = 2, .validation_split = 0.5});
        printed = capture.text.str();
    }
    const std::set<std::string> names{"loss", "policy_loss", "value_loss", "policy_mae", "value_mse", "value_mae"};
    std::set<std::string> with_val = names;
    for (const std::string& n : names) with_val.insert("val_" + n);
    CHECK(keys_of(h) == with_val);
    // With a learning rate of 0 every epoch value is the batch value, computed by hand.
    const double policy_mse = mse(policy_by_hand(), policy_target), value_mae = mae(value_by_hand(), value_target);
    CHECK(h["loss"][0] == doctest::Approx(policy_mse + value_mae).epsilon(1e-6));
    CHECK(h["val_policy_loss"][0] == doctest::Approx(policy_mse).epsilon(1e-6));
    CHECK(h["policy_mae"][0] == doctest::Approx(mae(policy_by_hand(), policy_target)).epsilon(1e-6));
    CHECK(h["val_value_mse"][0] == doctest::Approx(mse(value_by_hand(), value_target)).epsilon(1e-6));
    CHECK(h["value_mae"][0] == doctest::Approx(value_mae).epsilon(1e-6));
    for (const std::string& n : with_val) CHECK_MESSAGE(printed.find(n + ": ") != std::string::npos, n);

    const auto logs = m.model.evaluate({x1_data, x2_data}, {policy_target, value_target}, {.verbose = 0});
    CHECK(keys_of(logs) == names);
}

TEST_CASE("multi-output: metrics as a list of lists by position, a repeated name gets _1") {
    TwoHeads m;
    m.model.compile({.optimizer = optim::SGD({.learning_rate = 0.0}),
                     .loss = "mse",
                     .metrics = {{"mae"}, {"mse"}}});
    const auto logs = m.model.evaluate({x1_data, x2_data}, {policy_target, value_target}, {.verbose = 0});
    CHECK(keys_of(logs) == std::set<std::string>{"loss", "policy_loss", "value_loss", "policy_mae", "value_mse"});
    CHECK(logs.at("value_mse") == doctest::Approx(mse(value_by_hand(), value_target)).epsilon(1e-6));

    TwoHeads twice;
    twice.model.compile({.loss = "mse", .metrics = MetricsByOutput{{"value", {"mae", "mae"}}}});
    CHECK(keys_of(twice.model.evaluate({x1_data, x2_data}, {policy_target, value_target}, {.verbose = 0})) ==
          std::set<std::string>{"loss", "policy_loss", "value_loss", "value_mae", "value_mae_1"});
}

TEST_CASE("multi-output: compile and data arguments that do not fit the outputs are refused, naming them") {
    TwoHeads m;
    CHECK_THROWS_WITH_AS(m.model.compile({.loss = {LossArg("mse")}}),
                         doctest::Contains("'policy', 'value'"), ValueError);
    CHECK_THROWS_WITH_AS(m.model.compile({.loss = {{"policy", "mse"}, {"nope", "mse"}}}),
                         doctest::Contains("loss names output 'nope'"), ValueError);
    CHECK_THROWS_WITH_AS(m.model.compile({.loss = {{"policy", "mse"}}}),
                         doctest::Contains("no entry for output 'value'"), ValueError);
    CHECK_THROWS_WITH_AS(m.model.compile({.loss = {LossArg(), LossArg()}}), doctest::Contains("a loss is required"),
                         ValueError);
    CHECK_THROWS_WITH_AS(m.model.compile({.loss = "mse", .loss_weights = {1.0}}),
                         doctest::Contains("loss_weights has 1 weights for a model with 2 outputs"), ValueError);
    CHECK_THROWS_WITH_AS(m.model.compile({.loss = "mse", .loss_weights = {{"val", 1.0}}}),
                         doctest::Contains("loss_weights names output 'val'"), ValueError);
    CHECK_THROWS_WITH_AS(m.model.compile({.loss = "mse", .metrics = {{"mae"}, {"mae"}, {"mae"}}}),
                         doctest::Contains("needs one entry per output"), ValueError);
    CHECK_THROWS_WITH_AS(m.model.compile({.loss = "mse", .metrics = MetricsByOutput{{"q", {"mae"}}}}),
                         doctest::Contains("metrics names output 'q'"), ValueError);

    m.model.compile({.loss = "mse"});
    CHECK_THROWS_WITH_AS(m.model.fit({x1_data, x2_data}, {policy_target}, {.verbose = 0}),
                         doctest::Contains("y"), ValueError);
    CHECK_THROWS_WITH_AS(
        m.model.fit({x1_data, x2_data}, std::map<std::string, Tensor>{{"policy", policy_target}, {"v", value_target}},
                    {.verbose = 0}),
        doctest::Contains("value"), ValueError);
    CHECK_THROWS_AS(m.model.fit({x1_data, x2_data}, {policy_target, column({1, 2})}, {.verbose = 0}), Error);
    CHECK_THROWS_WITH_AS(m.model.fit({x1_data, x2_data}, {policy_target, value_target},
                                     {.verbose = 0, .class_weight = {{0, 1.0}}}),
                         doctest::Contains("class_weight"), ValueError);
    CHECK_THROWS_WITH_AS(m.model.loss(), doctest::Contains("outputs"), Error);
}

TEST_CASE("multi-output: a .keras round trip keeps both outputs' predictions and the per-output compile config") {
    TwoHeads m;
    m.model.compile({.optimizer = optim::Adam({.learning_rate = 0.01}),
                     .loss = {{"policy", "mse"}, {"value", "mae"}},
                     .loss_weights = {{"policy", 0.5}, {"value", 2.0}},
                     .metrics = MetricsByOutput{{"value", {"mse"}}}});
    m.model.fit({x1_data, x2_data}, {policy_target, value_target}, {.batch_size = 3, .epochs = 2, .verbose = 0});
    TempDir dir;
    const std::string path = dir.path("two_heads.keras");
    m.model.save(path);
    const Model loaded = load_model(path);
    CHECK(loaded.output_names() == m.model.output_names());
    CHECK(loaded->input_names() == m.model->input_names());
    CHECK(all_equal(loaded.predict_outputs({x1_data, x2_data}), m.model.predict_outputs({x1_data, x2_data})));
    REQUIRE(loaded.compiled());
    nlohmann::json compile = serialization::compile_config(*loaded.layer());
    nlohmann::json saved = serialization::compile_config(*m.model.layer());
    // The learning rate comes back from the file's float32 optimizer variable, as Keras keeps it.
    CHECK(compile["optimizer"]["config"]["learning_rate"].get<double>() == static_cast<double>(0.01f));
    compile["optimizer"]["config"].erase("learning_rate");
    saved["optimizer"]["config"].erase("learning_rate");
    CHECK(compile == saved);
    CHECK(compile.at("loss") == nlohmann::json{{"policy", "mse"}, {"value", "mae"}});
    CHECK(compile.at("loss_weights") == nlohmann::json{{"policy", 0.5}, {"value", 2.0}});
    CHECK(loaded.evaluate({x1_data, x2_data}, {policy_target, value_target}, {.verbose = 0}) ==
          m.model.evaluate({x1_data, x2_data}, {policy_target, value_target}, {.verbose = 0}));
    // Training on continues identically (the optimizer state came along).
    m.model.train_on_batch({x1_data, x2_data}, {policy_target, value_target});
    loaded.train_on_batch({x1_data, x2_data}, {policy_target, value_target});
    CHECK(all_equal(loaded.get_weights(), m.model.get_weights()));

    const nlohmann::json config = m.model.get_config();
    CHECK(config.at("output_layers") ==
          nlohmann::json::parse(R"([["policy", 0, 0], ["value", 0, 0]])"));
    CHECK(config.at("input_layers") == nlohmann::json::parse(R"([["x1", 0, 0], ["x2", 0, 0]])"));
    const Model from_json = model_from_json(m.model.to_json());
    CHECK(from_json.output_names() == std::vector<std::string>{"policy", "value"});
}

TEST_CASE("multi-output: a nested model with two outputs is a layer with two outputs in another graph") {
    const SymbolicTensor in = layers::Input({2}, {.name = "inner_in"});
    layers::Dense a({.name = "a", .units = 1});
    layers::Dense b({.name = "b", .units = 1});
    const Model inner(in, {a(in), b(in)}, "inner");
    a->set_weights({Tensor({1, 2}, Shape{2, 1}), Tensor({0}, Shape{1})});
    b->set_weights({Tensor({-1, 1}, Shape{2, 1}), Tensor({3}, Shape{1})});

    const SymbolicTensor x = layers::Input({2}, {.name = "outer_in"});
    const std::vector<SymbolicTensor> heads = inner.call_outputs(x);
    REQUIRE(heads.size() == 2);
    CHECK(heads[1].index() == 1);
    const Model outer(x, {layers::Add({.name = "sum"})({heads[0], heads[1]}), heads[1]}, "outer");
    CHECK(outer.output_names() == std::vector<std::string>{"sum", "inner"});

    // rows [1, 1] and [2, -1]: a = x0 + 2 x1 = [3, 0]; b = -x0 + x1 + 3 = [3, 0]; sum = [6, 0].
    const Tensor data({1, 1, 2, -1}, Shape{2, 2});
    const std::vector<Tensor> outs = outer.predict_outputs(data);
    check_column(outs[0], {6, 0});
    check_column(outs[1], {3, 0});

    std::string table;
    {
        CaptureCout capture;
        outer.summary();
        table = capture.text.str();
    }
    CHECK(table.find("[(None, 1), (None, 1)]") != std::string::npos);

    // The config names the nested model's second output by its tensor index, and reloads.
    const nlohmann::json config = outer.get_config();
    CHECK(config.at("output_layers") == nlohmann::json::parse(R"([["sum", 0, 0], ["inner", 1, 1]])"));
    // In inbound nodes Keras counts only the outer graph's calls: the same call is node 0 there.
    for (const nlohmann::json& entry : config.at("layers"))
        if (entry.at("name") == "sum")
            CHECK(entry.at("inbound_nodes").at(0).at("args").at(0).at(1).at("config").at("keras_history") ==
                  nlohmann::json::parse(R"(["inner", 0, 1])"));
    TempDir dir;
    outer.save(dir.path("outer.keras"));
    const Model loaded = load_model(dir.path("outer.keras"));
    CHECK(all_equal(loaded.predict_outputs(data), outs));

    // Training through the nested model reaches both of its heads.
    outer.compile({.optimizer = optim::SGD({.learning_rate = 0.1}), .loss = "mse"});
    const std::vector<Tensor> before = values_of(inner.weights());
    outer.train_on_batch(data, {column({0, 1}), column({1, 1})});
    const std::vector<Tensor> after = values_of(inner.weights());
    for (size_t i = 0; i < before.size(); ++i) CHECK_FALSE(array_equal(before[i], after[i]));
}

TEST_CASE("multi-output: gradients of every output with respect to the inputs match finite differences") {
    TwoHeads m;
    kiln::testing::check_gradients(
        "two-head model",
        [&m](const std::vector<Tensor>& in) {
            const std::vector<Tensor> outs = m.model.call_outputs({in[0], in[1]}, true);
            return concatenate({outs[0], outs[1]}, 1);
        },
        {kiln::testing::random_input({3, 2}, 5), kiln::testing::random_input({3, 1}, 6)});
}

TEST_CASE("multi-output: outputs that share a name log _1 losses and refuse the by-name forms") {
    const SymbolicTensor in = layers::Input({2}, {.name = "shared_in"});
    layers::Dense head({.name = "head", .units = 1});
    const Model model(in, {head(in), head(in)}, "twice");
    CHECK(model.output_names() == std::vector<std::string>{"head", "head"});
    model.compile({.optimizer = optim::SGD({.learning_rate = 0.0}), .loss = {LossArg("mse"), LossArg("mae")}});
    const Tensor x({1, 2}, Shape{1, 2});
    const Tensor out = model.predict_outputs(x)[0];
    const double pred = out.at({0, 0});
    const auto logs = model.test_on_batch(x, {column({0}), column({1})});
    CHECK(keys_of(logs) == std::set<std::string>{"loss", "head_loss", "head_loss_1"});
    CHECK(logs.at("head_loss") == doctest::Approx(pred * pred).epsilon(1e-6));
    CHECK(logs.at("head_loss_1") == doctest::Approx(std::abs(pred - 1)).epsilon(1e-6));
    CHECK_THROWS_WITH_AS(model.compile({.loss = {{"head", "mse"}}}), doctest::Contains("belongs to several"),
                         ValueError);
    CHECK_THROWS_WITH_AS(model.predict_by_name(x), doctest::Contains("'head' belongs to several"), ValueError);
    CHECK_THROWS_WITH_AS(model.test_on_batch(x, std::map<std::string, Tensor>{{"head", column({0})}}),
                         doctest::Contains("belongs to several"), ValueError);
}

TEST_CASE("multi-output: y is required, and a loss_weights map names every output") {
    TwoHeads m;
    m.model.compile({.loss = "mse"});
    CHECK_THROWS_WITH_AS(m.model.fit({x1_data, x2_data}, ModelData(), {.verbose = 0}),
                         doctest::Contains("fit: y is required, one target per output ('policy', 'value')"),
                         ValueError);
    CHECK_THROWS_WITH_AS(m.model.evaluate({x1_data, x2_data}, ModelData(), {.verbose = 0}),
                         doctest::Contains("evaluate: y is required"), ValueError);
    CHECK_THROWS_WITH_AS(m.model.compile({.loss = "mse", .loss_weights = {{"policy", 2.0}}}),
                         doctest::Contains("no weight for output 'value'"), ValueError);
}

TEST_CASE("multi-output: callbacks minimize a per-output loss whatever the output is called") {
    const SymbolicTensor in = layers::Input({1});
    const Model model(in, {layers::Dense({.name = "accuracy_head", .units = 1})(in),
                           layers::Dense({.name = "other", .units = 1})(in)});
    model.compile({.loss = "mse"});
    MonitoredQuantity quantity("EarlyStopping", "val_accuracy_head_loss", "auto", 0.0);
    quantity.resolve(&model);
    CHECK_FALSE(quantity.maximize());
}

TEST_CASE("multi-output: a nested two-output model sees the mask of its input") {
    // inner: BatchNormalization "bn" (output 0) and a Dense (output 1) on [N, 3, 1] sequences.
    const SymbolicTensor inner_in = layers::Input({3, 1});
    const Model inner(inner_in, {layers::BatchNormalization({.name = "bn"})(inner_in),
                                 layers::Dense({.units = 1})(inner_in)}, "inner");
    const SymbolicTensor x = layers::Input({3, 1});
    const std::vector<SymbolicTensor> outs = inner.call_outputs(layers::Masking({.mask_value = 0.0})(x));
    const Model outer(x, outs, "masked");
    // One sequence [1, 0, 3]: the 0 step is masked, so the training statistics are mean 2, variance 1 (not
    // mean 4/3 over all three steps); the unmasked steps normalize to -+1 / sqrt(1 + 0.001).
    const Tensor data({1, 0, 3}, Shape{1, 3, 1});
    const Tensor y = outer.call_outputs(data, true)[0];
    const double scale = 1.0 / std::sqrt(1.0 + 1e-3);
    CHECK(y.at({0, 0, 0}) == doctest::Approx(-scale).epsilon(1e-5));
    CHECK(y.at({0, 2, 0}) == doctest::Approx(scale).epsilon(1e-5));
}
