#include "kiln/plot/charts.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>

#include "kiln/core/errors.hpp"

namespace kiln::plot {

namespace {

std::string tick_label(double v, double step) {
    char buffer[32];
    const int decimals = step >= 1 ? 0 : std::min(6, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, std::abs(v) < step * 1e-6 ? 0.0 : v);
    return buffer;
}

// The smallest and largest finite values of the series' x (or y) coordinates.
std::pair<double, double> finite_range(const std::vector<Series>& series, bool use_x) {
    double low = std::numeric_limits<double>::infinity(), high = -low;
    for (const auto& s : series)
        for (size_t i = 0; i < s.x.size(); ++i)
            if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) {
                low = std::min(low, use_x ? s.x[i] : s.y[i]);
                high = std::max(high, use_x ? s.x[i] : s.y[i]);
            }
    return {low, high};
}

// Widens a zero-width range so that a constant series sits in the middle of the axis.
std::pair<double, double> padded(std::pair<double, double> r) {
    if (r.first == r.second) {
        const double pad = r.first == 0 ? 1 : std::abs(r.first) * 0.1;
        return {r.first - pad, r.second + pad};
    }
    return r;
}

}  // namespace

std::vector<double> nice_ticks(double low, double high, int target, double min_step) {
    if (!std::isfinite(low) || !std::isfinite(high) || !(high > low) || target < 1)
        throw ValueError(cat("nice_ticks: need finite low < high and target >= 1, got [", low, ", ", high, "], ", target));
    const double rough = (high - low) / target;
    const double power = std::pow(10.0, std::floor(std::log10(rough)));
    double step = power;
    for (const double m : {1.0, 2.0, 5.0, 10.0})
        if (m * power >= rough) {
            step = m * power;
            break;
        }
    step = std::max(step, min_step);
    std::vector<double> ticks;
    for (double k = std::ceil(low / step - 1e-9); k * step <= high + step * 1e-9; k += 1) ticks.push_back(k * step);
    return ticks;
}

std::string palette(size_t index) {
    static const char* const colours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
    return colours[index % 10];
}

std::string grey(double intensity) {
    const double level = std::round(std::clamp(intensity, 0.0, 1.0) * 31.0) / 31.0;
    return rgb(level, level, level);
}

void line_chart(Svg& svg, const Box& box, const std::vector<Series>& series, const ChartLabels& labels) {
    for (const auto& s : series)
        if (s.x.size() != s.y.size())
            throw ValueError(cat("line_chart: series '", s.name, "' has ", s.x.size(), " x values and ", s.y.size(), " y values"));
    // Plain variables rather than structured bindings: the lambdas below capture them (clang 14 cannot).
    const auto x_range = finite_range(series, true);
    if (!std::isfinite(x_range.first))
        throw ValueError(cat("line_chart '", labels.title, "': no series has a finite point"));
    const std::pair<double, double> x_padded = padded(x_range), y_padded = padded(finite_range(series, false));
    const double x_low = x_padded.first, x_high = x_padded.second;
    const double y_low = y_padded.first, y_high = y_padded.second;
    const auto x_ticks = nice_ticks(x_low, x_high, 6, labels.integer_x ? 1.0 : 0.0), y_ticks = nice_ticks(y_low, y_high, 5);
    const double y_step = y_ticks.size() > 1 ? y_ticks[1] - y_ticks[0] : (y_high - y_low);
    const double x_step = x_ticks.size() > 1 ? x_ticks[1] - x_ticks[0] : (x_high - x_low);
    // Room for the title, the legend row, tick labels and axis labels.
    const Box plot{box.x + 72, box.y + 52, box.width - 88, box.height - 52 - 48};
    const auto px = [&](double x) { return plot.x + (x - x_low) / (x_high - x_low) * plot.width; };
    const auto py = [&](double y) { return plot.y + plot.height - (y - y_low) / (y_high - y_low) * plot.height; };

    svg.text(box.x + box.width / 2, box.y + 18, labels.title, {.size = 15, .anchor = "middle", .bold = true});
    const StrokeStyle grid{.color = "#e0e0e0", .width = 1};
    const StrokeStyle frame{.color = "#444", .width = 1};
    for (const double t : y_ticks) {
        svg.line(plot.x, py(t), plot.x + plot.width, py(t), grid);
        svg.text(plot.x - 6, py(t) + 4, tick_label(t, y_step), {.size = 11, .anchor = "end"});
    }
    for (const double t : x_ticks) {
        svg.line(px(t), plot.y, px(t), plot.y + plot.height, grid);
        svg.text(px(t), plot.y + plot.height + 16, tick_label(t, x_step), {.size = 11, .anchor = "middle"});
    }
    svg.rect(plot.x, plot.y, plot.width, plot.height, "none", &frame);
    svg.text(plot.x + plot.width / 2, box.y + box.height - 8, labels.x_label, {.size = 12, .anchor = "middle"});
    svg.text(box.x + 14, plot.y + plot.height / 2, labels.y_label, {.size = 12, .anchor = "middle", .rotate = -90});

    double legend_x = plot.x;
    for (const auto& s : series) {
        const StrokeStyle stroke{.color = s.color, .width = 2, .dash = s.dashed ? "6,4" : ""};
        svg.begin_group(s.name);
        std::vector<std::pair<double, double>> run;
        const auto flush = [&] {
            if (run.size() > 1) svg.polyline(run, stroke);
            run.clear();
        };
        for (size_t i = 0; i < s.x.size(); ++i) {
            if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) {
                flush();
                continue;
            }
            run.emplace_back(px(s.x[i]), py(s.y[i]));
            svg.circle(px(s.x[i]), py(s.y[i]), 2.5, s.color);
        }
        flush();
        svg.end_group();
        svg.line(legend_x, box.y + 36, legend_x + 26, box.y + 36, stroke);
        svg.text(legend_x + 31, box.y + 40, s.name, {.size = 11});
        legend_x += 40 + 6.5 * static_cast<double>(s.name.size());
    }
}

