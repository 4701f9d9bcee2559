#include "kiln/core/blas_kernel.hpp"

#include <cblas.h>

#include <cstdlib>
#include <string_view>

// OpenBLAS's runtime kernel selection (exported by its DYNAMIC_ARCH builds, which Debian's are): quit drops
// the current choice, init chooses again and reads OPENBLAS_CORETYPE.
extern "C" void gotoblas_dynamic_init(void);
extern "C" void gotoblas_dynamic_quit(void);

namespace kiln {
namespace {

// A kernel family for this processor's features, or nullptr when OpenBLAS's own choice should stand.
const char* better_kernel_for_this_processor() {
    if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return nullptr;  // the user's choice
    if (std::string_view(openblas_get_corename()) != "Prescott") return nullptr;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
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
