// Metrics: every metric by hand over two batches of unequal size (streaming), with sample weights, reset_state,
// top-k ties, zero denominators, shape and label errors, names, configs and compile()'s resolve().
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>
#include <kiln/layers/metrics.hpp>

using namespace kiln;
using namespace kiln::metrics;
using nlohmann::json;

namespace {

// A column [N, 1] of values.
Tensor column(std::vector<float> values) {
    const auto n = static_cast<int64_t>(values.size());
    return Tensor(std::move(values), {n, 1});
}

}  // namespace

TEST_CASE("metrics: Mean streams weighted per-sample means over batches of unequal size") {
    Mean m;
    CHECK(m.result() == 0.0f);
    m.update_state(Tensor{1.0f, 3.0f});        // total 4, count 2
    m.update_state(Tensor{5.0f, 7.0f, 9.0f});  // total 21, count 3
    CHECK(m.result() == doctest::Approx(25.0 / 5.0));
    CHECK(m.total() == 25.0);
    CHECK(m.count() == 5.0);
    m.reset_state();
    CHECK(m.result() == 0.0f);
    m.update_state(Tensor{1.0f, 3.0f}, Tensor{1.0f, 0.0f});  // total 1, count 1
    m.update_state(Tensor{5.0f}, Tensor{2.0f});              // total 10, count 2
    CHECK(m.result() == doctest::Approx(11.0 / 3.0));
    m.reset_state();
    // Rows are averaged first: [[1, 3], [5, 7]] -> [2, 6]; a scalar counts as one sample.
    m.update_state(Tensor({1, 3, 5, 7}, {2, 2}));
    m.update_state(Tensor::scalar(10.0f));
    CHECK(m.result() == doctest::Approx(18.0 / 3.0));
    CHECK(m.name() == "mean");
    CHECK_THROWS_AS(static_cast<Metric&>(m).update_state(Tensor{1.0f}, Tensor{1.0f}), ValueError);
}

TEST_CASE("metrics: LossTracker weighs each batch's loss by the batch size") {
    LossTracker loss;
    loss.add_batch(0.5f, 32);  // 16
    loss.add_batch(2.0f, 8);   // 16
    CHECK(loss.result() == doctest::Approx(32.0 / 40.0));
    CHECK(loss.name() == "loss");
    CHECK(loss.class_name() == "Mean");
    loss.reset_state();
    CHECK(loss.result() == 0.0f);
}

TEST_CASE("metrics: BinaryAccuracy streaming, weighted, at the threshold and with rank-1 targets") {
    BinaryAccuracy acc;
    acc.update_state(column({1, 1, 0, 0}), column({0.98f, 1.0f, 0.0f, 0.6f}));  // matches 1, 1, 1, 0
    CHECK(acc.result() == doctest::Approx(0.75));
    acc.update_state(column({1, 0}), column({0.4f, 0.2f}));  // matches 0, 1
    CHECK(acc.result() == doctest::Approx(4.0 / 6.0));
    acc.reset_state();
    acc.update_state(column({1, 1, 0, 0}), column({0.98f, 1.0f, 0.0f, 0.6f}), Tensor{1, 1, 0, 0});  // 2 of 2
    acc.update_state(column({1, 0}), column({0.4f, 0.2f}), Tensor{0.5f, 3.0f});                     // 3 of 3.5
    CHECK(acc.result() == doctest::Approx(5.0 / 5.5));

    BinaryAccuracy strict;  // 0.5 is not above the threshold 0.5: predicted 0
    strict.update_state(Tensor{0.0f, 1.0f}, column({0.5f, 0.5f}));
    CHECK(strict.result() == doctest::Approx(0.5));
    BinaryAccuracy high(0.7);
    high.update_state(column({0}), column({0.6f}));
    CHECK(high.result() == 1.0f);
    // Two outputs per sample: matches [[1, 0], [0, 1]] -> per-sample 0.5 and 0.5.
    BinaryAccuracy wide;
    wide.update_state(Tensor({1, 0, 1, 1}, {2, 2}), Tensor({0.9f, 0.9f, 0.1f, 0.8f}, {2, 2}));
    CHECK(wide.result() == doctest::Approx(0.5));
}