void raster(Svg& svg, const Box& box, int64_t rows, int64_t cols,
            const std::function<std::string(int64_t row, int64_t col)>& colour_of) {
    if (rows <= 0 || cols <= 0) throw ValueError(cat("raster: the grid must be at least 1 x 1, got ", rows, " x ", cols));
    const double cw = box.width / static_cast<double>(cols), ch = box.height / static_cast<double>(rows);
    std::map<std::string, std::string> paths;  // colour -> path data of its horizontal runs
    char buffer[96];
    for (int64_t r = 0; r < rows; ++r) {
        for (int64_t c = 0; c < cols;) {
            const std::string colour = colour_of(r, c);
            int64_t end = c + 1;
            while (end < cols && colour_of(r, end) == colour) ++end;
            // Cells overlap by a hair so that anti-aliasing leaves no seams between runs.
            std::snprintf(buffer, sizeof buffer, "M%.6g,%.6gh%.6gv%.6gh%.6gz", box.x + c * cw, box.y + r * ch,
                          (end - c) * cw + 0.3, ch + 0.3, -((end - c) * cw + 0.3));
            paths[colour] += buffer;
            c = end;
        }
    }
    for (const auto& [colour, data] : paths) svg.path(data, colour);
}

std::vector<std::vector<int64_t>> confusion_matrix(const std::vector<int64_t>& truth, const std::vector<int64_t>& predicted,
                                                   int64_t num_classes) {
    if (truth.size() != predicted.size())
        throw ValueError(cat("confusion_matrix: ", truth.size(), " true labels but ", predicted.size(), " predictions"));
    if (num_classes <= 0) throw ValueError(cat("confusion_matrix: num_classes must be positive, got ", num_classes));
    std::vector<std::vector<int64_t>> counts(num_classes, std::vector<int64_t>(num_classes, 0));
    for (size_t i = 0; i < truth.size(); ++i) {
        if (truth[i] < 0 || truth[i] >= num_classes || predicted[i] < 0 || predicted[i] >= num_classes)
            throw ValueError(cat("confusion_matrix: sample ", i, " has labels (", truth[i], ", ", predicted[i],
                                 ") outside [0, ", num_classes, ")"));
        ++counts[truth[i]][predicted[i]];
    }
    return counts;
}

