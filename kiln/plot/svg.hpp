// Svg: a minimal SVG 1.1 document builder, enough for kiln's charts (lines, rectangles, text, filled paths).
// Every string placed in the document is XML-escaped, so any label (a class name, a metric name) is safe.
#pragma once

#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiln::plot {

// Text with &, <, >, " and ' replaced by their XML entities; control characters other than tab, newline and
// carriage return (not allowed in XML 1.0) become '?'.
std::string escape_xml(std::string_view text);

struct TextStyle {
    double size = 12;
    std::string anchor = "start";  // "start", "middle" or "end"
    std::string fill = "#222";
    bool bold = false;
    double rotate = 0;  // degrees, about the anchor point
};

struct StrokeStyle {
    std::string color = "#222";
    double width = 1;
    std::string dash{};  // a stroke-dasharray such as "6,4"; empty for solid
};

class Svg {
public:
    // A width x height canvas (user units = pixels) with a white background.
    Svg(double width, double height);

    double width() const { return width_; }
    double height() const { return height_; }

    void rect(double x, double y, double w, double h, std::string_view fill, const StrokeStyle* stroke = nullptr);
    void line(double x1, double y1, double x2, double y2, const StrokeStyle& stroke);
    void polyline(const std::vector<std::pair<double, double>>& points, const StrokeStyle& stroke);
    void circle(double cx, double cy, double r, std::string_view fill, const StrokeStyle* stroke = nullptr);
    void text(double x, double y, std::string_view content, const TextStyle& style = {});
    // A filled path from raw path data ("M0,0h1v1h-1z..."), for many same-coloured cells in one element.
    void path(std::string_view data, std::string_view fill);
    // Groups the elements added until end_group() under <g> with a <title> (shown as a tooltip by browsers).
    void begin_group(std::string_view title);
    void end_group();

    // The complete document.
    std::string str() const;
    // Writes the document atomically (IOError naming the path when it cannot).
    void save(const std::string& path) const;

private:
    double width_;
    double height_;
    std::ostringstream body_;
    int open_groups_ = 0;
};

// "#rrggbb" for red, green, blue in [0, 1] (clamped).
std::string rgb(double r, double g, double b);

}  // namespace kiln::plot
