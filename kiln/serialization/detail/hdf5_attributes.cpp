// HDF5 attributes: the string forms Keras files hold (fixed-length or variable-length, ASCII or UTF-8, scalar or
// 1-D, the empty float64 array, chunked name0/name1/...) and the variable-length UTF-8 strings kiln writes.
#include "kiln/core/errors.hpp"
#include "kiln/serialization/detail/hdf5.hpp"

namespace kiln::serialization::detail::h5 {
namespace {

// More strings than any layer or weight list holds: a larger count means a damaged file.
constexpr hssize_t max_strings = hssize_t{1} << 24;
constexpr size_t max_string_bytes = size_t{1} << 30;

// One fixed-length string: up to the first NUL, or without trailing spaces for space-padded strings.
std::string trimmed(const char* data, size_t size, H5T_str_t padding) {
    std::string text(data, size);
    if (padding == H5T_STR_SPACEPAD) {
        text.erase(text.find_last_not_of(' ') + 1);
    } else if (const size_t nul = text.find('\0'); nul != std::string::npos) {
        text.resize(nul);
    }
    return text;
}

// Frees the strings HDF5 allocated for a variable-length read, also when copying them throws.
struct VlenBuffer {
    hid_t type;
    hid_t space;
    std::vector<char*> pointers;
    ~VlenBuffer() { H5Dvlen_reclaim(type, space, H5P_DEFAULT, pointers.data()); }
};

}  // namespace

bool Object::has_attribute(const std::string& name) const {
    const htri_t exists = H5Aexists(id(), name.c_str());
    if (exists < 0) fail(cat("cannot look up the attribute '", name, "'"));
    return exists > 0;
}

std::vector<std::string> Object::read_strings(const std::string& name) const {
    const Id attribute(H5Aopen(id(), name.c_str(), H5P_DEFAULT), H5Aclose);
    if (attribute.get() < 0) fail(cat("cannot open the attribute '", name, "'"));
    const Id type(H5Aget_type(attribute.get()), H5Tclose);
    const Id space(H5Aget_space(attribute.get()), H5Sclose);
    if (type.get() < 0 || space.get() < 0) fail(cat("cannot read the type of the attribute '", name, "'"));
    const H5S_class_t space_class = H5Sget_simple_extent_type(space.get());
    if (space_class == H5S_NULL) return {};
    const int rank = H5Sget_simple_extent_ndims(space.get());
    const hssize_t count = H5Sget_simple_extent_npoints(space.get());
    if (rank < 0 || rank > 1 || count < 0 || count > max_strings)
        fail(cat("the attribute '", name, "' is not a scalar or a list (rank ", rank, ", ", count, " elements)"));
    const H5T_class_t type_class = H5Tget_class(type.get());
    if ((type_class == H5T_FLOAT || type_class == H5T_INTEGER) && count == 0) return {};
    if (type_class != H5T_STRING) fail(cat("the attribute '", name, "' does not hold strings"));

    const auto n = static_cast<size_t>(count);
    std::vector<std::string> strings;
    strings.reserve(n);
    const htri_t variable = H5Tis_variable_str(type.get());
    if (variable < 0) fail(cat("cannot read the string type of the attribute '", name, "'"));
    if (variable > 0) {
        const Id memory(H5Tcopy(H5T_C_S1), H5Tclose);
        if (memory.get() < 0 || H5Tset_size(memory.get(), H5T_VARIABLE) < 0 ||
            H5Tset_cset(memory.get(), H5Tget_cset(type.get())) < 0)
            fail(cat("cannot describe the strings of the attribute '", name, "'"));
        VlenBuffer buffer{memory.get(), space.get(), std::vector<char*>(n, nullptr)};
        if (H5Aread(attribute.get(), memory.get(), buffer.pointers.data()) < 0)
            fail(cat("cannot read the attribute '", name, "'"));
        for (const char* text : buffer.pointers) strings.emplace_back(text ? text : "");
        return strings;
    }
    const size_t size = H5Tget_size(type.get());
    if (size == 0 || (n > 0 && size > max_string_bytes / n))
        fail(cat("the attribute '", name, "' has an impossible string size ", size));
    std::string bytes(size * n, '\0');
    if (n > 0 && H5Aread(attribute.get(), type.get(), bytes.data()) < 0)
        fail(cat("cannot read the attribute '", name, "'"));
    const H5T_str_t padding = H5Tget_strpad(type.get());
    for (size_t i = 0; i < n; ++i) strings.push_back(trimmed(bytes.data() + i * size, size, padding));
    return strings;
}

std::string Object::read_string(const std::string& name) const {
    std::vector<std::string> strings = read_strings(name);
    if (strings.size() != 1)
        fail(cat("the attribute '", name, "' should hold one string, it holds ", strings.size()));
    return std::move(strings.front());
}

std::optional<std::vector<std::string>> Object::read_chunked_strings(const std::string& name) const {
    if (has_attribute(name)) return read_strings(name);
    if (!has_attribute(cat(name, 0))) return std::nullopt;
    std::vector<std::string> strings;
    for (int chunk = 0; has_attribute(cat(name, chunk)); ++chunk)
        for (std::string& text : read_strings(cat(name, chunk))) strings.push_back(std::move(text));
    return strings;
}

void Object::write_string(const std::string& name, const std::string& value) const {
    const Id type(H5Tcopy(H5T_C_S1), H5Tclose);
    if (type.get() < 0 || H5Tset_size(type.get(), H5T_VARIABLE) < 0 || H5Tset_cset(type.get(), H5T_CSET_UTF8) < 0)
        fail(cat("cannot describe the attribute '", name, "'"));
    const Id space(H5Screate(H5S_SCALAR), H5Sclose);
    const Id attribute(H5Acreate2(id(), name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    if (space.get() < 0 || attribute.get() < 0) fail(cat("cannot create the attribute '", name, "'"));
    const char* text = value.c_str();
    if (H5Awrite(attribute.get(), type.get(), &text) < 0) fail(cat("cannot write the attribute '", name, "'"));
}

}  // namespace kiln::serialization::detail::h5
