// Tensor::str(): text like NumPy's str() of a float32 array, so printed values compare easily with Python.
// Positional notation with aligned decimal points, scientific when magnitudes span too much, integral values
// printed as "1.", and tensors with more than 1000 elements summarized to 3 items at each edge.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include "kiln/core/tensor.hpp"

namespace kiln {
namespace {

constexpr int64_t kSummarizeAbove = 1000;
constexpr int64_t kEdgeItems = 3;
constexpr int kMaxPrecision = 8;

std::string chars(float v, std::chars_format fmt) {
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, v, fmt);
    return std::string(buf, res.ptr);
}

std::string chars(float v, std::chars_format fmt, int precision) {
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, v, fmt, precision);
    return std::string(buf, res.ptr);
}

// Formats all printed values with one shared layout.
class ValueFormatter {
public:
    explicit ValueFormatter(const std::vector<float>& values) {
        // NumPy's rule: scientific when a nonzero magnitude is >= 1e8 or < 1e-4, or they span over 1e3.
        float max_abs = 0.0f;
        float min_abs = INFINITY;
        for (float v : values) {
            if (!std::isfinite(v) || v == 0.0f) continue;
            max_abs = std::max(max_abs, std::fabs(v));
            min_abs = std::min(min_abs, std::fabs(v));
        }
        scientific_ = max_abs > 0.0f && (max_abs >= 1e8f || min_abs < 1e-4f || max_abs / min_abs > 1e3f);
        if (scientific_)
            for (float v : values)
                if (std::isfinite(v)) {
                    const std::string m = mantissa_fraction(v);
                    fraction_digits_ = std::max(fraction_digits_, m.size());
                }
        for (float v : values) {
            if (!std::isfinite(v)) continue;
            auto [head, tail] = split(v);
            head_width_ = std::max(head_width_, head.size());
            tail_width_ = std::max(tail_width_, tail.size());
        }
        for (float v : values)
            if (!std::isfinite(v)) head_width_ = std::max(head_width_, special(v).size());
    }

    std::string operator()(float v) const {
        if (!std::isfinite(v)) {
            std::string s = special(v);
            std::string out(width() - s.size(), ' ');
            return out += s;
        }
        auto [head, tail] = split(v);
        std::string out(head_width_ - head.size(), ' ');
        out += head;
        out += tail;
        out.append(tail_width_ - tail.size(), ' ');
        return out;
    }

    size_t width() const { return head_width_ + tail_width_; }

private:
    static std::string special(float v) { return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf"); }

    // Splits a value into the part up to and including '.', and the rest (fraction and exponent).
    std::pair<std::string, std::string> split(float v) const {
        std::string s;
        if (scientific_) {
            // Every mantissa gets the same number of fraction digits, zero-padded, as NumPy does.
            s = chars(v, std::chars_format::scientific, static_cast<int>(fraction_digits_));
            auto e = s.find('e');
            std::string mantissa = s.substr(0, e);
            std::string exponent = s.substr(e + 1);
            if (mantissa.find('.') == std::string::npos) mantissa += ".";
            // At least two exponent digits: 1.e-05, 1.e+10.
            const char sign = exponent[0] == '-' ? '-' : '+';
            std::string digits = exponent.substr(exponent[0] == '-' || exponent[0] == '+' ? 1 : 0);
            if (digits.size() < 2) digits.insert(0, 1, '0');
            s = mantissa;
            s += 'e';
            s += sign;
            s += digits;
        } else {
            s = chars(v, std::chars_format::fixed);
            auto dot = s.find('.');
            if (dot != std::string::npos && s.size() - dot - 1 > kMaxPrecision) {
                s = chars(v, std::chars_format::fixed, kMaxPrecision);
                while (s.back() == '0') s.pop_back();
            }
            if (s.find('.') == std::string::npos) s += ".";
        }
        auto dot = s.find('.');
        return {s.substr(0, dot + 1), s.substr(dot + 1)};
    }

    // Fraction digits of the shortest scientific form of v (at most kMaxPrecision).
    static std::string mantissa_fraction(float v) {
        std::string s = chars(v, std::chars_format::scientific);
        const auto e = s.find('e');
        const auto dot = s.find('.');
        if (dot == std::string::npos || dot > e) return "";
        std::string frac = s.substr(dot + 1, e - dot - 1);
        if (frac.size() > kMaxPrecision) {
            s = chars(v, std::chars_format::scientific, kMaxPrecision);
            frac = s.substr(s.find('.') + 1, s.find('e') - s.find('.') - 1);
            while (!frac.empty() && frac.back() == '0') frac.pop_back();
        }
        return frac;
    }

    bool scientific_ = false;
    size_t fraction_digits_ = 0;
    size_t head_width_ = 0;
    size_t tail_width_ = 0;
};

// The indices printed along one axis of size n: all of them, or the edges around a gap (-1).
std::vector<int64_t> printed_indices(int64_t n, bool summarize) {
    std::vector<int64_t> idx;
    if (!summarize || n <= 2 * kEdgeItems) {
        for (int64_t i = 0; i < n; ++i) idx.push_back(i);
    } else {
        for (int64_t i = 0; i < kEdgeItems; ++i) idx.push_back(i);
        idx.push_back(-1);
        for (int64_t i = n - kEdgeItems; i < n; ++i) idx.push_back(i);
    }
    return idx;
}

void collect(const Tensor& t, int64_t axis, int64_t offset, bool summarize, std::vector<float>& out) {
    const Shape& s = t.shape();
    const int64_t stride = contiguous_strides(s)[axis];
    for (int64_t i : printed_indices(s[axis], summarize)) {
        if (i < 0) continue;
        if (axis + 1 == s.rank())
            out.push_back(t.data()[offset + i * stride]);
        else
            collect(t, axis + 1, offset + i * stride, summarize, out);
    }
}

void render(const Tensor& t, int64_t axis, int64_t offset, bool summarize, const ValueFormatter& fmt,
            std::string& out) {
    const Shape& s = t.shape();
    const int64_t stride = contiguous_strides(s)[axis];
    const bool last_axis = axis + 1 == s.rank();
    // NumPy separates rows by one newline, blocks of rows by one more per level, then indents.
    std::string row_break(static_cast<size_t>(s.rank() - axis - 1), '\n');
    row_break.append(static_cast<size_t>(axis + 1), ' ');
    out += "[";
    bool first = true;
    for (int64_t i : printed_indices(s[axis], summarize)) {
        if (!first) out += last_axis ? " " : row_break;
        first = false;
        if (i < 0)
            out += "...";
        else if (last_axis)
            out += fmt(t.data()[offset + i * stride]);
        else
            render(t, axis + 1, offset + i * stride, summarize, fmt, out);
    }
    out += "]";
}

}  // namespace

std::string Tensor::str() const {
    if (!defined()) return "<undefined tensor>";
    const bool summarize = size() > kSummarizeAbove;
    if (rank() == 0) {
        // Like a NumPy scalar: the shortest text that reads back to the same float, with ".0" if integral.
        const float v = data()[0];
        std::string s = chars(v, std::chars_format::general);
        if (std::isfinite(v) && s.find_first_of(".e") == std::string::npos) s += ".0";
        return s;
    }
    if (size() == 0) return "[]";
    std::vector<float> shown;
    collect(*this, 0, 0, summarize, shown);
    ValueFormatter fmt(shown);
    std::string out;
    render(*this, 0, 0, summarize, fmt, out);
    return out;
}

}  // namespace kiln
