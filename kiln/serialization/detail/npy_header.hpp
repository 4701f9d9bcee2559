// Internal: the header of a .npy file, a Python dict literal such as
// "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", parsed and written without a Python parser.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::serialization::detail {

struct NpyHeader {
    std::string descr;           // the dtype, e.g. "<f4"
    bool fortran_order = false;  // column-major data
    std::vector<int64_t> shape;  // () for a scalar
};

// Parses the dict: exactly the keys descr (a string), fortran_order (True/False) and shape (a tuple of ints >= 0,
// Python 2's 3L accepted), in any order, with only whitespace after it. Throws IOError naming `source` and what
// is wrong; a structured dtype (a list as descr) is NotImplementedError.
NpyHeader parse_npy_header(std::string_view text, const std::string& source);

// The dict as NumPy writes it, without padding or the final newline.
std::string format_npy_header(const NpyHeader& header);

}  // namespace kiln::serialization::detail
