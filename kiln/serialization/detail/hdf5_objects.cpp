// Writing HDF5 groups, numeric datasets and string attributes.
#include "kiln/core/errors.hpp"
#include "kiln/serialization/detail/h5_path.hpp"
#include "kiln/serialization/detail/hdf5.hpp"

namespace kiln::serialization::detail::h5 {
std::string Group::child_path(const std::string& name) const {
    std::string child = path();
    if (child != "/") child += '/';
    child += name;
    return child;
}

Group::Kind Group::kind(const std::string& name) const {
    const htri_t exists = H5Lexists(id(), name.c_str(), H5P_DEFAULT);
    if (exists < 0) fail(cat("cannot look up '", name, "'"));
    if (exists == 0) return Kind::missing;
    H5O_info_t info;
    if (H5Oget_info_by_name(id(), name.c_str(), &info, H5P_DEFAULT) < 0) fail(cat("cannot inspect '", name, "'"));
    return info.type == H5O_TYPE_GROUP ? Kind::group : Kind::other;
}

Group Group::require_group(const std::string& relative) const {
    std::optional<Group> current;
    for (const std::string& part : split_h5_path(relative)) {
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
