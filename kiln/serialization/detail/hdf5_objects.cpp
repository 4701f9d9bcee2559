// HDF5 groups and datasets: finding children through hard links, listing datasets, creating groups, and reading
// and writing numeric datasets.
#include <exception>
#include <limits>

#include "kiln/core/errors.hpp"
#include "kiln/serialization/detail/hdf5.hpp"

namespace kiln::serialization::detail::h5 {
namespace {

std::vector<std::string> split_path(const std::string& relative) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= relative.size()) {
        const size_t slash = relative.find('/', start);
        const size_t end = slash == std::string::npos ? relative.size() : slash;
        parts.push_back(relative.substr(start, end - start));
        start = end + 1;
    }
    return parts;
}

// State of an HDF5 iteration callback: C++ exceptions must not cross the C library, so they wait here.
struct Listing {
    std::vector<std::string> names;
    bool datasets_only = false;
    std::exception_ptr error;
};

herr_t collect(hid_t group, const char* name, const H5L_info_t* info, void* data) {
    auto* listing = static_cast<Listing*>(data);
    try {
        if (listing->datasets_only) {
            if (info->type != H5L_TYPE_HARD) return 0;
            const hid_t object = H5Oopen(group, name, H5P_DEFAULT);
            if (object < 0) return -1;
            const bool dataset = H5Iget_type(object) == H5I_DATASET;
            H5Oclose(object);
            if (!dataset) return 0;
        }
        listing->names.emplace_back(name);
        return 0;
    } catch (...) {
        listing->error = std::current_exception();
        return -1;
    }
}

std::string type_name(hid_t type) {
    const size_t bits = H5Tget_size(type) * 8;
    switch (H5Tget_class(type)) {
        case H5T_FLOAT: return cat("float", bits);
        case H5T_INTEGER: return cat(H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int", bits);
        case H5T_STRING: return "string";
        case H5T_OPAQUE: return "opaque";
        case H5T_COMPOUND: return "compound";
        case H5T_ENUM: return "enum";
        case H5T_ARRAY: return "array";
        case H5T_VLEN: return "vlen";
        case H5T_REFERENCE: return "reference";
        case H5T_BITFIELD: return "bitfield";
        default: return "unknown";
    }
}

}  // namespace

std::string Group::child_path(const std::string& name) const {
    std::string child = path();
    if (child != "/") child += '/';
    child += name;
    return child;
}

Kind Group::kind(const std::string& name) const {
    if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") return Kind::missing;
    const htri_t exists = H5Lexists(id(), name.c_str(), H5P_DEFAULT);
    if (exists < 0) fail(cat("cannot look up '", name, "'"));
    if (exists == 0) return Kind::missing;
    H5L_info_t info;
    if (H5Lget_info(id(), name.c_str(), &info, H5P_DEFAULT) < 0) fail(cat("cannot read the link '", name, "'"));
    if (info.type != H5L_TYPE_HARD) return Kind::other;
    const hid_t object = H5Oopen(id(), name.c_str(), H5P_DEFAULT);
    if (object < 0) fail(cat("cannot open '", name, "'"));
    const H5I_type_t type = H5Iget_type(object);
    H5Oclose(object);
    if (type == H5I_GROUP) return Kind::group;
    if (type == H5I_DATASET) return Kind::dataset;
    return Kind::other;
}

std::vector<std::string> Group::children() const {
    Listing listing;
    hsize_t index = 0;
    const herr_t status = H5Literate(id(), H5_INDEX_NAME, H5_ITER_INC, &index, collect, &listing);
    if (listing.error) std::rethrow_exception(listing.error);
    if (status < 0) fail("cannot list the group");
    return listing.names;
}

std::optional<Group> Group::find_group(const std::string& relative) const {
    std::optional<Group> current;
    for (const std::string& part : split_path(relative)) {
        const Group& parent = current ? *current : *this;
        if (parent.kind(part) != Kind::group) return std::nullopt;
        const hid_t id = H5Gopen2(parent.id(), part.c_str(), H5P_DEFAULT);
        if (id < 0) parent.fail(cat("cannot open the group '", part, "'"));
        current = Group(Id(id, H5Gclose), file(), parent.child_path(part));
    }
    return current;
}

std::optional<Dataset> Group::find_dataset(const std::string& relative) const {
    const size_t slash = relative.rfind('/');
    std::optional<Group> parent_group;
    if (slash != std::string::npos) {
        parent_group = find_group(relative.substr(0, slash));
        if (!parent_group) return std::nullopt;
    }
    const Group& parent = parent_group ? *parent_group : *this;
    const std::string name = slash == std::string::npos ? relative : relative.substr(slash + 1);
    if (parent.kind(name) != Kind::dataset) return std::nullopt;
    const hid_t id = H5Dopen2(parent.id(), name.c_str(), H5P_DEFAULT);
    if (id < 0) parent.fail(cat("cannot open the dataset '", name, "'"));
    return Dataset(Id(id, H5Dclose), file(), parent.child_path(name));
}

