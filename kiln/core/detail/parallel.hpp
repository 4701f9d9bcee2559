// Internal: the parallel loops kiln's kernels use. Work below the grain runs serially on the calling thread;
// above it, oneTBB splits [0, n) into ranges of at least `grain` items. Never call OpenBLAS inside `body`.
#pragma once

#include <cstdint>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

namespace kiln::detail {

// Items per task for cheap elementwise work.
inline constexpr int64_t kElementwiseGrain = 1 << 15;

// Calls body(begin, end) over disjoint ranges covering [0, n).
template <class Body>
void parallel_for(int64_t n, int64_t grain, Body&& body) {
    if (n <= 0) return;
    if (n <= grain) {
        body(int64_t{0}, n);
        return;
    }
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, n, static_cast<size_t>(grain)),
                      [&](const tbb::blocked_range<int64_t>& r) { body(r.begin(), r.end()); });
}

// Grain for loops whose items each cost about `cost_per_item` elementwise operations.
inline int64_t grain_for_cost(int64_t cost_per_item) {
    return cost_per_item >= kElementwiseGrain ? 1 : kElementwiseGrain / (cost_per_item > 0 ? cost_per_item : 1);
}

}  // namespace kiln::detail
