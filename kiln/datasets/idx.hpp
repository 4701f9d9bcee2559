// Reading IDX files, the format of MNIST and Fashion-MNIST: a big-endian header (two zero bytes, a type code, the
// number of dimensions, then each dimension as a 32-bit unsigned integer) followed by the data in row-major order.
// Files may be plain or gzip-compressed (recognized by the gzip magic, not by the name).
#pragma once

#include <string>

#include "kiln/core/tensor.hpp"

namespace kiln::datasets {

// The contents of the IDX file at `path` as a float tensor of the file's shape holding the raw byte values
// (0..255). Only type code 0x08 (unsigned byte) is supported: the other IDX types raise NotImplementedError. A
// missing or unreadable file raises Error; bad magic, an unknown type code, a truncated or corrupt file, or data
// that does not fill the dimensions exactly raise ValueError; every message names the file and the problem.
Tensor read_idx(const std::string& path);

}  // namespace kiln::datasets