Svg confusion_matrix_chart(const std::vector<std::vector<int64_t>>& counts, const std::vector<std::string>& class_names,
                           const std::string& title) {
    const size_t k = counts.size();
    if (k == 0 || class_names.size() != k)
        throw ValueError(cat("confusion_matrix_chart: ", k, " rows of counts for ", class_names.size(), " class names"));
    int64_t total = 0, correct = 0;
    for (size_t t = 0; t < k; ++t) {
        if (counts[t].size() != k)
            throw ValueError(cat("confusion_matrix_chart: row ", t, " has ", counts[t].size(), " counts, expected ", k));
        for (size_t p = 0; p < k; ++p) total += counts[t][p];
        correct += counts[t][t];
    }
    const double cell = 48, left = 150, top = 120;
    Svg svg(left + cell * static_cast<double>(k) + 30, top + cell * static_cast<double>(k) + 60);
    char heading[64];
    std::snprintf(heading, sizeof heading, " (accuracy %.4f)", total ? static_cast<double>(correct) / total : 0.0);
    svg.text(svg.width() / 2, 24, title + heading, {.size = 15, .anchor = "middle", .bold = true});
    svg.text(left + cell * k / 2, top + cell * k + 45, "predicted class", {.size = 13, .anchor = "middle", .bold = true});
    svg.text(18, top + cell * k / 2, "true class", {.size = 13, .anchor = "middle", .bold = true, .rotate = -90});
    for (size_t t = 0; t < k; ++t) {
        int64_t row_total = 0;
        for (const auto c : counts[t]) row_total += c;
        for (size_t p = 0; p < k; ++p) {
            const double share = row_total ? static_cast<double>(counts[t][p]) / row_total : 0.0;
            // Correct predictions in blue, mistakes in red, both fading to white at 0.
            const double fade = 1 - std::sqrt(share);
            const std::string fill = t == p ? rgb(0.12 + 0.88 * fade, 0.35 + 0.65 * fade, 0.75 + 0.25 * fade)
                                            : rgb(0.85 + 0.15 * fade, 0.2 + 0.8 * fade, 0.2 + 0.8 * fade);
            const double x = left + cell * p, y = top + cell * t;
            const StrokeStyle border{.color = "#ffffff", .width = 1};
            svg.begin_group(cat("true ", class_names[t], ", predicted ", class_names[p], ": ", counts[t][p]));
            svg.rect(x, y, cell, cell, fill, &border);
            svg.text(x + cell / 2, y + cell / 2 + 4, std::to_string(counts[t][p]),
                     {.size = 11, .anchor = "middle", .fill = share > 0.45 ? "#ffffff" : "#222"});
            svg.end_group();
        }
        svg.text(left - 8, top + cell * t + cell / 2 + 4, class_names[t], {.size = 12, .anchor = "end"});
        svg.text(left + cell * t + cell / 2, top - 8, class_names[t], {.size = 12, .anchor = "start", .rotate = -45});
    }
    return svg;
}

Svg image_grid(const std::vector<Picture>& pictures, int columns, double scale, const std::string& title) {
    if (columns <= 0 || !(scale > 0)) throw ValueError(cat("image_grid: columns and scale must be positive, got ", columns, ", ", scale));
    double cell_w = 0, cell_h = 0;
    size_t caption_lines = 0;
    for (const auto& p : pictures) {
        if (p.height <= 0 || p.width <= 0 || static_cast<int64_t>(p.pixels.size()) != p.height * p.width)
            throw ValueError(cat("image_grid: a picture of ", p.height, " x ", p.width, " has ", p.pixels.size(), " pixels"));
        cell_w = std::max(cell_w, p.width * scale);
        cell_h = std::max(cell_h, p.height * scale);
        caption_lines = std::max(caption_lines, p.caption.size());
    }
    const double pad = 12, caption_h = 14.0 * caption_lines + 6, top = 40;
    cell_w = std::max(cell_w, 112.0);
    const size_t n = pictures.size(), cols = std::min<size_t>(columns, std::max<size_t>(n, 1));
    const size_t rows = (n + cols - 1) / cols;
    Svg svg(pad + cols * (cell_w + pad), top + rows * (cell_h + caption_h + pad) + pad);
    svg.text(svg.width() / 2, 24, title, {.size = 15, .anchor = "middle", .bold = true});
    for (size_t i = 0; i < n; ++i) {
        const auto& p = pictures[i];
        const double x = pad + (i % cols) * (cell_w + pad), y = top + (i / cols) * (cell_h + caption_h + pad);
        const double image_x = x + (cell_w - p.width * scale) / 2;
        raster(svg, {image_x, y, p.width * scale, p.height * scale}, p.height, p.width,
               [&](int64_t r, int64_t c) { return grey(p.pixels[r * p.width + c]); });
        for (size_t line = 0; line < p.caption.size(); ++line)
            svg.text(x + cell_w / 2, y + p.height * scale + 14 + 14.0 * line, p.caption[line],
                     {.size = 11, .anchor = "middle", .fill = line == 0 ? p.caption_color : "#222"});
    }
    return svg;
}

