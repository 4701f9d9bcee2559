// Which OpenBLAS kernel family kiln's matrix work runs on. OpenBLAS picks its kernels from the processor's
// model number; a processor newer than the OpenBLAS build (Debian 12 ships 0.3.21) falls back to the generic
// SSE3 "Prescott" kernels, about half the speed of the AVX-512 ones on the same core. When that happens and the
// user has not chosen a kernel with OPENBLAS_CORETYPE, kiln selects the family the processor's features
// support (SkylakeX for AVX-512, Haswell for AVX2 + FMA) as the library loads, before any BLAS call.
#pragma once

#include <string>

namespace kiln {

// The OpenBLAS kernel family in use, e.g. "SkylakeX" or "Haswell".
std::string blas_kernel_name();

}  // namespace kiln
