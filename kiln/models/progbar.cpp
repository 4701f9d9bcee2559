#include "kiln/models/progbar.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <ostream>

namespace kiln {
namespace {

constexpr int kBarWidth = 20;
const char* const kBold = "\x1b[1m";
const char* const kGreen = "\x1b[32m";
const char* const kGray = "\x1b[37m";
const char* const kReset = "\x1b[0m";

std::string repeat(const char* s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
}

std::string count_text(int64_t current, int64_t target) {
    const int digits = static_cast<int>(std::to_string(target).size());
    char buf[64];
    std::snprintf(buf, sizeof buf, "%*lld/%lld", digits, static_cast<long long>(current),
                  static_cast<long long>(target));
    return buf;
}

// Columns `s` takes on a terminal: ANSI escape sequences ("\x1b[...m") none, each UTF-8 code point one.
size_t visible_width(const std::string& s) {
    size_t width = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\x1b') {
            while (i < s.size() && s[i] != 'm') ++i;
        } else if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
            ++width;
        }
    }
    return width;
}

}  // namespace

bool stdout_is_terminal() { return isatty(fileno(stdout)) != 0; }

Progbar::Progbar(int64_t target, int verbose, std::ostream& out, bool interactive)
    : target_(target), verbose_(verbose), out_(out), interactive_(interactive), start_(Clock::now()) {}

double Progbar::elapsed() const {
    if (fixed_elapsed_ >= 0.0) return fixed_elapsed_;
    return std::chrono::duration<double>(Clock::now() - start_).count();
}

std::string Progbar::format_eta(double seconds) {
    const long long s = std::llround(seconds);
    char buf[64];
    if (s >= 3600)
        std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, (s % 3600) / 60, s % 60);
    else if (s >= 60)
        std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
    else
        std::snprintf(buf, sizeof buf, "%llds", s);
    return buf;
}

std::string Progbar::format_per_step(double seconds) {
    char buf[64];
    if (seconds >= 1.0 || seconds == 0.0)
        std::snprintf(buf, sizeof buf, "%.0fs/step", seconds);
    else if (seconds >= 1e-3)
        std::snprintf(buf, sizeof buf, "%.0fms/step", seconds * 1e3);
    else
        std::snprintf(buf, sizeof buf, "%.0fus/step", seconds * 1e6);
    return buf;
}

std::string Progbar::format_values(const std::vector<std::pair<std::string, double>>& values) {
    std::string out;
    char buf[64];
    for (const auto& [name, value] : values) {
        if (std::fabs(value) > 1e-3 || value == 0.0)
            std::snprintf(buf, sizeof buf, "%.4f", value);
        else
            std::snprintf(buf, sizeof buf, "%.4e", value);
        out += " - " + name + ": " + buf;
    }
    return out;
}

std::string Progbar::bar(int64_t current) const {
    const int done = target_ > 0 ? static_cast<int>(kBarWidth * std::min<int64_t>(current, target_) / target_) : 0;
    if (!interactive_) return repeat("━", kBarWidth);
    std::string out;
    if (done > 0) out += std::string(kGreen) + repeat("━", done) + kReset;
    out += std::string(kGray) + repeat("━", kBarWidth - done) + kReset;
    return out;
}

void Progbar::update(int64_t current, const std::vector<std::pair<std::string, double>>& values, bool finalize) {
    if (verbose_ == 0) return;
    const double seconds = elapsed();
    const double per_step = current > 0 ? seconds / static_cast<double>(current) : 0.0;
    if (verbose_ == 2) {
        if (!finalize) return;
        out_ << count_text(current, target_) << " - " << format_eta(seconds) << " - " << format_per_step(per_step)
             << format_values(values) << "\n";
        out_.flush();
        return;
    }
    if (!interactive_ && !finalize) return;
    const double time_shown = finalize ? seconds : per_step * static_cast<double>(target_ - current);
    std::string count = count_text(current, target_);
    std::string time_text = format_eta(time_shown);
    if (interactive_) {
        count = std::string(kBold) + count + kReset;
        time_text = std::string(kBold) + time_text + kReset;
    }
    std::string line = count + " " + bar(current) + " " + time_text + " " + format_per_step(per_step) +
                       format_values(values);
    if (interactive_) {
        // Redraw in place; pad with spaces when the new line is shorter than the last one. Widths are what the
        // terminal shows: the colour codes and the bytes of the multi-byte bar characters take no columns.
        const size_t width = visible_width(line);
        if (width < last_width_) line += std::string(last_width_ - width, ' ');
        last_width_ = width;
        out_ << "\r" << line;
        if (finalize) out_ << "\n";
    } else {
        out_ << line << "\n";
    }
    out_.flush();
}

}  // namespace kiln
