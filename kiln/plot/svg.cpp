#include "kiln/plot/svg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "kiln/core/errors.hpp"
#include "kiln/serialization/atomic_file.hpp"

namespace kiln::plot {

namespace {

// Coordinates with at most two decimals: enough for screen pixels, and short files.
std::string num(double v) {
    if (!std::isfinite(v)) throw ValueError(cat("Svg: a coordinate is not finite (", v, ")"));
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.2f", v);
    std::string s = buffer;
    s.erase(s.find_last_not_of('0') + 1);
    if (s.back() == '.') s.pop_back();
    return s == "-0" ? "0" : s;
}

std::string stroke_attributes(const StrokeStyle& s) {
    std::string out = " stroke=\"" + escape_xml(s.color) + "\" stroke-width=\"" + num(s.width) + "\"";
    if (!s.dash.empty()) out += " stroke-dasharray=\"" + escape_xml(s.dash) + "\"";
    return out;
}

}  // namespace

std::string escape_xml(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default:
                const auto u = static_cast<unsigned char>(c);
                out += (u < 0x20 && c != '\t' && c != '\n' && c != '\r') ? '?' : c;
        }
    }
    return out;
}

std::string rgb(double r, double g, double b) {
    const auto byte = [](double v) { return static_cast<int>(std::lround(std::clamp(v, 0.0, 1.0) * 255.0)); };
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "#%02x%02x%02x", byte(r), byte(g), byte(b));
    return buffer;
}

Svg::Svg(double width, double height) : width_(width), height_(height) {
    if (!(width > 0) || !(height > 0)) throw ValueError(cat("Svg: the size must be positive, got ", width, " x ", height));
    rect(0, 0, width, height, "#ffffff");
}

void Svg::rect(double x, double y, double w, double h, std::string_view fill, const StrokeStyle* stroke) {
    body_ << "<rect x=\"" << num(x) << "\" y=\"" << num(y) << "\" width=\"" << num(w) << "\" height=\"" << num(h)
          << "\" fill=\"" << escape_xml(fill) << "\"" << (stroke ? stroke_attributes(*stroke) : "") << "/>\n";
}

void Svg::line(double x1, double y1, double x2, double y2, const StrokeStyle& stroke) {
    body_ << "<line x1=\"" << num(x1) << "\" y1=\"" << num(y1) << "\" x2=\"" << num(x2) << "\" y2=\"" << num(y2)
          << "\"" << stroke_attributes(stroke) << "/>\n";
}

void Svg::polyline(const std::vector<std::pair<double, double>>& points, const StrokeStyle& stroke) {
    body_ << "<polyline fill=\"none\"" << stroke_attributes(stroke) << " stroke-linejoin=\"round\" points=\"";
    for (size_t i = 0; i < points.size(); ++i)
        body_ << (i ? " " : "") << num(points[i].first) << "," << num(points[i].second);
    body_ << "\"/>\n";
}

void Svg::circle(double cx, double cy, double r, std::string_view fill, const StrokeStyle* stroke) {
    body_ << "<circle cx=\"" << num(cx) << "\" cy=\"" << num(cy) << "\" r=\"" << num(r) << "\" fill=\""
          << escape_xml(fill) << "\"" << (stroke ? stroke_attributes(*stroke) : "") << "/>\n";
}

void Svg::text(double x, double y, std::string_view content, const TextStyle& style) {
    body_ << "<text x=\"" << num(x) << "\" y=\"" << num(y) << "\" font-size=\"" << num(style.size)
          << "\" text-anchor=\"" << escape_xml(style.anchor) << "\" fill=\"" << escape_xml(style.fill) << "\"";
    if (style.bold) body_ << " font-weight=\"bold\"";
    if (style.rotate != 0) body_ << " transform=\"rotate(" << num(style.rotate) << " " << num(x) << " " << num(y) << ")\"";
    body_ << ">" << escape_xml(content) << "</text>\n";
}

void Svg::path(std::string_view data, std::string_view fill) {
    if (data.empty()) return;
    body_ << "<path fill=\"" << escape_xml(fill) << "\" d=\"" << escape_xml(data) << "\"/>\n";
}

void Svg::begin_group(std::string_view title) {
    body_ << "<g><title>" << escape_xml(title) << "</title>\n";
    ++open_groups_;
}

void Svg::end_group() {
    if (open_groups_ == 0) throw StateError("Svg::end_group: no group is open");
    body_ << "</g>\n";
    --open_groups_;
}

std::string Svg::str() const {
    if (open_groups_ != 0) throw StateError(cat("Svg: ", open_groups_, " group(s) left open"));
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" +
           num(width_) + "\" height=\"" + num(height_) + "\" viewBox=\"0 0 " + num(width_) + " " + num(height_) +
           "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n" + body_.str() + "</svg>\n";
}

void Svg::save(const std::string& path) const {
    const std::string document = str();
    serialization::write_file_atomically(path, [&](const std::string& temp) {
        std::ofstream out(temp, std::ios::binary);
        out << document;
        out.close();
        if (!out) throw IOError(cat("Svg::save: cannot write '", temp, "' (for '", path, "')"));
    });
}

}  // namespace kiln::plot
