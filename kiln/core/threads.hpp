// The one owner of kiln's threads: oneTBB runs every parallel kernel, matrix products included (each a set of
// fixed blocks, one single-threaded OpenBLAS call per block), so results do not depend on the thread count and
// the two libraries' pools never compete. OpenBLAS itself is kept at one thread. Default: the machine's cores.
#pragma once

namespace kiln {

// Uses at most n threads (n >= 1) from now on; throws ValueError otherwise.
void set_num_threads(int n);
// The current limit.
int get_num_threads();

}  // namespace kiln
