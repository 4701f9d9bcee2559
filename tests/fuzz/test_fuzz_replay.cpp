// Replays the fuzz corpora through the fuzz targets on every test run: each seed (corpus/<target>/) must load,
// so that the fuzzer starts from files that reach deep into the loader, and each regression
// (regressions/<target>/: inputs that once crashed a loader, minimized) must load or be refused with a kiln::Error.
// Under the asan preset this also checks that none of them touches memory it should not.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "fuzz/targets.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path kFuzzDir = KILN_FUZZ_DIR;

std::vector<uint8_t> read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The files of `dir` (none when it does not exist), in name order so that failures read the same every run.
std::vector<fs::path> files_in(const fs::path& dir) {
    std::vector<fs::path> out;
    if (fs::is_directory(dir))
        for (const auto& entry : fs::directory_iterator(dir))
            if (entry.is_regular_file()) out.push_back(entry.path());
    std::sort(out.begin(), out.end());
    return out;
}

// The fuzzers' loading budget for the length of a test.
struct FuzzBudget {
    int64_t saved = kiln::max_variable_elements();
    FuzzBudget() { kiln::set_max_variable_elements(kiln::fuzz::kFuzzMaxVariableElements); }
    ~FuzzBudget() { kiln::set_max_variable_elements(saved); }
};

}  // namespace

TEST_CASE("fuzz corpus: every target has seeds, and every seed loads") {
    const FuzzBudget budget;
    for (const kiln::fuzz::Target& target : kiln::fuzz::targets()) {
        const std::vector<fs::path> seeds = files_in(kFuzzDir / "corpus" / target.name);
        CAPTURE(target.name);
        CHECK(seeds.size() >= 1);
        for (const fs::path& seed : seeds) {
            CAPTURE(seed.string());
            CHECK(target.run(read_file(seed)));
        }
    }
}

TEST_CASE("fuzz regressions: every input that once crashed a loader now loads or is a kiln::Error") {
    const FuzzBudget budget;
    size_t replayed = 0;
    for (const kiln::fuzz::Target& target : kiln::fuzz::targets()) {
        for (const fs::path& input : files_in(kFuzzDir / "regressions" / target.name)) {
            CAPTURE(input.string());
            CHECK_NOTHROW((void)target.run(read_file(input)));
            ++replayed;
        }
    }
    CHECK(replayed >= 1);
}
