// Test support: Keras-style HDF5 files built with the HDF5 C API directly (independent of kiln's wrapper), in the
// format Keras writes (the library's default "earliest" format), with TempDir (support/temp_dir.hpp) for scratch folders.
#pragma once

#include "support/temp_dir.hpp"

#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace kiln::testing {

namespace raw {

// An HDF5 file, group or dataset identifier closed at scope end.
struct Obj {
    hid_t id;
    explicit Obj(hid_t i) : id(i) {
        if (id < 0) throw std::runtime_error("raw HDF5 call failed");
    }
    Obj(const Obj&) = delete;
    Obj& operator=(const Obj&) = delete;
    ~Obj() {
        if (H5Iget_type(id) == H5I_FILE)
            H5Fclose(id);
        else
            H5Oclose(id);
    }
    operator hid_t() const { return id; }
};

inline void check(herr_t status) {
    if (status < 0) throw std::runtime_error("raw HDF5 call failed");
}

inline hid_t create_file(const std::string& path) {
    return H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
}

// Creates the intermediate groups of a path, as h5py does for names holding '/'.
inline hid_t intermediate() {
    static const hid_t lcpl = [] {
        const hid_t p = H5Pcreate(H5P_LINK_CREATE);
        H5Pset_create_intermediate_group(p, 1);
        return p;
    }();
    return lcpl;
}

inline hid_t group(hid_t parent, const std::string& path) {
    return H5Gcreate2(parent, path.c_str(), intermediate(), H5P_DEFAULT, H5P_DEFAULT);
}

// A dataset of `values` with `dims` (empty: scalar), stored as `file_type` from doubles.
inline void dataset(hid_t parent, const std::string& path, const std::vector<hsize_t>& dims,
                    const std::vector<double>& values, hid_t file_type = H5T_IEEE_F32LE) {
    const hid_t space = dims.empty() ? H5Screate(H5S_SCALAR)
                                     : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    const Obj d(H5Dcreate2(parent, path.c_str(), file_type, space, intermediate(), H5P_DEFAULT, H5P_DEFAULT));
    H5Sclose(space);
    if (!values.empty()) check(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()));
}

// A dataset of `n` fixed-length strings of `width` bytes (left empty): a dataset that holds no numbers.
inline void string_dataset(hid_t parent, const std::string& path, size_t width, hsize_t n) {
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, width);
    const hid_t space = H5Screate_simple(1, &n, nullptr);
    const Obj d(H5Dcreate2(parent, path.c_str(), type, space, intermediate(), H5P_DEFAULT, H5P_DEFAULT));
    H5Sclose(space);
    H5Tclose(type);
}

inline void write_attribute(hid_t object, const std::string& name, hid_t type, hid_t space, const void* data) {
    const hid_t a = H5Acreate2(object, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT);
    check(a);
    if (data) check(H5Awrite(a, type, data));
    H5Aclose(a);
}

inline hid_t string_space(size_t n, bool scalar) {
    const hsize_t dims[1] = {n};
    return scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, dims, nullptr);
}

// Variable-length strings (ASCII as bytes, or UTF-8 as str in h5py), a 1-D array or a scalar (one string).
inline void vlen_strings(hid_t object, const std::string& name, const std::vector<std::string>& strings,
                         bool utf8 = false, bool scalar = false) {
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, utf8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII);
    std::vector<const char*> pointers;
    for (const std::string& s : strings) pointers.push_back(s.c_str());
    const hid_t space = string_space(strings.size(), scalar);
    write_attribute(object, name, type, space, pointers.data());
    H5Sclose(space);
    H5Tclose(type);
}

// Fixed-length strings of `width` bytes (NumPy's S<width>: NULL-padded, or `pad` as given).
inline void fixed_strings(hid_t object, const std::string& name, const std::vector<std::string>& strings,
                          size_t width, H5T_str_t pad = H5T_STR_NULLPAD, bool scalar = false) {
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, width);
    H5Tset_strpad(type, pad);
    std::string bytes(width * strings.size(), pad == H5T_STR_SPACEPAD ? ' ' : '\0');
    for (size_t i = 0; i < strings.size(); ++i) bytes.replace(i * width, strings[i].size(), strings[i]);
    const hid_t space = string_space(strings.size(), scalar);
    write_attribute(object, name, type, space, bytes.data());
    H5Sclose(space);
    H5Tclose(type);
}

// The zero-length float64 array h5py writes for np.asarray([]) (Keras's weight_names of a layer without weights).
inline void empty_float64(hid_t object, const std::string& name) {
    const hsize_t dims[1] = {0};
    const hid_t space = H5Screate_simple(1, dims, nullptr);
    write_attribute(object, name, H5T_IEEE_F64LE, space, nullptr);
    H5Sclose(space);
}

// Paths of every object below the root ("layers/dense/vars/0"), groups marked with a trailing '/'.
inline std::vector<std::string> object_paths(hid_t file) {
    std::vector<std::string> paths;
    auto visit = [](hid_t, const char* name, const H5O_info_t* info, void* out) -> herr_t {
        if (std::string(name) != ".")
            static_cast<std::vector<std::string>*>(out)->push_back(std::string(name) +
                                                                   (info->type == H5O_TYPE_GROUP ? "/" : ""));
        return 0;
    };
    check(H5Ovisit(file, H5_INDEX_NAME, H5_ITER_INC, visit, &paths));
    return paths;
}

// A scalar variable-length string attribute of the object at `path`.
inline std::string string_attribute(hid_t file, const std::string& path, const std::string& name) {
    const hid_t a = H5Aopen_by_name(file, path.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT);
    check(a);
    const hid_t stored = H5Aget_type(a);
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5Tget_cset(stored));  // HDF5 does not convert between ASCII and UTF-8
    H5Tclose(stored);
    char* text = nullptr;
    check(H5Aread(a, type, &text));
    std::string value = text ? text : "";
    H5free_memory(text);
    H5Tclose(type);
    H5Aclose(a);
    return value;
}

// The element type of the dataset at `path` compared with `type` (H5Tequal).
inline bool dataset_type_is(hid_t file, const std::string& path, hid_t type) {
    const Obj d(H5Dopen2(file, path.c_str(), H5P_DEFAULT));
    const hid_t t = H5Dget_type(d);
    const bool same = H5Tequal(t, type) > 0;
    H5Tclose(t);
    return same;
}

// The values of the dataset at `path` as doubles.
inline std::vector<double> read_values(hid_t file, const std::string& path) {
    const Obj d(H5Dopen2(file, path.c_str(), H5P_DEFAULT));
    const hid_t space = H5Dget_space(d);
    std::vector<double> values(static_cast<size_t>(H5Sget_simple_extent_npoints(space)));
    H5Sclose(space);
    check(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()));
    return values;
}

}  // namespace raw
}  // namespace kiln::testing