TEST_CASE("metrics: CategoricalAccuracy and SparseCategoricalAccuracy over two batches") {
    const Tensor probs({0.1f, 0.9f, 0.8f, 0.05f, 0.95f, 0.0f}, {2, 3});  // argmax 1 and 1
    CategoricalAccuracy cat_acc;
    cat_acc.update_state(Tensor({0, 0, 1, 0, 1, 0}, {2, 3}), probs);  // classes 2, 1: matches 0, 1
    CHECK(cat_acc.result() == doctest::Approx(0.5));
    // Argmax takes the first maximum at ties: [0.5, 0.5, 0] -> 0 (match); [0.3, 0.3, 0.4] -> 2 (miss); [0, 0, 1] -> 2.
    cat_acc.update_state(Tensor({1, 0, 0, 0, 1, 0, 0, 0, 1}, {3, 3}),
                         Tensor({0.5f, 0.5f, 0.0f, 0.3f, 0.3f, 0.4f, 0.0f, 0.0f, 1.0f}, {3, 3}));
    CHECK(cat_acc.result() == doctest::Approx(3.0 / 5.0));
    cat_acc.reset_state();
    cat_acc.update_state(Tensor({0, 0, 1, 0, 1, 0}, {2, 3}), probs, Tensor{0.7f, 0.3f});  // 0.3 / 1.0
    CHECK(cat_acc.result() == doctest::Approx(0.3));

    SparseCategoricalAccuracy sparse;
    sparse.update_state(Tensor{2.0f, 1.0f}, probs);  // matches 0, 1
    CHECK(sparse.result() == doctest::Approx(0.5));
    sparse.update_state(column({0}), Tensor({0.9f, 0.1f, 0.0f}, {1, 3}));  // labels [N, 1]: match
    CHECK(sparse.result() == doctest::Approx(2.0 / 3.0));
    sparse.update_state(Tensor{1.0f}, Tensor({0.9f, 0.1f, 0.0f}, {1, 3}), Tensor{2.0f});  // a miss weighing 2
    CHECK(sparse.result() == doctest::Approx(2.0 / 5.0));
}

TEST_CASE("metrics: top-k accuracies count classes tied with the k-th score as in the top k") {
    const Tensor probs({0.1f, 0.9f, 0.8f, 0.05f, 0.95f, 0.0f}, {2, 3});
    TopKCategoricalAccuracy top1(1);
    top1.update_state(Tensor({0, 0, 1, 0, 1, 0}, {2, 3}), probs);  // class 2 is second in row 0; class 1 first
    CHECK(top1.result() == doctest::Approx(0.5));
    // Class 1 ties class 0 at the top: no score is strictly higher, so it is in the top 1.
    top1.update_state(Tensor({0, 1, 0}, {1, 3}), Tensor({0.5f, 0.5f, 0.0f}, {1, 3}));
    CHECK(top1.result() == doctest::Approx(2.0 / 3.0));
    TopKCategoricalAccuracy top5;  // default k = 5 with 3 classes: always in
    top5.update_state(Tensor({0, 0, 1, 0, 1, 0}, {2, 3}), Tensor({0.9f, 0.1f, 0.0f, 0.9f, 0.0f, 0.1f}, {2, 3}));
    CHECK(top5.result() == 1.0f);

    SparseTopKCategoricalAccuracy sparse2(2);
    // Row scores [0.3, 0.3, 0.3, 0.1]: labels 2 (none higher: in) and 3 (three higher: out).
    sparse2.update_state(Tensor{2.0f, 3.0f}, Tensor({0.3f, 0.3f, 0.3f, 0.1f, 0.3f, 0.3f, 0.3f, 0.1f}, {2, 4}));
    CHECK(sparse2.result() == doctest::Approx(0.5));
    // Labels [N, 1]: label 0 at 0.2 has one higher (in), label 2 at 0.6 none (in), label 1 at 0.1 two (out).
    sparse2.update_state(column({0, 2, 1}),
                         Tensor({0.2f, 0.2f, 0.6f, 0.2f, 0.2f, 0.6f, 0.5f, 0.1f, 0.4f}, {3, 3}));
    CHECK(sparse2.result() == doctest::Approx(3.0 / 5.0));
    CHECK_THROWS_WITH_AS(sparse2.update_state(Tensor{4.0f}, Tensor::ones({1, 4})),
                         "SparseTopKCategoricalAccuracy: label 4 is not a whole number in [0, 4) for 4 classes",
                         ValueError);
    CHECK_THROWS_WITH_AS(TopKCategoricalAccuracy(0), "TopKCategoricalAccuracy: k must be >= 1, got k=0", ValueError);
}

