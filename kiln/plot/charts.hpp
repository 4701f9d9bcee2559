// Charts drawn into an Svg: line charts with axes and a legend, colour rasters (images, heat maps, decision
// regions), a confusion matrix and a captioned image grid. Used by the demo, the toy program, the learning-curve
// callback and the `kiln` tool.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "kiln/plot/svg.hpp"

namespace kiln::plot {

struct Series {
    std::string name{};
    std::vector<double> x{};
    std::vector<double> y{};  // same length as x; non-finite values break the line
    std::string color = "#1f77b4";
    bool dashed = false;
};

struct Box {
    double x = 0, y = 0, width = 0, height = 0;
};

struct ChartLabels {
    std::string title{};
    std::string x_label{};
    std::string y_label{};
    bool integer_x = false;  // x ticks only at whole numbers (epochs)
};

// "Nice" tick values (steps of 1, 2 or 5 times a power of ten, and at least min_step) covering [low, high], about
// `target` of them.
std::vector<double> nice_ticks(double low, double high, int target = 5, double min_step = 0);

// A line chart in `box`: frame, ticks with grid lines, axis labels, title, every series with a marker per point,
// and a legend. ValueError when a series' x and y differ in length or no series has a finite point.
void line_chart(Svg& svg, const Box& box, const std::vector<Series>& series, const ChartLabels& labels);

// Fills a rows x cols grid of cells (cell (0,0) at the box's top left) with colour_of(row, col); cells of one colour
// become one <path>, so a 28x28 image or a 200x200 decision map stays small.
void raster(Svg& svg, const Box& box, int64_t rows, int64_t cols,
            const std::function<std::string(int64_t row, int64_t col)>& colour_of);

// The grey for an intensity in [0, 1] (0 black, 1 white), quantized to 32 levels.
std::string grey(double intensity);

// counts[t][p]: how many samples of true class t were predicted as p. A heat map (rows: true class, columns:
// predicted), each cell shaded by its share of the row and labelled with its count, class names on both axes,
// and the overall accuracy in the title. ValueError when counts is not square or the names do not match.
Svg confusion_matrix_chart(const std::vector<std::vector<int64_t>>& counts, const std::vector<std::string>& class_names,
                           const std::string& title);

// counts[t][p] from integer labels in [0, num_classes); ValueError on a label out of range or different lengths.
std::vector<std::vector<int64_t>> confusion_matrix(const std::vector<int64_t>& truth, const std::vector<int64_t>& predicted,
                                                   int64_t num_classes);

struct Picture {
    std::vector<float> pixels{};  // height x width intensities in [0, 1], row-major
    int64_t height = 0;
    int64_t width = 0;
    std::vector<std::string> caption{};  // one line each, under the picture
    std::string caption_color = "#222";
};

// The pictures in a grid of `columns`, each drawn at `scale` screen pixels per image pixel with its caption below.
// ValueError when a picture's pixel count is not height x width.
Svg image_grid(const std::vector<Picture>& pictures, int columns, double scale, const std::string& title);

// A classifier's decision regions with the data on top: the plane [x_min, x_max] x [y_min, y_max] split into a
// rows x cols grid whose cell (r, c) (r = 0 at the top, y_max) shows grid_class[r * cols + c] in its class colour,
// paler where grid_confidence (in [0, 1]) is lower; then each point as a dot in its label's colour, with axes.
// ValueError when the sizes disagree or a class or label is negative.
struct DecisionRegions {
    double x_min = 0, x_max = 1, y_min = 0, y_max = 1;
    int64_t rows = 0, cols = 0;
    std::vector<int64_t> grid_class{};
    std::vector<double> grid_confidence{};
    std::vector<std::pair<double, double>> points{};
    std::vector<int64_t> point_labels{};
};
Svg decision_regions_chart(const DecisionRegions& regions, const ChartLabels& labels);

// A qualitative colour for series or class `index` (10 distinct colours, then repeating).
std::string palette(size_t index);

}  // namespace kiln::plot
