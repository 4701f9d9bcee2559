// Progbar: the Keras-style progress display of fit/evaluate/predict.
// verbose 1 on a terminal: one line redrawn per step, "  12/938 ━━━━━━━━━━━━━━━━━━━━ 5s 6ms/step - loss: 0.5210"
// (the first time is the ETA while running, the total at the end), with colours. verbose 1 elsewhere: that line
// once, when the epoch ends. verbose 2: "938/938 - 3s - 3ms/step - loss: 0.5210" when the epoch ends.
// verbose 0: nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

namespace kiln {

class Progbar {
public:
    using Clock = std::chrono::steady_clock;

    Progbar(int64_t target, int verbose, std::ostream& out, bool interactive);
    // Shows `current` of `target` steps done with these values; `finalize` ends the line.
    void update(int64_t current, const std::vector<std::pair<std::string, double>>& values, bool finalize = false);
    // For tests: pretend `seconds` passed since the start.
    void set_elapsed_for_testing(double seconds) { fixed_elapsed_ = seconds; }

    // "5s", "1:02", "1:02:03" as Keras formats an ETA; "3ms/step", "120us/step", "2s/step" per step.
    static std::string format_eta(double seconds);
    static std::string format_per_step(double seconds);
    // " - loss: 0.5210 - accuracy: 0.8123" (4 decimals; scientific below 1e-3).
    static std::string format_values(const std::vector<std::pair<std::string, double>>& values);

private:
    double elapsed() const;
    std::string bar(int64_t current) const;

    int64_t target_;
    int verbose_;
    std::ostream& out_;
    bool interactive_;
    Clock::time_point start_;
    double fixed_elapsed_ = -1.0;
    size_t last_width_ = 0;
};

// True when standard output is a terminal.
bool stdout_is_terminal();

}  // namespace kiln
