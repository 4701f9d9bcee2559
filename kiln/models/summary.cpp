// Model::summary(): the Keras 3 table of layers, output shapes, parameter counts (and, for functional models,
// the layers each one is connected to), then the total, trainable and non-trainable parameter counts.
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "kiln/models/model.hpp"

namespace kiln {
namespace {

// 50890 -> "50,890"
std::string with_commas(int64_t n) {
    std::string digits = std::to_string(n);
    std::string out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

// Bytes as Keras prints them: "198.79 KB", "0.00 B".
std::string readable_size(double bytes) {
    const char* units[] = {"B", "KB", "MB", "GB", "TB"};
    int u = 0;
    while (bytes >= 1024.0 && u < 4) {
        bytes /= 1024.0;
        ++u;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f %s", bytes, units[u]);
    return buf;
}

// (None, 28, 28, 1) as Python prints the tuple; several outputs as a list of them, as Keras 3 does.
std::string shape_text(const Shape& shape) {
    std::string s = "(";
    for (int64_t i = 0; i < shape.rank(); ++i) {
        if (i) s += ", ";
        s += shape[i] < 0 ? "None" : std::to_string(shape[i]);
    }
    if (shape.rank() == 1) s += ",";
    return s + ")";
}

std::string shape_text(const SummaryRow& row) {
    if (!row.shape_known) return "?";
    if (row.output_shapes.size() == 1) return shape_text(row.output_shapes[0]);
    std::string s = "[";
    for (size_t i = 0; i < row.output_shapes.size(); ++i) s += (i ? ", " : "") + shape_text(row.output_shapes[i]);
    return s + "]";
}

// Display width of UTF-8 text (each code point counts as one column).
size_t columns(const std::string& s) {
    return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string repeat(const char* s, size_t n) {
    std::string out;
    for (size_t i = 0; i < n; ++i) out += s;
    return out;
}

struct Table {
    std::vector<size_t> widths;
    std::vector<bool> right_aligned;

    std::string rule(const char* left, const char* fill, const char* mid, const char* right) const {
        std::string out = left;
        for (size_t i = 0; i < widths.size(); ++i) {
            out += repeat(fill, widths[i]);
            out += i + 1 < widths.size() ? mid : right;
        }
        return out + "\n";
    }
    std::string row(const std::vector<std::string>& cells, const char* edge) const {
        std::string out = edge;
        for (size_t i = 0; i < widths.size(); ++i) {
            const size_t pad = widths[i] - 2 - columns(cells[i]);
            out += ' ';
            if (right_aligned[i]) out.append(pad, ' ');
            out += cells[i];
            if (!right_aligned[i]) out.append(pad, ' ');
            out += ' ';
            out += edge;
        }
        return out + "\n";
    }
};

}  // namespace

void Model::summary(std::ostream& out) const {
    const std::vector<SummaryRow> rows = layer_->summary_rows();
    const bool functional = layer_->class_name() == "Functional";
    std::vector<std::string> header{"Layer (type)", "Output Shape", "Param #"};
    if (functional) header.push_back("Connected to");
    std::vector<std::vector<std::string>> cells;
    for (const SummaryRow& r : rows) {
        std::vector<std::string> c{r.layer->name() + " (" + r.layer->class_name() + ")", shape_text(r),
                                   r.layer->built() || r.layer->count_params() > 0 ? with_commas(r.layer->count_params())
                                                                                   : "0 (unbuilt)"};
        if (functional) {
            std::string connected;
            for (const std::string& n : r.connected_to) connected += (connected.empty() ? "" : ", ") + n;
            c.push_back(connected.empty() ? "-" : connected);
        }
        cells.push_back(c);
    }
    Table t;
    t.widths = functional ? std::vector<size_t>{31, 24, 11, 24} : std::vector<size_t>{33, 24, 15};
    t.right_aligned = {false, false, true, false};
    for (const auto& c : cells)
        for (size_t i = 0; i < c.size(); ++i) t.widths[i] = std::max(t.widths[i], columns(c[i]) + 2);

    out << "Model: \"" << name() << "\"\n";
    out << t.rule("┏", "━", "┳", "┓") << t.row(header, "┃") << t.rule("┡", "━", "╇", "┩");
    for (size_t i = 0; i < cells.size(); ++i) {
        out << t.row(cells[i], "│");
        if (i + 1 < cells.size()) out << t.rule("├", "─", "┼", "┤");
    }
    out << t.rule("└", "─", "┴", "┘");

    int64_t trainable = 0, non_trainable = 0;
    for (const Variable& v : trainable_weights()) trainable += v.shape().numel();
    for (const Variable& v : non_trainable_weights()) non_trainable += v.shape().numel();
    const int64_t total = trainable + non_trainable;
    out << " Total params: " << with_commas(total) << " (" << readable_size(4.0 * total) << ")\n";
    out << " Trainable params: " << with_commas(trainable) << " (" << readable_size(4.0 * trainable) << ")\n";
    out << " Non-trainable params: " << with_commas(non_trainable) << " (" << readable_size(4.0 * non_trainable) << ")\n";
}

void Model::summary() const { summary(std::cout); }

}  // namespace kiln
