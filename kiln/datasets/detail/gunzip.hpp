// Inflating gzip data in memory with zlib, for the gzip'd IDX files that dataset packages ship.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace kiln::datasets::detail {

// True when `bytes` start with the gzip magic 1f 8b.
bool is_gzip(std::span<const uint8_t> bytes);

// The inflated contents of the gzip stream `bytes` (concatenated members are joined, as gzip -d does). A truncated
// or corrupt stream raises ValueError whose message starts with `what` (e.g. the file name) and says what is wrong;
// a stream that inflates to more than `max_size` bytes raises MemoryError (a small file can inflate a thousandfold).
std::vector<uint8_t> gunzip(std::span<const uint8_t> bytes, const std::string& what, size_t max_size);

}  // namespace kiln::datasets::detail
