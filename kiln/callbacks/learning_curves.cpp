#include "kiln/callbacks/learning_curves.hpp"

#include <algorithm>

#include "kiln/core/errors.hpp"
#include "kiln/plot/charts.hpp"

namespace kiln {

namespace {

constexpr double kPanelWidth = 440, kPanelHeight = 320;
constexpr size_t kPanelsPerRow = 3;

}  // namespace

plot::Svg learning_curves_chart(const std::map<std::string, std::vector<double>>& history, const std::vector<int>& epochs,
                                const std::string& title) {
    std::vector<std::string> quantities;  // the names without "val_", "loss" first
    for (const auto& [key, values] : history) {
        if (values.size() != epochs.size())
            throw ValueError(cat("learning_curves_chart: '", key, "' has ", values.size(), " values for ", epochs.size(), " epochs"));
        const std::string base = key.rfind("val_", 0) == 0 ? key.substr(4) : key;
        if (std::find(quantities.begin(), quantities.end(), base) == quantities.end()) quantities.push_back(base);
    }
    if (quantities.empty() || epochs.empty()) throw ValueError("learning_curves_chart: the history has no logged epochs");
    std::stable_partition(quantities.begin(), quantities.end(), [](const std::string& q) { return q == "loss"; });

    const size_t columns = std::min(kPanelsPerRow, quantities.size());
    const size_t rows = (quantities.size() + columns - 1) / columns;
    plot::Svg svg(kPanelWidth * columns, 36 + kPanelHeight * rows);
    svg.text(svg.width() / 2, 24, title, {.size = 16, .anchor = "middle", .bold = true});
    std::vector<double> x;
    for (const int e : epochs) x.push_back(e + 1.0);
    for (size_t i = 0; i < quantities.size(); ++i) {
        const std::string& q = quantities[i];
        std::vector<plot::Series> series;
        const auto train = history.find(q), val = history.find("val_" + q);
        if (train != history.end())
            series.push_back({.name = val == history.end() ? q : "training", .x = x, .y = train->second, .color = plot::palette(0)});
        if (val != history.end())
            series.push_back({.name = "validation", .x = x, .y = val->second, .color = plot::palette(1), .dashed = true});
        const plot::Box box{kPanelWidth * (i % columns), 36 + kPanelHeight * (i / columns), kPanelWidth, kPanelHeight};
        plot::line_chart(svg, box, series, {.title = q, .x_label = "epoch", .y_label = q, .integer_x = true});
    }
    return svg;
}

void plot_history(const History& history, const std::string& path, const std::string& title) {
    learning_curves_chart(history.history, history.epochs, title).save(path);
}

LearningCurves::LearningCurves(LearningCurvesOptions options) : o_(std::move(options)) {
    if (o_.filename.empty()) throw ValueError("LearningCurves: filename must not be empty");
}

void LearningCurves::on_train_begin(const Logs& logs) { history_.on_train_begin(logs); }

void LearningCurves::on_epoch_end(int epoch, const Logs& logs) {
    history_.on_epoch_end(epoch, logs);
    plot_history(history_, o_.filename, o_.title);
}

}  // namespace kiln
