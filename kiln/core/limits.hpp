// How large a tensor may be when its size comes from somewhere kiln does not control (a config, a weights file, an
// .npy or IDX file), so that a damaged or hostile file fails with a MemoryError instead of asking the machine for
// more memory than it has.
#pragma once

#include <cstdint>
#include <string>

namespace kiln {

// The most elements one layer variable may have, and one tensor a loader allocates (default 2^31, 8 GiB of
// float32). Layer::add_weight refuses larger variables with a MemoryError naming the layer, the weight and its
// shape. Raise it with set_max_variable_elements for genuinely larger weights; ValueError unless n > 0.
int64_t max_variable_elements();
void set_max_variable_elements(int64_t n);

namespace detail {

// While alive, every tensor storage the calling thread allocates is refused with a MemoryError naming `what`
// when it holds more than max_variable_elements() floats. Public loaders hold one while they read a file, since
// every size they allocate then is one the file chose. Nested guards keep the innermost's name.
class LoadingBudget {
public:
    explicit LoadingBudget(std::string what);
    ~LoadingBudget();
    LoadingBudget(const LoadingBudget&) = delete;
    LoadingBudget& operator=(const LoadingBudget&) = delete;

    // Throws MemoryError when a loading budget is active on this thread and `floats` exceeds it.
    static void check(int64_t floats);

private:
    std::string what_;
    const LoadingBudget* outer_;
};

}  // namespace detail
}  // namespace kiln
