// NumPy .npy files, so that arrays move between kiln and Python (np.save / np.load).
// Reading accepts format versions 1.0, 2.0 and 3.0, C or Fortran order, and the dtypes float32 ('<f4'), float64
// ('<f8'), int64 ('<i8'), int32 ('<i4') and uint8 ('|u1'), converted to float32 (integers beyond 2^24 round).
// Writing produces version 1.0 (2.0 when the header is too long for 1.0, as NumPy does), '<f4', C order.
// Big-endian and other dtypes raise NotImplementedError; a file that is not a valid .npy raises IOError naming
// the file and what is wrong.
#pragma once

#include <string>
#include <string_view>

#include "kiln/core/tensor.hpp"

namespace kiln::serialization {

// The array in a .npy file as a float32 tensor of its shape.
Tensor load_npy(const std::string& path);
// Writes `tensor` as a .npy file, atomically (see atomic_file.hpp): the old file stays intact on failure.
void save_npy(const std::string& path, const Tensor& tensor);

// The same for .npy content in memory (as inside an .npz archive); `source` names it in errors.
Tensor npy_from_bytes(std::string_view bytes, const std::string& source);
std::string npy_to_bytes(const Tensor& tensor);

}  // namespace kiln::serialization
