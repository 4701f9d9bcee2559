// Internal: where Tensor storage comes from. Large buffers are kept for reuse when their tensors die, since a
// training step frees and asks again for the same sizes every step: the C library returns buffers above its
// mmap threshold to the kernel at once, and each new one then page-faults on first touch (perf showed the
// page-fault handler at ~10% of a BatchNormalization forward+backward). Small buffers go to malloc directly.
#pragma once

#include <cstdint>
#include <memory>

namespace kiln::detail {

// 64-byte aligned, uninitialized storage for n floats (n >= 0; never a null pointer). MemoryError, before
// allocating, when n floats need more bytes than the machine's physical memory (with Linux's overcommit such a
// request would "succeed" and the process be killed on first touch), and when the allocation itself fails.
std::shared_ptr<float[]> allocate_floats(int64_t n);

// Bytes currently held for reuse (not owned by any tensor), and the most the pool keeps.
int64_t pooled_bytes();
inline constexpr int64_t kMaxPooledBytes = int64_t{1} << 30;

// Returns every pooled buffer to the system.
void release_pooled_storage();

}  // namespace kiln::detail
