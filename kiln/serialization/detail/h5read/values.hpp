// Element values: numbers of any HDF5 integer or IEEE float layout converted to float32, and strings (fixed-length
// or variable-length through the global heap).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/serialization/detail/h5read/format.hpp"

namespace kiln::serialization::detail::h5read {

// True for the types convert_numbers() reads: integers of 1, 2, 4 or 8 bytes and IEEE floats of 2, 4 or 8 bytes,
// either byte order, with no padding bits.
bool is_number_type(const Datatype& type);

// Converts `data` (whole elements of `type`, which must pass is_number_type) to float32 values in `out`.
void convert_numbers(const Datatype& type, std::string_view data, float* out);

// The `count` strings of `type` held in `data`; IOError through `where` for other types or damaged data.
std::vector<std::string> decode_strings(const Datatype& type, std::string_view data, uint64_t count,
                                        GlobalHeap& heap, const Cursor& where);

}  // namespace kiln::serialization::detail::h5read
