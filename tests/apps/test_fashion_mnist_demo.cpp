// The main demo run as a user runs it: --quick trains, tests, saves and reloads the model and draws three SVG
// pictures; --help explains the options; a bad option is an error naming it.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include <filesystem>
#include <fstream>

#include "support/run_command.hpp"
#include "support/temp_dir.hpp"

#ifdef KILN_FASHION_MNIST

using namespace kiln;
using kiln::testing::run_command;
using kiln::testing::TempDir;
using kiln::testing::xml_count;

TEST_CASE("fashion_mnist --quick: learns, reloads identically, and draws the curves, the matrix and the mistakes") {
    TempDir dir;
    const auto run = run_command(std::string(KILN_FASHION_MNIST) + " --quick --threads 2 --out " + dir.root());
    INFO(run.output);
    REQUIRE(run.status == 0);
    std::ifstream in(dir.path("results.json"));
    REQUIRE(in);
    const auto results = nlohmann::json::parse(in);
    // Chance is 0.1; two epochs on 5,400 images reach about 0.8.
    CHECK(results.at("test_accuracy").get<double>() > 0.6);
    CHECK(results.at("test_images").get<int>() == 2000);
    CHECK(results.at("reload_max_abs_difference").get<double>() == 0.0);
    CHECK(run.output.find("identical") != std::string::npos);
    CHECK(run.output.find("0.934") != std::string::npos);  // the published references are printed beside it
    CHECK(std::filesystem::exists(dir.path("model.keras")));

    // Learning curves: loss and accuracy panels (plus the learning rate), training and validation lines.
    const std::string curves = dir.path("learning_curves.svg");
    CHECK(xml_count(curves, "polyline") >= 4);
    // Confusion matrix: 10 x 10 titled cells.
    CHECK(xml_count(dir.path("confusion_matrix.svg"), "g") == 100);
    // Mistakes: as many captioned images as the run reports (3 caption lines each, plus the title).
    const long shown = results.at("misclassified_shown").get<long>();
    CHECK(shown > 0);
    CHECK(xml_count(dir.path("misclassified.svg"), "text") == 1 + 3 * shown);
    std::ifstream csv(dir.path("history.csv"));
    std::string header;
    std::getline(csv, header);
    CHECK(header.find("val_accuracy") != std::string::npos);
}

TEST_CASE("fashion_mnist --help prints every option and exits 0, a bad option exits 2 naming it") {
    const auto help = run_command(std::string(KILN_FASHION_MNIST) + " --help");
    CHECK(help.status == 0);
    for (const char* option : {"--epochs", "--batch-size", "--train-samples", "--quick", "--out", "--threads", "--seed"})
        CHECK_MESSAGE(help.output.find(option) != std::string::npos, option);
    const auto bad = run_command(std::string(KILN_FASHION_MNIST) + " --epocs 3");
    CHECK(bad.status == 2);
    CHECK(bad.output.find("--epocs") != std::string::npos);
    const auto negative = run_command(std::string(KILN_FASHION_MNIST) + " --batch-size -4");
    CHECK(negative.status == 2);
    CHECK(negative.output.find("--batch-size") != std::string::npos);
}

TEST_CASE("fashion_mnist with a missing dataset names the Debian package to install") {
    TempDir dir;
    const auto run = run_command(std::string(KILN_FASHION_MNIST) + " --quick --data-dir " + dir.root() + " --out " + dir.path("out"));
    CHECK(run.status == 1);
    CHECK(run.output.find("dataset-fashion-mnist") != std::string::npos);
}

#endif
