// write_file_atomically: the new content replaces the old in one step; a failing write, a missing temporary file
// or a failing rename leaves the old file as it was and no temporary file behind.
#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include <kiln/kiln.hpp>

#include "support/temp_dir.hpp"

using namespace kiln;
using kiln::serialization::write_file_atomically;
using kiln::testing::TempDir;

namespace {

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_text(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

}  // namespace

TEST_CASE("write_file_atomically: creates or replaces the file from a temporary beside it") {
    const TempDir dir;
    const std::string path = dir.path("model.bin");
    std::string temp_seen;
    write_file_atomically(path, [&](const std::string& temp) {
        temp_seen = temp;
        write_text(temp, "first");
    });
    CHECK(read_text(path) == "first");
    CHECK(std::filesystem::path(temp_seen).parent_path() == std::filesystem::path(path).parent_path());
    CHECK(temp_seen != path);
    write_file_atomically(path, [](const std::string& temp) { write_text(temp, "second"); });
    CHECK(read_text(path) == "second");
    CHECK(dir.files() == std::vector<std::string>{"model.bin"});
}

TEST_CASE("write_file_atomically: a write that throws leaves the old file intact and no temporary file") {
    const TempDir dir;
    const std::string path = dir.write("weights.h5", {'o', 'l', 'd'});
    auto half_written = [](const std::string& temp) {
        write_text(temp, "partial");
        throw std::runtime_error("disk on fire");
    };
    CHECK_THROWS_WITH_AS(write_file_atomically(path, half_written), "disk on fire", std::runtime_error);
    CHECK(read_text(path) == "old");
    CHECK(dir.files() == std::vector<std::string>{"weights.h5"});

    // A callback that never creates the temporary file.
    const std::string not_created = cat("write_file_atomically: '", path, "': the temporary file '");
    CHECK_THROWS_WITH_AS(write_file_atomically(path, [](const std::string&) {}), doctest::Contains(not_created.c_str()),
                         IOError);
    CHECK(read_text(path) == "old");
    CHECK(dir.files() == std::vector<std::string>{"weights.h5"});
}

TEST_CASE("write_file_atomically: a rename that fails removes the temporary file") {
    const TempDir dir;
    // A non-empty directory cannot be replaced by a file.
    const std::string path = dir.path("taken");
    std::filesystem::create_directories(path + "/inside");
    const std::string cannot_move = cat("' to '", path, "': ");
    CHECK_THROWS_WITH_AS(write_file_atomically(path, [](const std::string& temp) { write_text(temp, "x"); }),
                         doctest::Contains(cannot_move.c_str()), IOError);
    CHECK(dir.files() == std::vector<std::string>{"taken"});
}
