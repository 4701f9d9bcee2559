// The SVG writer: escaping, colours, the document's elements (parsed back by xmllint), atomic saving.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include <filesystem>
#include <fstream>

#include "support/run_command.hpp"
#include "support/temp_dir.hpp"

using namespace kiln;
using kiln::testing::TempDir;
using kiln::testing::xml_count;

TEST_CASE("escape_xml replaces the five XML specials and drops control characters") {
    CHECK(plot::escape_xml("a<b & \"c\" 'd'>") == "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;");
    CHECK(plot::escape_xml(std::string("x\x01y\tz", 5)) == "x?y\tz");
    CHECK(plot::escape_xml("T-shirt/top") == "T-shirt/top");
}

TEST_CASE("rgb rounds each channel to a byte and clamps to 0..1") {
    CHECK(plot::rgb(1, 0, 0.5) == "#ff0080");  // 0.5 * 255 = 127.5 rounds to 128
    CHECK(plot::rgb(-1, 2, 0.2) == "#00ff33");  // 0.2 * 255 = 51
    CHECK(plot::grey(0) == "#000000");
    CHECK(plot::grey(1) == "#ffffff");
}

TEST_CASE("Svg: every element lands in a well-formed document, labels escaped") {
    TempDir dir;
    plot::Svg svg(200, 100);
    svg.line(0, 0, 10, 10, {.color = "#f00", .width = 2, .dash = "4,2"});
    svg.polyline({{0, 0}, {5, 5}, {9, 1}}, {});
    svg.circle(5, 5, 2, "#00f");
    svg.begin_group("a & b");
    svg.rect(1, 1, 3, 3, "#0f0");
    svg.end_group();
    svg.text(10, 20, "x < y", {.rotate = -90});
    svg.path("M0,0h1v1h-1z", "#123456");
    const std::string text = svg.str();
    CHECK(text.find("x &lt; y") != std::string::npos);
    CHECK(text.find("stroke-dasharray=\"4,2\"") != std::string::npos);
    CHECK(text.find("points=\"0,0 5,5 9,1\"") != std::string::npos);
    const std::string path = dir.path("doc.svg");
    svg.save(path);
    CHECK(xml_count(path, "svg") == 1);
    CHECK(xml_count(path, "rect") == 2);  // the white background and the one drawn
    CHECK(xml_count(path, "line") == 1);
    CHECK(xml_count(path, "polyline") == 1);
    CHECK(xml_count(path, "circle") == 1);
    CHECK(xml_count(path, "text") == 1);
    CHECK(xml_count(path, "path") == 1);
    CHECK(xml_count(path, "title") == 1);
}

TEST_CASE("Svg: bad sizes, non-finite coordinates and unbalanced groups are errors") {
    CHECK_THROWS_AS(plot::Svg(0, 10), ValueError);
    plot::Svg svg(10, 10);
    CHECK_THROWS_AS(svg.line(0, 0, std::nan(""), 1, {}), ValueError);
    CHECK_THROWS_AS(svg.end_group(), StateError);
    svg.begin_group("open");
    CHECK_THROWS_AS((void)svg.str(), StateError);
}

TEST_CASE("Svg::save: a failed save names the path and leaves the old file as it was") {
    TempDir dir;
    plot::Svg svg(10, 10);
    const std::string missing = dir.path("no_such_dir/plot.svg");
    CHECK_THROWS_WITH_AS(svg.save(missing), doctest::Contains("no_such_dir"), IOError);
    const std::string existing = dir.path("plot.svg");
    std::ofstream(existing) << "old";
    plot::Svg bad(10, 10);
    bad.begin_group("never closed");
    CHECK_THROWS_AS(bad.save(existing), StateError);
    std::ifstream in(existing);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(content == "old");
}
