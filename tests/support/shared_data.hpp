// Where the tests find ../shared (the CI and developer machines have it beside the checkout).
#pragma once

#include <cstdlib>
#include <string>

namespace kiln::testing {

// KILN_SHARED_DIR from the environment, else the path configured at build time.
inline std::string shared_dir() {
    if (const char* env = std::getenv("KILN_SHARED_DIR")) return env;
    return KILN_SHARED_DIR;
}

}  // namespace kiln::testing
