// Progress output: what fit/evaluate/predict print for each verbose level, and kiln::Progbar itself (interactive
// redraws with colours, ETA and total time, the non-interactive and verbose=2 lines, the format helpers).
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>
#include <kiln/models/progbar.hpp>

#include <regex>
#include <sstream>

#include "models/model_helpers.hpp"

using namespace kiln;
using kiln::testing::CaptureCout;

namespace {

const std::string kBold = "\x1b[1m", kGreen = "\x1b[32m", kGray = "\x1b[37m", kReset = "\x1b[0m";

std::string bars(int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += "━";
    return out;
}

// Columns a terminal shows for `s`: ANSI escape sequences take none, each UTF-8 code point one, \r and \n none.
size_t visible_width(const std::string& s) {
    size_t width = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\x1b') {
            while (i < s.size() && s[i] != 'm') ++i;
        } else if (s[i] != '\r' && s[i] != '\n' && (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
            ++width;
        }
    }
    return width;
}

bool matches(const std::string& text, const std::string& pattern) {
    return std::regex_match(text, std::regex(pattern));
}

// 10 samples of 2 features with labels 0 and 1, and a small classifier compiled for them.
struct Setup {
    Tensor x = Tensor::random_normal({10, 2}, 0.0f, 1.0f, 81);
    Tensor y = Tensor({0, 1, 0, 1, 0, 1, 0, 1, 0, 1}, Shape{10});
    Sequential model{{layers::Input({2}), layers::Dense({.units = 2})}};
    Setup() {
        model.compile({.optimizer = optim::SGD({.learning_rate = 0.01}),
                       .loss = losses::SparseCategoricalCrossentropy({.from_logits = true}),
                       .metrics = {"accuracy"}});
    }
};

const std::string kTime = R"(\d+s)";
const std::string kPerStep = R"(\d+(s|ms|us)/step)";
const std::string kValue = R"(\d+\.\d{4})";

}  // namespace

TEST_CASE("model progress: verbose=0 prints nothing") {
    Setup s;
    CaptureCout capture;
    s.model.fit(s.x, s.y, {.batch_size = 4, .epochs = 2, .verbose = 0, .validation_split = 0.2});
    s.model.evaluate(s.x, s.y, {.verbose = 0});
    s.model.predict(s.x, {.verbose = 0});
    CHECK(capture.text.str().empty());
}

TEST_CASE("model progress: verbose=2 prints the epoch header and one line per epoch") {
    Setup s;
    CaptureCout capture;
    s.model.fit(s.x, s.y, {.batch_size = 4, .epochs = 2, .verbose = 2, .validation_split = 0.2});
    // 8 training samples in batches of 4: 2 steps; learning_rate is logged but not shown.
    const std::string line = "2/2 - " + kTime + " - " + kPerStep + " - accuracy: " + kValue + " - loss: " + kValue +
                             " - val_accuracy: " + kValue + " - val_loss: " + kValue + "\n";
    const std::string out = capture.text.str();
    CHECK_MESSAGE(matches(out, "Epoch 1/2\n" + line + "Epoch 2/2\n" + line), out);
}

TEST_CASE("model progress: verbose=1 without a terminal prints the finished bar once per epoch") {
    if (stdout_is_terminal()) {
        MESSAGE("skipped: standard output is a terminal, so verbose=1 redraws interactively");
        return;
    }
    Setup s;
    CaptureCout capture;
    s.model.fit(s.x, s.y, {.batch_size = 4, .epochs = 2, .verbose = 1, .validation_split = 0.2});
    const std::string line = "2/2 " + bars(20) + " " + kTime + " " + kPerStep + " - accuracy: " + kValue +
                             " - loss: " + kValue + " - val_accuracy: " + kValue + " - val_loss: " + kValue + "\n";
    std::string out = capture.text.str();
    CHECK_MESSAGE(matches(out, "Epoch 1/2\n" + line + "Epoch 2/2\n" + line), out);

    capture.text.str("");
    s.model.evaluate(s.x, s.y, {.batch_size = 4, .verbose = 1});
    out = capture.text.str();
    CHECK_MESSAGE(matches(out, "3/3 " + bars(20) + " " + kTime + " " + kPerStep + " - accuracy: " + kValue +
                                   " - loss: " + kValue + "\n"),
                  out);

    capture.text.str("");
    s.model.predict(s.x, {.batch_size = 4, .verbose = 1});
    out = capture.text.str();
    CHECK_MESSAGE(matches(out, "3/3 " + bars(20) + " " + kTime + " " + kPerStep + "\n"), out);
}