TEST_CASE("metrics: MeanSquaredError and MeanAbsoluteError stream per-sample means") {
    MeanSquaredError mse;
    MeanAbsoluteError mae;
    const Tensor t1({0, 1, 0, 0}, {2, 2});
    const Tensor p1({1, 1, 1, 0}, {2, 2});  // per sample: squared [0.5, 0.5], absolute [0.5, 0.5]
    const Tensor t2({2, 2}, {1, 2});
    const Tensor p2({0, 0}, {1, 2});        // squared 4, absolute 2
    for (Metric* m : {static_cast<Metric*>(&mse), static_cast<Metric*>(&mae)}) {
        m->update_state(t1, p1);
        m->update_state(t2, p2);
    }
    CHECK(mse.result() == doctest::Approx(5.0 / 3.0));
    CHECK(mae.result() == doctest::Approx(3.0 / 3.0));
    mse.reset_state();
    mse.update_state(t1, p1, Tensor{1.0f, 0.0f});  // 0.5 of 1
    mse.update_state(t2, p2, Tensor{3.0f});        // 12 of 3
    CHECK(mse.result() == doctest::Approx(12.5 / 4.0));
}

TEST_CASE("metrics: Precision and Recall stream weighted confusion counts") {
    Precision precision;
    Recall recall;
    // Batch 1: tp 2, fp 1, fn 1. Batch 2 (two samples): predictions [0, 1]: fp 1, fn 1.
    for (Metric* m : {static_cast<Metric*>(&precision), static_cast<Metric*>(&recall)}) {
        m->update_state(Tensor{0, 1, 1, 1}, Tensor{1, 0, 1, 1});
        CHECK(m->result() == doctest::Approx(2.0 / 3.0));
        m->update_state(Tensor{1, 0}, Tensor{0.4f, 0.6f});
        CHECK(m->result() == doctest::Approx(2.0 / 4.0));
    }
    precision.reset_state();
    precision.update_state(Tensor{0, 1, 1, 1}, Tensor{1, 0, 1, 1}, Tensor{0, 0, 1, 0});  // tp 1, fp 0
    CHECK(precision.result() == 1.0f);
    // Two outputs per sample, weights [2, 1] per row: (0,0) tp 2, (0,1) fp 2, (1,0) fn 1, (1,1) tp 1.
    Precision p2;
    Recall r2;
    const Tensor t({1, 0, 1, 1}, {2, 2});
    const Tensor y({0.9f, 0.9f, 0.1f, 0.8f}, {2, 2});
    p2.update_state(t, y, Tensor{2.0f, 1.0f});
    r2.update_state(t, y, Tensor{2.0f, 1.0f});
    CHECK(p2.result() == doctest::Approx(3.0 / 5.0));
    CHECK(r2.result() == doctest::Approx(3.0 / 4.0));
    // Rank-1 targets with [N, 1] predictions; a nonzero target of 2 is positive; 0.5 is not above 0.5.
    Recall r3;
    r3.update_state(Tensor{2.0f, 1.0f}, column({0.7f, 0.5f}), Tensor{1.0f, 3.0f});  // tp 1, fn 3
    CHECK(r3.result() == doctest::Approx(0.25));
    Precision high(0.7);
    high.update_state(Tensor{1.0f, 0.0f}, Tensor{0.8f, 0.6f});  // only 0.8 is positive: tp 1
    CHECK(high.result() == 1.0f);
}

TEST_CASE("metrics: Precision and Recall are 0 when their denominators are 0") {
    Precision precision;
    Recall recall;
    CHECK(precision.result() == 0.0f);
    CHECK(recall.result() == 0.0f);
    precision.update_state(Tensor{1, 1}, Tensor{0.1f, 0.2f});  // nothing predicted positive
    recall.update_state(Tensor{0, 0}, Tensor{0.9f, 0.2f});     // no positive target
    CHECK(precision.result() == 0.0f);
    CHECK(recall.result() == 0.0f);
    CHECK_THROWS_WITH_AS(Precision(1.5), "Precision: thresholds must be in [0, 1], got thresholds=1.5", ValueError);
}

