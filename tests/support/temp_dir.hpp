// TempDir: a fresh directory for tests that read and write files, removed with everything in it at scope exit.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <kiln/core/errors.hpp>

namespace kiln::testing {

class TempDir {
public:
    TempDir() {
        static std::atomic<int> counter{0};
        path_ = std::filesystem::temp_directory_path() / cat("kiln_test_", ::getpid(), "_", counter++);
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    // The directory itself.
    std::string root() const { return path_.string(); }
    // The path of the file `name` in this directory (which need not exist).
    std::string path(const std::string& name) const { return (path_ / name).string(); }
    // Writes `bytes` to the file `name` in this directory and returns its path.
    std::string write(const std::string& name, const std::vector<uint8_t>& bytes) const {
        const std::string file = path(name);
        std::ofstream out(file, std::ios::binary);
        out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        if (!out.good()) throw IOError(cat("TempDir::write: cannot write '", file, "'"));
        return file;
    }
    // The names of the files in this directory, sorted.
    std::vector<std::string> files() const {
        std::vector<std::string> names;
        for (const auto& entry : std::filesystem::directory_iterator(path_)) names.push_back(entry.path().filename());
        std::sort(names.begin(), names.end());
        return names;
    }

private:
    std::filesystem::path path_;
};

}  // namespace kiln::testing
