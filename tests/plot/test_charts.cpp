// Charts: tick choice, the confusion matrix and its picture, rasters, image grids and line charts, each checked
// against hand-counted elements of the SVG (parsed by xmllint).
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include <algorithm>
#include <cmath>

#include "support/run_command.hpp"
#include "support/temp_dir.hpp"

using namespace kiln;
using kiln::testing::TempDir;
using kiln::testing::xml_count;

namespace {

size_t occurrences(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
    return n;
}

}  // namespace

TEST_CASE("nice_ticks: steps of 1, 2 or 5 times a power of ten, covering the range") {
    const auto close_to = [](const std::vector<double>& got, const std::vector<double>& want) {
        REQUIRE(got.size() == want.size());
        for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-12));
    };
    close_to(plot::nice_ticks(0, 1, 5), {0, 0.2, 0.4, 0.6, 0.8, 1.0});        // rough step 0.2
    close_to(plot::nice_ticks(0.31, 0.93, 5), {0.4, 0.6, 0.8});             // rough 0.124 -> 0.2
    close_to(plot::nice_ticks(1, 16, 6), {5, 10, 15});                      // rough 2.5 -> 5
    close_to(plot::nice_ticks(1, 2, 6, 1.0), {1, 2});                       // integer axis: no 1.2, 1.4, ...
    CHECK_THROWS_AS(plot::nice_ticks(1, 1), ValueError);
    CHECK_THROWS_AS(plot::nice_ticks(0, std::nan("")), ValueError);
}

TEST_CASE("confusion_matrix counts (true, predicted) pairs and rejects labels out of range") {
    const auto m = plot::confusion_matrix({0, 0, 1, 2, 2, 2}, {0, 1, 1, 2, 0, 2}, 3);
    CHECK(m == std::vector<std::vector<int64_t>>{{1, 1, 0}, {0, 1, 0}, {1, 0, 2}});
    CHECK_THROWS_WITH_AS(plot::confusion_matrix({0, 3}, {0, 0}, 3), doctest::Contains("sample 1"), ValueError);
    CHECK_THROWS_AS(plot::confusion_matrix({0}, {0, 1}, 3), ValueError);
}

TEST_CASE("confusion_matrix_chart: one titled cell per pair, the class names on both axes, the accuracy") {
    TempDir dir;
    const std::vector<std::vector<int64_t>> counts{{3, 1}, {0, 4}};
    const plot::Svg svg = plot::confusion_matrix_chart(counts, {"cat & dog", "bird"}, "test");
    const std::string text = svg.str();
    CHECK(text.find("accuracy 0.8750") != std::string::npos);  // (3 + 4) / 8
    CHECK(occurrences(text, ">cat &amp; dog</text>") == 2);
    CHECK(text.find("<title>true bird, predicted cat &amp; dog: 0</title>") != std::string::npos);
    const std::string path = dir.path("cm.svg");
    svg.save(path);
    CHECK(xml_count(path, "g") == 4);
    CHECK(xml_count(path, "rect") == 1 + 4);
    CHECK_THROWS_AS(plot::confusion_matrix_chart({{1, 2}}, {"a", "b"}, "x"), ValueError);
    CHECK_THROWS_AS(plot::confusion_matrix_chart(counts, {"a"}, "x"), ValueError);
}

TEST_CASE("raster: cells of one colour share one path, one run per maximal horizontal stretch") {
    plot::Svg svg(30, 20);
    const std::vector<std::vector<std::string>> colours{{"#aaaaaa", "#aaaaaa", "#bbbbbb"}, {"#bbbbbb", "#bbbbbb", "#bbbbbb"}};
    plot::raster(svg, {0, 0, 30, 20}, 2, 3, [&](int64_t r, int64_t c) { return colours[r][c]; });
    const std::string text = svg.str();
    CHECK(occurrences(text, "<path") == 2);
    // #aaaaaa: one run in row 0; #bbbbbb: one run in row 0 (last cell) and one in row 1 (all three).
    const size_t b = text.find("fill=\"#bbbbbb\"");
    REQUIRE(b != std::string::npos);
    const std::string b_path = text.substr(b, text.find("/>", b) - b);
    CHECK(occurrences(b_path, "M") == 2);
    CHECK(b_path.find("M20,0h10.3v10.3") != std::string::npos);  // 10-unit cells, widened by 0.3 against seams
    CHECK_THROWS_AS(plot::raster(svg, {0, 0, 1, 1}, 0, 3, [](int64_t, int64_t) { return std::string("#000"); }), ValueError);
}