TEST_CASE("metrics: shape mismatches raise ShapeError naming the metric") {
    CategoricalAccuracy cat_acc;
    CHECK_THROWS_WITH_AS(cat_acc.update_state(Tensor::zeros({2, 3}), Tensor::zeros({2, 4})),
                         "CategoricalAccuracy: y_true (one-hot) and y_pred must have the same shape of rank >= 1, got "
                         "y_true [2,3] and y_pred [2,4]",
                         ShapeError);
    SparseCategoricalAccuracy sparse;
    CHECK_THROWS_WITH_AS(sparse.update_state(Tensor::zeros({3}), Tensor::zeros({2, 3})),
                         "SparseCategoricalAccuracy: y_true must have the shape of y_pred without its last (class) "
                         "axis, got y_true [3] and y_pred [2,3]",
                         ShapeError);
    BinaryAccuracy binary;
    CHECK_THROWS_AS(binary.update_state(Tensor::zeros({3}), Tensor::zeros({2})), ShapeError);
    CHECK_THROWS_WITH_AS(binary.update_state(Tensor::zeros({2}), Tensor::zeros({2}), Tensor{1.0f, 2.0f, 3.0f}),
                         doctest::Contains("BinaryAccuracy: sample_weight"), ShapeError);
    Precision precision;
    CHECK_THROWS_AS(precision.update_state(Tensor::zeros({2, 2}), Tensor::zeros({2, 2}), Tensor{1.0f, 2.0f, 3.0f}),
                    ShapeError);
    CHECK(binary.result() == 0.0f);  // failed updates leave the state alone
}

TEST_CASE("metrics: resolve() maps accuracy from the shapes as Keras 3 compile and keeps the given name") {
    const MetricPtr sparse = metrics::resolve("accuracy", {32}, {32, 10});
    CHECK(sparse->class_name() == "SparseCategoricalAccuracy");
    CHECK(sparse->name() == "accuracy");
    CHECK(metrics::resolve("accuracy", {32, 1}, {32, 10})->class_name() == "SparseCategoricalAccuracy");
    CHECK(metrics::resolve("accuracy", {32, 10}, {32, 10})->class_name() == "CategoricalAccuracy");
    const MetricPtr binary = metrics::resolve("acc", {32, 1}, {32, 1});
    CHECK(binary->class_name() == "BinaryAccuracy");
    CHECK(binary->name() == "acc");
    CHECK(metrics::resolve("Accuracy", {32}, {32, 1})->class_name() == "BinaryAccuracy");
    const MetricPtr mse = metrics::resolve("mse", {32, 1}, {32, 1});
    CHECK(mse->class_name() == "MeanSquaredError");
    CHECK(mse->name() == "mse");
    CHECK(metrics::resolve("binary_accuracy", {4}, {4, 3})->class_name() == "BinaryAccuracy");
    CHECK_THROWS_WITH_AS(metrics::resolve("crossentropy", {4}, {4, 3}), doctest::Contains("unknown metric"),
                         ValueError);
}

TEST_CASE("metrics: get() returns a fresh metric for each Keras name") {
    const std::vector<std::pair<const char*, const char*>> names = {
        {"mean", "Mean"},
        {"accuracy", "Accuracy"},
        {"binary_accuracy", "BinaryAccuracy"},
        {"categorical_accuracy", "CategoricalAccuracy"},
        {"sparse_categorical_accuracy", "SparseCategoricalAccuracy"},
        {"top_k_categorical_accuracy", "TopKCategoricalAccuracy"},
        {"sparse_top_k_categorical_accuracy", "SparseTopKCategoricalAccuracy"},
        {"mse", "MeanSquaredError"},
        {"MSE", "MeanSquaredError"},
        {"mean_squared_error", "MeanSquaredError"},
        {"mae", "MeanAbsoluteError"},
        {"precision", "Precision"},
        {"Recall", "Recall"},
    };
    for (const auto& [name, cls] : names) {
        CAPTURE(name);
        CHECK(metrics::get(name)->class_name() == cls);
    }
    CHECK(metrics::get("mse")->name() == "mean_squared_error");
    const MetricPtr a = metrics::get("binary_accuracy");
    const MetricPtr b = metrics::get("binary_accuracy");
    a->update_state(Tensor{1.0f}, Tensor{0.9f});
    CHECK(a->result() == 1.0f);
    CHECK(b->result() == 0.0f);
    CHECK_THROWS_WITH_AS(metrics::get("auc"), doctest::Contains("unknown metric 'auc'"), ValueError);
}

