// kiln's own reader of HDF5 files: the groups, datasets and attributes of the weight files Keras, h5py and kiln
// write, read from the file's bytes with every offset, size and count checked (libhdf5 trusts its input and can
// be crashed by a damaged file; see tests/fuzz). Writing stays with libhdf5 (kiln/serialization/detail/hdf5.hpp).
//
// Every failure is an IOError "HDF5 file '<file>': <object path>: <what>". Objects are reached through hard links
// only: soft and external links are listed as Kind::other and never followed.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kiln/core/tensor.hpp"

namespace kiln::serialization::detail::h5read {

struct OpenFile;
struct Link;
struct Attribute;
struct DatasetLayout;
class Cursor;

// What a name in a group refers to.
enum class Kind { missing, group, dataset, other };

// What Group and Dataset share: the file's name and the object's path for messages, and the attributes.
class Object {
public:
    const std::string& file() const;
    const std::string& path() const { return path_; }

    bool has_attribute(const std::string& name) const;
    // Every string of attribute `name`: fixed-length (NUL-terminated, NUL-padded or space-padded) or
    // variable-length, scalar or 1-D. An empty numeric array (Keras writes a float64 one for an empty
    // weight_names) and an empty dataspace give no strings. IOError for anything else.
    std::vector<std::string> read_strings(const std::string& name) const;
    // The single string of attribute `name` (a scalar or a one-element array).
    std::string read_string(const std::string& name) const;
    // Attribute `name`, or the chunks name0, name1, ... concatenated (how Keras splits long attributes);
    // nullopt when neither exists.
    std::optional<std::vector<std::string>> read_chunked_strings(const std::string& name) const;

    // IOError naming this object's file and path.
    [[noreturn]] void fail(const std::string& what) const;

protected:
    Object(std::shared_ptr<OpenFile> file, uint64_t address, std::string path);
    // Runs `body`, adding this object's path to the IOErrors that the format decoding raises.
    template <class Body>
    auto at_path(Body&& body) const -> decltype(body());

    std::shared_ptr<OpenFile> file_;
    uint64_t address_;
    std::string path_;

private:
    // The object's attributes, decoded from its header on first use.
    const std::vector<Attribute>& attributes() const;
    mutable std::shared_ptr<const std::vector<Attribute>> attributes_;
};

class Dataset;

class Group : public Object {
public:
    // The kind of the direct child `name`.
    Kind kind(const std::string& name) const;
    // The names of the direct children, in name order.
    std::vector<std::string> children() const;
    // The group or dataset at `relative` ("a/b/c", hard links only); nullopt when some component is absent or
    // of another kind.
    std::optional<Group> find_group(const std::string& relative) const;
    std::optional<Dataset> find_dataset(const std::string& relative) const;
    // The group at `relative`; IOError when it is absent.
    Group group(const std::string& relative) const;
    // The paths (relative to this group) of the datasets below it, depth first in name order: every hard-link
    // path to a dataset, but no group is entered again inside itself (a link back to an ancestor).
    std::vector<std::string> dataset_paths() const;

private:
    friend class File;
    Group(std::shared_ptr<OpenFile> file, uint64_t address, std::string path);
    const Link* link(const std::string& name) const;
    std::string child_path(const std::string& name) const;
    void collect_datasets(const std::string& prefix, std::vector<uint64_t>& open_groups,
                          std::vector<std::string>& paths) const;

    std::shared_ptr<const std::vector<Link>> links_;  // sorted by name
};

class Dataset : public Object {
public:
    Shape shape() const;
    // A short name of the element type: "float32", "float64", "int64", "uint8", "string", "opaque", ..., or the
    // dataset's "dtype" attribute when it has one (Keras 3 writes "bfloat16" there).
    std::string dtype() const;
    // The values as float32 (float and integer datasets are converted); IOError for other types.
    Tensor read() const;

private:
    friend class Group;
    Dataset(std::shared_ptr<OpenFile> file, uint64_t address, std::string path);
    // The type, shape and storage, decoded from the header on first use.
    const DatasetLayout& layout() const;
    Cursor where() const;

    mutable std::shared_ptr<const DatasetLayout> layout_;
};

// An HDF5 file opened for reading, from disk or from bytes.
class File {
public:
    // Reads `path` (IOError when it is missing or not an HDF5 file).
    static File open(const std::string& path);
    // Reads `bytes`; `label` names them in error messages.
    static File open_image(std::string bytes, const std::string& label);

    Group root() const;

private:
    explicit File(std::shared_ptr<OpenFile> file, uint64_t root) : file_(std::move(file)), root_(root) {}
    std::shared_ptr<OpenFile> file_;
    uint64_t root_;
};

}  // namespace kiln::serialization::detail::h5read
