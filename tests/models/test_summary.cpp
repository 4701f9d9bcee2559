// Model::summary(): the Keras-style table, compared line by line with tables written out by hand, for a Sequential
// model (with and without a frozen layer, and unbuilt) and a functional model with its "Connected to" column.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include <sstream>

using namespace kiln;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

std::vector<std::string> summary_lines(const Model& model) {
    std::ostringstream out;
    model.summary(out);
    return lines_of(out.str());
}

std::string repeat(const char* s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
}

// A border line of a table whose columns are `widths` wide (without the separators).
std::string border(const char* left, const char* fill, const char* mid, const char* right, std::vector<int> widths) {
    std::string out = left;
    for (size_t i = 0; i < widths.size(); ++i) out += repeat(fill, widths[i]) + (i + 1 < widths.size() ? mid : right);
    return out;
}

void check_lines(const std::vector<std::string>& got, const std::vector<std::string>& expected) {
    CHECK(got.size() == expected.size());
    for (size_t i = 0; i < std::min(got.size(), expected.size()); ++i) {
        CAPTURE(i);
        CHECK(got[i] == expected[i]);
    }
}

// 50 -> 64 -> 10: 50 * 64 + 64 = 3,264 and 64 * 10 + 10 = 650 parameters, 3,914 in all (15,656 bytes).
Sequential sequential_model() {
    return Sequential({layers::Input({50}), layers::Dense({.name = "hidden", .units = 64, .activation = "relu"}),
                       layers::Dense({.name = "logits", .units = 10})},
                      "classifier");
}

const std::vector<int> kSequentialWidths{33, 24, 15};

// The table of sequential_model() followed by the three totals lines.
std::vector<std::string> sequential_table(const std::string& total, const std::string& trainable,
                                          const std::string& non_trainable) {
    const auto& w = kSequentialWidths;
    return {
        "Model: \"classifier\"",
        border("┏", "━", "┳", "┓", w),
        "┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃",
        border("┡", "━", "╇", "┩", w),
        "│ hidden (Dense)                  │ (None, 64)             │         3,264 │",
        border("├", "─", "┼", "┤", w),
        "│ logits (Dense)                  │ (None, 10)             │           650 │",
        border("└", "─", "┴", "┘", w),
        total,
        trainable,
        non_trainable,
    };
}

}  // namespace

TEST_CASE("model summary: a Sequential model's table and parameter totals") {
    check_lines(summary_lines(sequential_model()),
                sequential_table(" Total params: 3,914 (15.29 KB)", " Trainable params: 3,914 (15.29 KB)",
                                 " Non-trainable params: 0 (0.00 B)"));
}

TEST_CASE("model summary: a frozen layer's parameters count as non-trainable") {
    Sequential model = sequential_model();
    model.get_layer("logits")->set_trainable(false);
    // 3,264 * 4 = 13,056 bytes = 12.75 KB; 650 * 4 = 2,600 bytes = 2.54 KB.
    check_lines(summary_lines(model),
                sequential_table(" Total params: 3,914 (15.29 KB)", " Trainable params: 3,264 (12.75 KB)",
                                 " Non-trainable params: 650 (2.54 KB)"));
}

TEST_CASE("model summary: an unbuilt Sequential model shows unknown shapes and unbuilt layers") {
    Sequential model({layers::Dense({.name = "later", .units = 3})}, "unbuilt");
    const auto& w = kSequentialWidths;
    check_lines(summary_lines(model),
                {
                    "Model: \"unbuilt\"",
                    border("┏", "━", "┳", "┓", w),
                    "┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃",
                    border("┡", "━", "╇", "┩", w),
                    "│ later (Dense)                   │ ?                      │   0 (unbuilt) │",
                    border("└", "─", "┴", "┘", w),
                    " Total params: 0 (0.00 B)",
                    " Trainable params: 0 (0.00 B)",
                    " Non-trainable params: 0 (0.00 B)",
                });
}

TEST_CASE("model summary: a functional model lists every layer with the layers it is connected to") {
    const SymbolicTensor features = layers::Input({8}, {.name = "features"});
    const SymbolicTensor a = layers::Dense({.name = "a", .units = 16})(features);
    const SymbolicTensor b = layers::Dense({.name = "b", .trainable = false, .units = 16})(features);
    const SymbolicTensor sum = layers::Add({.name = "sum"})({a, b});
    Model model(features, layers::Dense({.name = "out", .units = 1})(sum), "branches");
    // a, b: 8 * 16 + 16 = 144 each; out: 16 + 1 = 17. Total 305 (1,220 bytes); b's 144 are frozen (576 bytes),
    // 161 trainable (644 bytes).
    const std::vector<int> w{31, 24, 11, 24};
    check_lines(summary_lines(model),
                {
                    "Model: \"branches\"",
                    border("┏", "━", "┳", "┓", w),
                    "┃ Layer (type)                  ┃ Output Shape           ┃   Param # ┃ Connected to           ┃",
                    border("┡", "━", "╇", "┩", w),
                    "│ features (InputLayer)         │ (None, 8)              │         0 │ -                      │",
                    border("├", "─", "┼", "┤", w),
                    "│ a (Dense)                     │ (None, 16)             │       144 │ features               │",
                    border("├", "─", "┼", "┤", w),
                    "│ b (Dense)                     │ (None, 16)             │       144 │ features               │",
                    border("├", "─", "┼", "┤", w),
                    "│ sum (Add)                     │ (None, 16)             │         0 │ a, b                   │",
                    border("├", "─", "┼", "┤", w),
                    "│ out (Dense)                   │ (None, 1)              │        17 │ sum                    │",
                    border("└", "─", "┴", "┘", w),
                    " Total params: 305 (1.19 KB)",
                    " Trainable params: 161 (644.00 B)",
                    " Non-trainable params: 144 (576.00 B)",
                });
}
