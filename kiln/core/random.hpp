// Rng: the seeded random source behind every random tensor, initializer, dropout mask and shuffle in kiln.
// Built on std::mt19937_64 (whose sequence the C++ standard fixes) with kiln's own conversions to float, so
// the same seed gives the same numbers with every compiler and standard library.
#pragma once

#include <cstdint>
#include <random>

namespace kiln {

class Rng {
public:
    explicit Rng(uint64_t seed) : engine_(seed) {}

    uint64_t next_u64() { return engine_(); }
    // Uniform in [0, 1) with 24 random bits.
    float uniform() { return static_cast<float>(engine_() >> 40) * 0x1.0p-24f; }
    // Uniform in [lo, hi).
    float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
    // Standard normal (Box-Muller in double precision).
    float normal();
    // Uniform integer in [0, n); n must be > 0.
    int64_t below(int64_t n);

private:
    std::mt19937_64 engine_;
    bool has_spare_ = false;
    double spare_ = 0.0;
};

// Reseeds the process-wide generator that hands out seeds to unseeded random initializers (and later dropout and
// shuffling), as keras.utils.set_random_seed: after it, the same sequence of unseeded calls gives the same values.
void set_random_seed(uint64_t seed);
// The next seed from the process-wide generator (thread-safe); non-deterministic until set_random_seed is called.
uint64_t next_random_seed();

}  // namespace kiln
