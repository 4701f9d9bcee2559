// Learning curves: one chart per quantity (loss first), validation dashed, and the LearningCurves callback
// redrawing the file after every epoch of a real fit.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include "support/run_command.hpp"
#include "support/temp_dir.hpp"

using namespace kiln;
using kiln::testing::TempDir;
using kiln::testing::xml_count;

TEST_CASE("learning_curves_chart: a panel per quantity, training solid, validation dashed, loss first") {
    TempDir dir;
    const std::map<std::string, std::vector<double>> history{
        {"accuracy", {0.5, 0.7, 0.8}}, {"loss", {1.0, 0.6, 0.4}}, {"val_accuracy", {0.6, 0.7, 0.75}}, {"val_loss", {0.8, 0.6, 0.5}}};
    const plot::Svg svg = learning_curves_chart(history, {0, 1, 2}, "run");
    const std::string text = svg.str();
    // Titles in order: the picture's, then "loss" before "accuracy" although the map sorts accuracy first.
    const size_t loss_title = text.find("font-weight=\"bold\">loss</text>");
    const size_t accuracy_title = text.find("font-weight=\"bold\">accuracy</text>");
    REQUIRE(loss_title != std::string::npos);
    REQUIRE(accuracy_title != std::string::npos);
    CHECK(loss_title < accuracy_title);
    CHECK(text.find(">validation</text>") != std::string::npos);
    const std::string path = dir.path("curves.svg");
    svg.save(path);
    CHECK(xml_count(path, "polyline") == 4);
    CHECK(xml_count(path, "circle") == 12);
    CHECK_THROWS_AS(learning_curves_chart({{"loss", {1.0}}}, {0, 1}), ValueError);
    CHECK_THROWS_AS(learning_curves_chart({}, {}), ValueError);
}

TEST_CASE("LearningCurves callback: the picture is rewritten at every epoch end of fit") {
    TempDir dir;
    const std::string path = dir.path("curves.svg");
    auto model = Sequential({layers::Input({2}), layers::Dense({.units = 1})});
    model.compile({.optimizer = optim::SGD({.learning_rate = 0.1}), .loss = "mse"});
    const Tensor x = Tensor({0, 1, 1, 0, 1, 1, 0, 0}, Shape{4, 2});
    const Tensor y = Tensor({1, 1, 2, 0}, Shape{4, 1});
    std::vector<long> markers_seen, markers_expected;
    auto curves = std::make_shared<LearningCurves>(LearningCurvesOptions{.filename = path});
    // Runs after `curves` in the same epoch end: the file then holds one marker per logged quantity (no val_ keys
    // here, so one panel each) per epoch so far.
    auto reader = std::make_shared<LambdaCallback>(LambdaCallbackOptions{.on_epoch_end = [&](int epoch, const Logs& logs) {
        markers_seen.push_back(xml_count(path, "circle"));
        markers_expected.push_back(static_cast<long>(logs.size()) * (epoch + 1));
    }});
    model.fit(x, y, {.batch_size = 4, .epochs = 3, .verbose = 0, .callbacks = {curves, reader}});
    REQUIRE(markers_seen.size() == 3);
    CHECK(markers_seen == markers_expected);
    CHECK_THROWS_AS(LearningCurves(LearningCurvesOptions{}), ValueError);
}

TEST_CASE("plot_history writes the History that fit returns") {
    TempDir dir;
    History h;
    h.on_train_begin({});
    h.on_epoch_end(0, {{"loss", 2.0}, {"val_loss", 2.5}});
    h.on_epoch_end(1, {{"loss", 1.0}, {"val_loss", 1.5}});
    const std::string path = dir.path("h.svg");
    plot_history(h, path, "mine");
    CHECK(xml_count(path, "polyline") == 2);
    CHECK(xml_count(path, "text") > 0);
}
