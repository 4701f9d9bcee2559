// Internal: the elementwise loop every update rule runs over a variable's raw data (parallel above a grain size,
// never recorded on a tape).
#pragma once

#include <cstdint>

#include "kiln/core/detail/parallel.hpp"

namespace kiln::optim::detail {

// Calls f(i) for every i in [0, n).
template <class F>
void for_each_element(int64_t n, F f) {
    kiln::detail::parallel_for(n, kiln::detail::kElementwiseGrain, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) f(i);
    });
}

}  // namespace kiln::optim::detail