Group Group::group(const std::string& relative) const {
    std::optional<Group> found = find_group(relative);
    if (!found) fail(cat("has no group '", relative, "'"));
    return std::move(*found);
}

std::vector<std::string> Group::dataset_paths() const {
    Listing listing;
    listing.datasets_only = true;
    const herr_t status = H5Lvisit(id(), H5_INDEX_NAME, H5_ITER_INC, collect, &listing);
    if (listing.error) std::rethrow_exception(listing.error);
    if (status < 0) fail("cannot walk the group");
    return listing.names;
}

Group Group::require_group(const std::string& relative) const {
    std::optional<Group> current;
    for (const std::string& part : split_path(relative)) {
        const Group& parent = current ? *current : *this;
        const Kind existing = parent.kind(part);
        if (existing != Kind::group && existing != Kind::missing)
            parent.fail(cat("cannot create the group '", part, "': the name is taken"));
        const hid_t id = existing == Kind::group
                             ? H5Gopen2(parent.id(), part.c_str(), H5P_DEFAULT)
                             : H5Gcreate2(parent.id(), part.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (id < 0) parent.fail(cat("cannot create the group '", part, "'"));
        current = Group(Id(id, H5Gclose), file(), parent.child_path(part));
    }
    if (!current) fail("require_group: empty path");
    return std::move(*current);
}

void Group::write_tensor(const std::string& name, const Tensor& value) const {
    std::vector<hsize_t> dims(value.shape().begin(), value.shape().end());
    const Id space(dims.empty() ? H5Screate(H5S_SCALAR)
                                : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                   H5Sclose);
    if (space.get() < 0) fail(cat("cannot describe the shape ", value.shape(), " of '", name, "'"));
    const Id dataset(H5Dcreate2(id(), name.c_str(), H5T_IEEE_F32LE, space.get(), H5P_DEFAULT, H5P_DEFAULT,
                                H5P_DEFAULT),
                     H5Dclose);
    if (dataset.get() < 0) fail(cat("cannot create the dataset '", name, "'"));
    if (value.size() > 0 &&
        H5Dwrite(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, value.data()) < 0)
        fail(cat("cannot write the dataset '", name, "'"));
}

void Group::write_int64(const std::string& name, int64_t value) const {
    const Id space(H5Screate(H5S_SCALAR), H5Sclose);
    const Id dataset(H5Dcreate2(id(), name.c_str(), H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT,
                                H5P_DEFAULT),
                     H5Dclose);
    if (space.get() < 0 || dataset.get() < 0) fail(cat("cannot create the dataset '", name, "'"));
    if (H5Dwrite(dataset.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value) < 0)
        fail(cat("cannot write the dataset '", name, "'"));
}

Shape Dataset::shape() const {
    const Id space(H5Dget_space(id()), H5Sclose);
    if (space.get() < 0) fail("cannot read the shape");
    const H5S_class_t space_class = H5Sget_simple_extent_type(space.get());
    if (space_class == H5S_SCALAR) return Shape{};
    if (space_class != H5S_SIMPLE) fail("has no shape (an empty dataspace)");
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank < 0 || rank > H5S_MAX_RANK) fail("cannot read the rank");
    std::vector<hsize_t> dims(static_cast<size_t>(rank));
    if (H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0) fail("cannot read the shape");
    Shape shape;
    int64_t numel = 1;
    for (hsize_t d : dims) {
        const auto limit = static_cast<hsize_t>(std::numeric_limits<int64_t>::max());
        if (d > limit || (d > 0 && static_cast<hsize_t>(numel) > limit / d)) fail("has an impossible shape");
        shape.push_back(static_cast<int64_t>(d));
        numel *= static_cast<int64_t>(d);
    }
    return shape;
}

std::string Dataset::dtype() const {
    // Keras 3 marks a bfloat16 variable, whose bits HDF5 cannot describe, with this attribute.
    if (has_attribute("dtype")) return read_string("dtype");
    const Id type(H5Dget_type(id()), H5Tclose);
    if (type.get() < 0) fail("cannot read the element type");
    return type_name(type.get());
}

Tensor Dataset::read() const {
    const Id type(H5Dget_type(id()), H5Tclose);
    if (type.get() < 0) fail("cannot read the element type");
    const H5T_class_t type_class = H5Tget_class(type.get());
    if (type_class != H5T_FLOAT && type_class != H5T_INTEGER)
        fail(cat("holds ", type_name(type.get()), " data, not numbers"));
    Tensor values = Tensor::empty(shape());
    if (values.size() > 0 &&
        H5Dread(id(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0)
        fail("cannot read the values");
    return values;
}

}  // namespace kiln::serialization::detail::h5