Svg decision_regions_chart(const DecisionRegions& d, const ChartLabels& labels) {
    const auto cells = d.rows * d.cols;
    if (d.rows <= 0 || d.cols <= 0 || static_cast<int64_t>(d.grid_class.size()) != cells ||
        static_cast<int64_t>(d.grid_confidence.size()) != cells || d.points.size() != d.point_labels.size())
        throw ValueError(cat("decision_regions_chart: a ", d.rows, " x ", d.cols, " grid needs as many classes and confidences (got ",
                             d.grid_class.size(), ", ", d.grid_confidence.size(), "), and one label per point (",
                             d.points.size(), " points, ", d.point_labels.size(), " labels)"));
    if (!(d.x_max > d.x_min) || !(d.y_max > d.y_min))
        throw ValueError(cat("decision_regions_chart: empty plane [", d.x_min, ", ", d.x_max, "] x [", d.y_min, ", ", d.y_max, "]"));
    for (const auto c : d.grid_class)
        if (c < 0) throw ValueError(cat("decision_regions_chart: negative class ", c, " in the grid"));
    for (const auto c : d.point_labels)
        if (c < 0) throw ValueError(cat("decision_regions_chart: negative point label ", c));
    // The hex colour of `index` mixed with white: weight 1 is the pure colour.
    const auto tint = [](size_t index, double weight) {
        const std::string hex = palette(index);
        const auto channel = [&](int at) { return std::stoi(hex.substr(1 + 2 * at, 2), nullptr, 16) / 255.0; };
        const double w = std::round(std::clamp(weight, 0.0, 1.0) * 8) / 8;  // 8 shades keep the paths few
        return rgb(1 - w * (1 - channel(0)), 1 - w * (1 - channel(1)), 1 - w * (1 - channel(2)));
    };
    const double size = 520;
    Svg svg(size + 90, size + 90);
    const Box plane{70, 40, size, size};
    raster(svg, plane, d.rows, d.cols, [&](int64_t r, int64_t c) {
        return tint(static_cast<size_t>(d.grid_class[r * d.cols + c]), 0.15 + 0.3 * d.grid_confidence[r * d.cols + c]);
    });
    const auto px = [&](double x) { return plane.x + (x - d.x_min) / (d.x_max - d.x_min) * plane.width; };
    const auto py = [&](double y) { return plane.y + (d.y_max - y) / (d.y_max - d.y_min) * plane.height; };
    const StrokeStyle outline{.color = "#ffffff", .width = 0.6};
    for (size_t i = 0; i < d.points.size(); ++i) {
        const auto [x, y] = d.points[i];
        if (x < d.x_min || x > d.x_max || y < d.y_min || y > d.y_max || !std::isfinite(x) || !std::isfinite(y)) continue;
        svg.circle(px(x), py(y), 2.6, palette(static_cast<size_t>(d.point_labels[i])), &outline);
    }
    const StrokeStyle frame{.color = "#444", .width = 1};
    svg.rect(plane.x, plane.y, plane.width, plane.height, "none", &frame);
    const auto x_ticks = nice_ticks(d.x_min, d.x_max, 6), y_ticks = nice_ticks(d.y_min, d.y_max, 6);
    for (const double t : x_ticks) {
        svg.line(px(t), plane.y + plane.height, px(t), plane.y + plane.height + 5, frame);
        svg.text(px(t), plane.y + plane.height + 18, tick_label(t, x_ticks.size() > 1 ? x_ticks[1] - x_ticks[0] : 1),
                 {.size = 11, .anchor = "middle"});
    }
    for (const double t : y_ticks) {
        svg.line(plane.x - 5, py(t), plane.x, py(t), frame);
        svg.text(plane.x - 8, py(t) + 4, tick_label(t, y_ticks.size() > 1 ? y_ticks[1] - y_ticks[0] : 1), {.size = 11, .anchor = "end"});
    }
    svg.text(plane.x + plane.width / 2, 24, labels.title, {.size = 15, .anchor = "middle", .bold = true});
    svg.text(plane.x + plane.width / 2, plane.y + plane.height + 40, labels.x_label, {.size = 12, .anchor = "middle"});
    svg.text(20, plane.y + plane.height / 2, labels.y_label, {.size = 12, .anchor = "middle", .rotate = -90});
    return svg;
}

}  // namespace kiln::plot