TEST_CASE("model progress: Progbar redraws one line on a terminal, with the ETA, then the total time") {
    std::ostringstream out;
    Progbar bar(4, 1, out, true);
    bar.set_elapsed_for_testing(2.0);
    bar.update(1, {{"loss", 0.5}});
    // 1 of 4 steps after 2 s: 2 s per step, 3 steps to go: ETA 6 s; a quarter of the bar (5 of 20) is green.
    CHECK(out.str() == "\r" + kBold + "1/4" + kReset + " " + kGreen + bars(5) + kReset + kGray + bars(15) + kReset +
                           " " + kBold + "6s" + kReset + " 2s/step - loss: 0.5000");

    out.str("");
    bar.set_elapsed_for_testing(8.0);
    bar.update(4, {{"loss", 0.25}}, true);
    const std::string last = out.str();
    CHECK(last.rfind("\r" + kBold + "4/4" + kReset + " " + kGreen + bars(20) + kReset, 0) == 0);
    CHECK(last.find(" " + kBold + "8s" + kReset + " 2s/step - loss: 0.2500\n") != std::string::npos);
    CHECK(visible_width(last) == visible_width("4/4 " + bars(20) + " 8s 2s/step - loss: 0.2500"));
}

TEST_CASE("model progress: a shorter redraw is padded so that nothing of the previous line stays visible") {
    std::ostringstream out;
    Progbar bar(100, 1, out, true);
    bar.set_elapsed_for_testing(1.0);
    bar.update(1, {{"loss", 12.5}});  // "  1/100 [20 gray] 1:39 1s/step - loss: 12.5000"
    const std::string first = out.str();
    out.str("");
    bar.set_elapsed_for_testing(5.0);
    bar.update(5, {{"loss", 1.5}});  // "  5/100 [1 green, 19 gray] 1:35 1s/step - loss: 1.5000": one column shorter
    const std::string second = out.str();
    CHECK(first.find(kBold + "  1/100" + kReset) != std::string::npos);
    CHECK(second.find(kBold + "1:35" + kReset + " 1s/step - loss: 1.5000") != std::string::npos);
    CHECK(visible_width(second) >= visible_width(first));
}

TEST_CASE("model progress: Progbar without a terminal prints only the finished line, without colours") {
    std::ostringstream out;
    Progbar bar(3, 1, out, false);
    bar.set_elapsed_for_testing(0.3);
    bar.update(1, {{"loss", 0.9}});
    bar.update(2, {{"loss", 0.7}});
    CHECK(out.str().empty());
    bar.update(3, {{"loss", 0.5}, {"acc", 0.75}}, true);
    CHECK(out.str() == "3/3 " + bars(20) + " 0s 100ms/step - loss: 0.5000 - acc: 0.7500\n");
}

TEST_CASE("model progress: Progbar with verbose=2 prints one plain line at the end, verbose=0 nothing") {
    for (bool interactive : {false, true}) {
        CAPTURE(interactive);
        std::ostringstream out;
        Progbar bar(10, 2, out, interactive);
        bar.set_elapsed_for_testing(3.0);
        bar.update(5, {{"loss", 0.2}});
        CHECK(out.str().empty());
        bar.update(10, {{"loss", 0.1234}}, true);
        CHECK(out.str() == "10/10 - 3s - 300ms/step - loss: 0.1234\n");

        std::ostringstream silent;
        Progbar quiet(10, 0, silent, interactive);
        quiet.update(5, {{"loss", 0.2}});
        quiet.update(10, {{"loss", 0.1}}, true);
        CHECK(silent.str().empty());
    }
}

TEST_CASE("model progress: format_eta, format_per_step and format_values") {
    CHECK(Progbar::format_eta(0.0) == "0s");
    CHECK(Progbar::format_eta(5.4) == "5s");
    CHECK(Progbar::format_eta(59.4) == "59s");
    CHECK(Progbar::format_eta(62.0) == "1:02");
    CHECK(Progbar::format_eta(3599.0) == "59:59");
    CHECK(Progbar::format_eta(3723.0) == "1:02:03");

    CHECK(Progbar::format_per_step(2.0) == "2s/step");
    CHECK(Progbar::format_per_step(1.0) == "1s/step");
    CHECK(Progbar::format_per_step(0.0) == "0s/step");
    CHECK(Progbar::format_per_step(0.5) == "500ms/step");
    CHECK(Progbar::format_per_step(0.0123) == "12ms/step");
    CHECK(Progbar::format_per_step(0.001) == "1ms/step");
    CHECK(Progbar::format_per_step(0.00012) == "120us/step");

    CHECK(Progbar::format_values({}).empty());
    CHECK(Progbar::format_values({{"loss", 0.52104}, {"accuracy", 0.8123}}) == " - loss: 0.5210 - accuracy: 0.8123");
    CHECK(Progbar::format_values({{"loss", 1.234e-4}}) == " - loss: 1.2340e-04");
    CHECK(Progbar::format_values({{"delta", -2.5}}) == " - delta: -2.5000");
    CHECK(Progbar::format_values({{"mse", 12345.678}}) == " - mse: 12345.6780");
}
