#include "kiln/callbacks/monitor.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <iostream>
#include <limits>
#include <string_view>

#include "kiln/core/errors.hpp"
#include "kiln/models/model.hpp"
#include "kiln/models/training_state.hpp"

namespace kiln {
namespace {

// Lower case without underscores, so that metric names and class names compare alike ("BinaryAccuracy",
// "binary_accuracy").
std::string normalized(std::string_view name) {
    std::string out;
    for (char c : name)
        if (c != '_') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// Whether a quantity of this (metric or class) name improves upwards; nullopt when the name does not tell.
std::optional<bool> direction_of(std::string_view name) {
    static constexpr std::array<std::string_view, 8> up{"acc", "auc", "precision", "recall", "f1score", "fbeta",
                                                        "iou", "r2score"};
    static constexpr std::array<std::string_view, 7> down_parts{"loss",    "error",      "crossentropy", "hinge",
                                                                "poisson", "divergence", "logcosh"};
    static constexpr std::array<std::string_view, 5> down_names{"mse", "mae", "mape", "msle", "rmse"};
    const std::string n = normalized(name);
    auto contains = [&n](std::string_view part) { return n.find(part) != std::string::npos; };
    if (std::ranges::any_of(up, contains)) return true;
    if (std::ranges::any_of(down_parts, contains) || std::ranges::find(down_names, n) != down_names.end())
        return false;
    return std::nullopt;
}

// The direction of the model's compiled metric called `name` (by its class), if there is one that tells.
std::optional<bool> compiled_metric_direction(const Model* model, const std::string& name) {
    if (!model || !model->compiled()) return std::nullopt;
    const TrainingState& state = *(*model)->training_state;
    for (const OutputHead& head : state.heads)
        if (head.loss_tracker && head.loss_tracker->name() == name) return false;  // "<output>_loss" goes down
    for (const auto& [logged_name, metric] : logged_metrics(state))
        if (logged_name == name) return direction_of(metric->class_name());
    return std::nullopt;
}

}  // namespace

MonitoredQuantity::MonitoredQuantity(std::string owner, std::string monitor, std::string mode, double min_delta)
    : owner_(std::move(owner)), monitor_(std::move(monitor)), mode_(std::move(mode)), min_delta_(std::abs(min_delta)) {
    if (mode_ != "auto" && mode_ != "min" && mode_ != "max")
        throw ValueError(cat(owner_, ": mode must be 'auto', 'min' or 'max', got '", mode_, "'"));
    if (mode_ != "auto") maximize_ = mode_ == "max";
}

void MonitoredQuantity::resolve(const Model* model) {
    if (maximize_) return;
    const std::string name = monitor_.starts_with("val_") ? monitor_.substr(4) : monitor_;
    if (name == "loss")
        maximize_ = false;
    else if (auto compiled = compiled_metric_direction(model, name))
        maximize_ = compiled;
    else
        maximize_ = direction_of(name);
    if (!maximize_)
        throw ValueError(cat(owner_, ": cannot tell whether monitor='", monitor_,
                             "' should be minimized or maximized; pass mode 'min' or 'max'"));
}

std::optional<double> MonitoredQuantity::value(const Logs& logs) {
    auto found = logs.find(monitor_);
    if (found != logs.end()) return found->second;
    if (!warned_missing_) {
        warned_missing_ = true;
        std::string keys;
        for (const auto& [key, v] : logs) keys += (keys.empty() ? "" : ", ") + key;
        std::cerr << "kiln: warning: " << owner_ << " is conditioned on '" << monitor_
                  << "', which is not in the logs (logged: " << keys << "); it does nothing this epoch\n";
    }
    return std::nullopt;
}

bool MonitoredQuantity::is_improvement(double current, std::optional<double> reference) const {
    if (!reference) return true;
    return maximize() ? current - min_delta_ > *reference : current + min_delta_ < *reference;
}

double MonitoredQuantity::worst() const {
    const double inf = std::numeric_limits<double>::infinity();
    return maximize() ? -inf : inf;
}

}  // namespace kiln
