// The libFuzzer entry point of one target, chosen at compile time (KILN_FUZZ_TARGET, see CMakeLists.txt).
#include <cstddef>
#include <cstdint>

#include <kiln/kiln.hpp>

#include "fuzz/targets.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    kiln::set_max_variable_elements(kiln::fuzz::kFuzzMaxVariableElements);
    kiln::set_num_threads(1);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const kiln::fuzz::Target& target = kiln::fuzz::target(KILN_FUZZ_TARGET);
    (void)target.run({data, size});
    return 0;
}
