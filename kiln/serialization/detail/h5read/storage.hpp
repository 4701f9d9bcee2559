// A dataset's stored values: compact, contiguous or chunked (version 1 B-tree or a single chunk), with the
// deflate, shuffle and Fletcher-32 filters h5py and libhdf5 apply, converted to float32.
#pragma once

#include <vector>

#include "kiln/serialization/detail/h5read/format.hpp"

namespace kiln::serialization::detail::h5read {

struct DatasetLayout {
    Datatype type;
    Dataspace space;
    Layout layout;
    std::vector<Filter> filters;
};

// IOError through `where` unless the file holds every byte a compact or contiguous dataset's elements need, so
// that no memory is set aside for values the file cannot contain. (Chunked datasets are checked chunk by chunk.)
void check_stored_size(const FileBytes& file, const DatasetLayout& dataset, const Cursor& where);

// Fills `out` (space.count() floats) with the dataset's values; `where` names the dataset in errors. Elements no
// chunk holds keep HDF5's default fill value, 0.
void read_numbers(const FileBytes& file, const DatasetLayout& dataset, float* out, const Cursor& where);

}  // namespace kiln::serialization::detail::h5read
