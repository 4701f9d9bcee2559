// The one owner of kiln's threads. set_num_threads() sets oneTBB (kiln's elementwise, reduction and layer
// kernels) and OpenBLAS (matmul, convolution) together. kiln calls OpenBLAS only from outside TBB tasks, so
// the two pools never nest. Default: the machine's cores.
#pragma once

namespace kiln {

// Uses at most n threads (n >= 1) from now on; throws ValueError otherwise.
void set_num_threads(int n);
// The current limit.
int get_num_threads();

}  // namespace kiln