TEST_CASE("metrics: Accuracy counts exact equality") {
    Accuracy acc;
    acc.update_state(column({1, 2, 3, 4}), column({0, 2, 3, 4}));
    CHECK(acc.result() == doctest::Approx(0.75));
    acc.update_state(column({1, 2, 3, 4}), column({0, 2, 3, 4}), Tensor{1, 1, 0, 0});  // 1 of 2 more
    CHECK(acc.result() == doctest::Approx(4.0 / 6.0));
}

TEST_CASE("metrics: configs and serialize/deserialize round trips") {
    const std::vector<std::pair<MetricPtr, json>> cases = {
        {std::make_shared<Mean>(), {{"name", "mean"}, {"dtype", "float32"}}},
        {std::make_shared<Accuracy>(), {{"name", "accuracy"}, {"dtype", "float32"}}},
        {std::make_shared<BinaryAccuracy>(0.7, "ba"), {{"name", "ba"}, {"dtype", "float32"}, {"threshold", 0.7}}},
        {std::make_shared<CategoricalAccuracy>(), {{"name", "categorical_accuracy"}, {"dtype", "float32"}}},
        {std::make_shared<SparseCategoricalAccuracy>("acc"), {{"name", "acc"}, {"dtype", "float32"}}},
        {std::make_shared<TopKCategoricalAccuracy>(3),
         {{"name", "top_k_categorical_accuracy"}, {"dtype", "float32"}, {"k", 3}}},
        {std::make_shared<SparseTopKCategoricalAccuracy>(),
         {{"name", "sparse_top_k_categorical_accuracy"}, {"dtype", "float32"}, {"k", 5}}},
        {std::make_shared<MeanSquaredError>(), {{"name", "mean_squared_error"}, {"dtype", "float32"}}},
        {std::make_shared<MeanAbsoluteError>("mae"), {{"name", "mae"}, {"dtype", "float32"}}},
        {std::make_shared<Precision>(0.3),
         {{"name", "precision"},
          {"dtype", "float32"},
          {"thresholds", 0.3},
          {"top_k", nullptr},
          {"class_id", nullptr}}},
        {std::make_shared<Recall>(),
         {{"name", "recall"},
          {"dtype", "float32"},
          {"thresholds", nullptr},
          {"top_k", nullptr},
          {"class_id", nullptr}}},
    };
    for (const auto& [metric, config] : cases) {
        CAPTURE(metric->class_name());
        CHECK(metric->get_config() == config);
        const json j = metrics::serialize(*metric);
        CHECK(j == json{{"module", "keras.metrics"},
                        {"class_name", metric->class_name()},
                        {"config", config},
                        {"registered_name", nullptr}});
        const MetricPtr back = metrics::deserialize(json::parse(j.dump()));
        CHECK(back->class_name() == metric->class_name());
        CHECK(back->get_config() == config);
    }
}

TEST_CASE("metrics: deserialize accepts legacy dicts and rejects unsupported configs") {
    const MetricPtr legacy = metrics::deserialize(json::parse(
        R"({"class_name": "SparseTopKCategoricalAccuracy", "config": {"k": 2, "from_sorted_ids": false}})"));
    CHECK(dynamic_cast<const SparseTopKCategoricalAccuracy&>(*legacy).k() == 2);
    CHECK(legacy->name() == "sparse_top_k_categorical_accuracy");
    CHECK_THROWS_WITH_AS(
        metrics::deserialize(json::parse(R"({"class_name": "Precision", "config": {"top_k": 2}})")),
        "Precision: config key 'top_k' must be null (kiln's Precision and Recall are binary), got 2", ValueError);
    CHECK_THROWS_AS(metrics::deserialize(json::parse(R"({"class_name": "Recall", "config": {"thresholds": [0.5]}})")),
                    ValueError);
    CHECK_THROWS_WITH_AS(metrics::deserialize(json::parse(R"({"class_name": "Mean", "config": {"axis": 1}})")),
                         "Mean: unknown config key 'axis'", ValueError);
    CHECK_THROWS_AS(metrics::deserialize(json::parse(R"({"class_name": "Mean", "config": {"dtype": "int32"}})")),
                    ValueError);
}
