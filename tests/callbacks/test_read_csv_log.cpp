// read_csv_log: the files CSVLogger writes come back as the History that fit returned; damaged files are errors
// naming the file and line.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include <cmath>
#include <fstream>

#include "support/temp_dir.hpp"

using namespace kiln;
using kiln::testing::TempDir;

TEST_CASE("read_csv_log returns what CSVLogger wrote during fit") {
    TempDir dir;
    const std::string path = dir.path("log.csv");
    auto model = Sequential({layers::Input({2}), layers::Dense({.units = 1})});
    model.compile({.optimizer = optim::SGD({.learning_rate = 0.1}), .loss = "mse", .metrics = {"mae"}});
    const Tensor x({0, 1, 1, 0, 1, 1, 0, 0}, Shape{4, 2}), y({1, 1, 2, 0}, Shape{4, 1});
    const History fitted = model.fit(x, y, {.batch_size = 2, .epochs = 3, .verbose = 0,
                                            .callbacks = {std::make_shared<CSVLogger>(path)}});
    const History read = read_csv_log(path);
    CHECK(read.epochs == fitted.epochs);
    REQUIRE(read.history.size() == fitted.history.size());
    for (const auto& [key, values] : fitted.history) {
        CAPTURE(key);
        REQUIRE(read.history.count(key) == 1);
        // CSVLogger writes Python's repr(), the shortest text that reads back as the same double.
        CHECK(read.history.at(key) == values);
    }
}

TEST_CASE("read_csv_log: quoted fields, NA, CRLF rows and a custom separator") {
    TempDir dir;
    const std::string path = dir.path("log.csv");
    std::ofstream(path, std::ios::binary) << "epoch;\"a;b\";loss\r\n0;1.5;NA\r\n1;\"2\";0.25\r\n";
    const History h = read_csv_log(path, ';');
    CHECK(h.epochs == std::vector<int>{0, 1});
    CHECK(h["a;b"] == std::vector<double>{1.5, 2});
    CHECK(std::isnan(h["loss"][0]));
    CHECK(h["loss"][1] == 0.25);
}

TEST_CASE("read_csv_log: damaged files are errors naming the file and the line") {
    TempDir dir;
    const auto write = [&](const std::string& text) {
        const std::string path = dir.path("bad.csv");
        std::ofstream(path, std::ios::binary) << text;
        return path;
    };
    CHECK_THROWS_WITH_AS(read_csv_log(write("epoch,loss\n0,1\n1\n")), doctest::Contains("line 3: 1 fields, the header has 2"), ValueError);
    CHECK_THROWS_WITH_AS(read_csv_log(write("epoch,loss\n0,abc\n")), doctest::Contains("'abc' is not a number"), ValueError);
    CHECK_THROWS_WITH_AS(read_csv_log(write("loss,epoch\n")), doctest::Contains("must start with 'epoch'"), ValueError);
    CHECK_THROWS_WITH_AS(read_csv_log(write("epoch,loss\n-1,2\n")), doctest::Contains("not a whole number"), ValueError);
    CHECK_THROWS_WITH_AS(read_csv_log(write("epoch,loss\n1e300,2\n")), doctest::Contains("not a whole number"), ValueError);
    CHECK_THROWS_WITH_AS(read_csv_log(write("epoch,\"loss\n")), doctest::Contains("not closed"), ValueError);
    CHECK_THROWS_WITH_AS(read_csv_log(write("")), doctest::Contains("no header"), ValueError);
    CHECK_THROWS_WITH_AS(read_csv_log(dir.path("missing.csv")), doctest::Contains("missing.csv"), IOError);
}
