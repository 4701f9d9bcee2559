// What the examples share: each states its claims with expect(), which prints "ok" or "FAIL" before the claim,
// and main() returns exit_status() so that ctest (and a reader) sees whether every claim held.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include <kiln/kiln.hpp>

namespace examples {

inline int& failures() {
    static int count = 0;
    return count;
}

inline void expect(bool ok, const std::string& claim) {
    std::printf("  %s %s\n", ok ? "ok  " : "FAIL", claim.c_str());
    if (!ok) ++failures();
}

inline int exit_status() { return failures() == 0 ? 0 : 1; }

// Whether two lists of tensors (weights, say) are equal element for element.
inline bool same(const std::vector<kiln::Tensor>& a, const std::vector<kiln::Tensor>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (!kiln::allclose(a[i], b[i], 0.0f, 0.0f)) return false;
    return true;
}

}  // namespace examples