TEST_CASE("image_grid: each picture drawn with its caption lines, and mismatched pixels are an error") {
    TempDir dir;
    std::vector<plot::Picture> pictures;
    for (int i = 0; i < 3; ++i)
        pictures.push_back({.pixels = std::vector<float>(6, i / 2.0f), .height = 2, .width = 3,
                            .caption = {"predicted " + std::to_string(i), "true x"}});
    const std::string path = dir.path("grid.svg");
    plot::image_grid(pictures, 2, 4.0, "grid").save(path);
    CHECK(xml_count(path, "text") == 1 + 3 * 2);
    CHECK(xml_count(path, "path") == 3);  // each picture is one grey level: 0, 0.5, 1
    pictures[1].pixels.pop_back();
    CHECK_THROWS_WITH_AS(plot::image_grid(pictures, 2, 4.0, "grid"), doctest::Contains("5 pixels"), ValueError);
}

TEST_CASE("line_chart: a polyline per series, a marker per finite point, a gap at NaN, a legend entry each") {
    TempDir dir;
    plot::Svg svg(500, 300);
    const double nan = std::nan("");
    plot::line_chart(svg, {0, 0, 500, 300},
                     {{.name = "a", .x = {1, 2, 3}, .y = {0.5, 0.4, 0.3}},
                      {.name = "b", .x = {1, 2, 3, 4, 5}, .y = {1, 2, nan, 4, 5}, .dashed = true}},
                     {.title = "t", .x_label = "epoch", .y_label = "loss", .integer_x = true});
    const std::string path = dir.path("chart.svg");
    svg.save(path);
    CHECK(xml_count(path, "polyline") == 3);  // a, and b split in two by its NaN
    CHECK(xml_count(path, "circle") == 3 + 4);
    CHECK(svg.str().find("stroke-dasharray=\"6,4\"") != std::string::npos);
    CHECK(svg.str().find(">epoch</text>") != std::string::npos);
    plot::Svg other(500, 300);
    CHECK_THROWS_AS(plot::line_chart(other, {0, 0, 500, 300}, {{.name = "x", .x = {1, 2}, .y = {1}}}, {}), ValueError);
    CHECK_THROWS_AS(plot::line_chart(other, {0, 0, 500, 300}, {{.name = "x", .x = {1}, .y = {nan}}}, {}), ValueError);
}

TEST_CASE("decision_regions_chart: the grid's classes as tinted regions, a dot per point inside the plane") {
    TempDir dir;
    plot::DecisionRegions d{.x_min = -1, .x_max = 1, .y_min = -1, .y_max = 1, .rows = 2, .cols = 2};
    d.grid_class = {0, 1, 1, 1};
    d.grid_confidence = {1, 1, 1, 1};
    d.points = {{0.5, 0.5}, {-0.5, -0.5}, {3, 0}};  // the last lies outside the plane and is not drawn
    d.point_labels = {1, 0, 1};
    const std::string path = dir.path("regions.svg");
    plot::decision_regions_chart(d, {.title = "t", .x_label = "x0", .y_label = "x1"}).save(path);
    CHECK(xml_count(path, "circle") == 2);
    CHECK(xml_count(path, "path") == 2);  // one colour per class, all cells equally confident
    const std::string text = plot::decision_regions_chart(d, {}).str();
    CHECK(text.find("fill=\"" + plot::palette(1) + "\"") != std::string::npos);  // the dot of label 1
    d.grid_confidence.pop_back();
    CHECK_THROWS_AS(plot::decision_regions_chart(d, {}), ValueError);
    d.grid_confidence.push_back(1);
    d.point_labels[0] = -1;
    CHECK_THROWS_AS(plot::decision_regions_chart(d, {}), ValueError);
}
