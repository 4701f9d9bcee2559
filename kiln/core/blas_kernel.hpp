// Which OpenBLAS kernel family kiln's matrix work runs on. OpenBLAS picks its kernels from the processor's
// model number; a processor newer than the OpenBLAS build (Debian 12 ships 0.3.21) falls back to the generic
// SSE3 "Prescott" kernels (an unknown Intel one) or to the AVX2 "Haswell" ones (an AVX-512 AMD Zen 4/5), about
// half the speed of the AVX-512 ones on the same core. When the family in use is below what the processor's
// features support and the user has not chosen a kernel with OPENBLAS_CORETYPE, kiln selects SkylakeX for
// AVX-512, Haswell for AVX2 + FMA, as the library loads, before any BLAS call.
#pragma once

#include <string>

namespace kiln {

// The OpenBLAS kernel family in use, e.g. "SkylakeX" or "Haswell".
std::string blas_kernel_name();

}  // namespace kiln
