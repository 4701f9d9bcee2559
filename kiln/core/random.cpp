#include "kiln/core/random.hpp"

#include <cmath>
#include <mutex>
#include <numbers>

#include "kiln/core/errors.hpp"

namespace kiln {

namespace {

// The process-wide seed source behind set_random_seed/next_random_seed.
struct GlobalSeeds {
    std::mutex mutex;
    Rng rng{(static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}()};
};

GlobalSeeds& global_seeds() {
    static GlobalSeeds seeds;
    return seeds;
}

}  // namespace

void set_random_seed(uint64_t seed) {
    GlobalSeeds& g = global_seeds();
    const std::lock_guard lock(g.mutex);
    g.rng = Rng(seed);
}

uint64_t next_random_seed() {
    GlobalSeeds& g = global_seeds();
    const std::lock_guard lock(g.mutex);
    return g.rng.next_u64();
}

float Rng::normal() {
    if (has_spare_) {
        has_spare_ = false;
        return static_cast<float>(spare_);
    }
    // u1 in (0, 1] so that log(u1) is finite.
    const double u1 = (static_cast<double>(engine_() >> 11) + 1.0) * 0x1.0p-53;
    const double u2 = static_cast<double>(engine_() >> 11) * 0x1.0p-53;
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 2.0 * std::numbers::pi * u2;
    spare_ = radius * std::sin(angle);
    has_spare_ = true;
    return static_cast<float>(radius * std::cos(angle));
}

int64_t Rng::below(int64_t n) {
    if (n <= 0) throw ValueError(cat("Rng::below: n must be positive, got ", n));
    // Rejection sampling keeps the result unbiased for every n.
    const uint64_t range = static_cast<uint64_t>(n);
    const uint64_t limit = UINT64_MAX - UINT64_MAX % range;
    uint64_t r;
    do r = engine_();
    while (r >= limit);
    return static_cast<int64_t>(r % range);
}

}  // namespace kiln
