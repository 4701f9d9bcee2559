// Learning curves of a training run as an SVG picture: plot_history() for a finished History, the
// LearningCurves callback to redraw the picture after every epoch (open it in a browser and reload while training).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "kiln/callbacks/callbacks.hpp"
#include "kiln/plot/svg.hpp"

namespace kiln {

// One chart per logged quantity, "loss" first: the training values as a solid line and their "val_" forms dashed,
// against the epoch (1-based, as the progress bar counts). `history` maps names to per-epoch values, as
// History::history. ValueError when nothing is logged or a series' length differs from the epochs'.
plot::Svg learning_curves_chart(const std::map<std::string, std::vector<double>>& history, const std::vector<int>& epochs,
                                const std::string& title = "Learning curves");

// Writes learning_curves_chart(history) to `path` (atomically; IOError naming the path when it cannot).
void plot_history(const History& history, const std::string& path, const std::string& title = "Learning curves");

struct LearningCurvesOptions {
    std::string filename{};
    std::string title = "Learning curves";
};

// Records every epoch's logs and rewrites the picture at each epoch end.
class LearningCurves : public Callback {
public:
    // ValueError when the filename is empty.
    explicit LearningCurves(LearningCurvesOptions options);

    void on_train_begin(const Logs& logs) override;
    void on_epoch_end(int epoch, const Logs& logs) override;

private:
    LearningCurvesOptions o_;
    History history_;
};

}  // namespace kiln
