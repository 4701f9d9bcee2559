#include "kiln/core/blas_kernel.hpp"

#include <cblas.h>

#include <array>
#include <cstdlib>
#include <string_view>

// OpenBLAS's runtime kernel selection (exported by its DYNAMIC_ARCH builds, which Debian's are): quit drops
// the current choice, init chooses again and reads OPENBLAS_CORETYPE.
extern "C" void gotoblas_dynamic_init(void);
extern "C" void gotoblas_dynamic_quit(void);

namespace kiln {
namespace {

bool one_of(std::string_view name, const auto& names) {
    for (std::string_view n : names)
        if (n == name) return true;
    return false;
}

// OpenBLAS 0.3.21's families that use AVX-512, and those that use AVX2 + FMA but not AVX-512.
constexpr std::array<std::string_view, 3> kAvx512Families{"SkylakeX", "Cooperlake", "SapphireRapids"};
constexpr std::array<std::string_view, 2> kAvx2Families{"Haswell", "Zen"};

// A kernel family for this processor's features, or nullptr when OpenBLAS's own choice should stand. An
// unknown processor gets the SSE3 "Prescott" kernels; a newer AMD one (Zen 4/5, AVX-512) gets the AVX2
// "Haswell" ones, measured at 90-100 GFLOP/s against SkylakeX's 167 on one Zen 5 core.
const char* better_kernel_for_this_processor() {
    if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return nullptr;  // the user's choice
    const std::string_view current = openblas_get_corename();
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        return one_of(current, kAvx512Families) ? nullptr : "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return one_of(current, kAvx2Families) ? nullptr : "Haswell";
    return nullptr;
}

// Runs when libkiln loads: OpenBLAS, a dependency, is initialized by then, and no BLAS call has been made.
// OpenBLAS runs single-threaded: kiln's gemm spreads products over TBB threads (kiln/core/threads.hpp).
const bool kernel_selected = [] {
    openblas_set_num_threads(1);
    const char* kernel = better_kernel_for_this_processor();
    if (kernel == nullptr) return false;
    // Set only for the re-selection and removed afterwards, so child processes choose for themselves.
    setenv("OPENBLAS_CORETYPE", kernel, 1);
    gotoblas_dynamic_quit();
    gotoblas_dynamic_init();
    unsetenv("OPENBLAS_CORETYPE");
    return true;
}();

}  // namespace

std::string blas_kernel_name() { return openblas_get_corename(); }

}  // namespace kiln
