// The fuzz targets, one per loader kiln offers for files other people wrote. Each runs the loader on one input and
// says whether it loaded (true) or was refused with a kiln::Error (false); anything else (another exception, a
// crash, a sanitizer report) is a finding. libFuzzer drives them in the `fuzz` preset (fuzz_entry.cpp); the test
// suite replays the seed corpus and the regressions through the same functions (test_fuzz_replay.cpp).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace kiln::fuzz {

struct Target {
    std::string_view name;  // also the folder of its corpus and regressions
    bool (*run)(std::span<const uint8_t> input);
};

// config_json, keras_archive, weights_h5, legacy_h5, npy, idx.
std::span<const Target> targets();
// The target called `name`; std::invalid_argument when there is none.
const Target& target(std::string_view name);

// The loading budget while fuzzing: small enough that no input can push libFuzzer past its malloc limit.
inline constexpr int64_t kFuzzMaxVariableElements = int64_t{1} << 22;

}  // namespace kiln::fuzz
