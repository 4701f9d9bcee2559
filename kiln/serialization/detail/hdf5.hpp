// A small RAII wrapper over the HDF5 C API, for kiln's weight files: files on disk or as in-memory images,
// groups, datasets and the attribute forms Keras writes. HDF5 never prints (its automatic error printing is
// turned off on the calling thread) and never aborts kiln: every failure becomes a kiln::IOError naming the
// file, the object path and HDF5's own description of the problem.
//
// Objects are reached through hard links only, one path component at a time, so a file cannot make kiln open
// another file (external links) or wander through soft links.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kiln/core/tensor.hpp"

namespace kiln::serialization::detail::h5 {

// An HDF5 identifier, closed with its close function when the owner goes away. Move-only.
class Id {
public:
    Id() = default;
    Id(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
    Id(Id&& other) noexcept;
    Id& operator=(Id&& other) noexcept;
    Id(const Id&) = delete;
    Id& operator=(const Id&) = delete;
    ~Id();
    hid_t get() const { return id_; }
    // Gives up ownership without closing.
    hid_t release() { return std::exchange(id_, H5I_INVALID_HID); }

private:
    hid_t id_ = H5I_INVALID_HID;
    herr_t (*close_)(hid_t) = nullptr;
};

// Throws IOError "<file>: <path>: <what> (<HDF5's innermost error message>)" and clears HDF5's error stack.
[[noreturn]] void fail(const std::string& file, const std::string& path, const std::string& what);

// What Group and Dataset share: the identifier, the file's name for messages and the object's path, and the
// attributes.
class Object {
public:
    const std::string& file() const { return file_; }
    const std::string& path() const { return path_; }
    hid_t id() const { return id_.get(); }

    bool has_attribute(const std::string& name) const;
    // Every string of attribute `name`: fixed-length (NULL-padded, NULL-terminated or space-padded) or
    // variable-length, ASCII or UTF-8, scalar or 1-D. An empty numeric array (Keras writes a float64 one for
    // an empty weight_names) and an empty dataspace give no strings. IOError for anything else.
    std::vector<std::string> read_strings(const std::string& name) const;
    // The single string of attribute `name` (a scalar or a one-element array).
    std::string read_string(const std::string& name) const;
    // Attribute `name`, or the chunks name0, name1, ... concatenated (how Keras splits long attributes);
    // nullopt when neither exists.
    std::optional<std::vector<std::string>> read_chunked_strings(const std::string& name) const;
    // Writes a scalar variable-length UTF-8 string attribute.
    void write_string(const std::string& name, const std::string& value) const;

    // Calls fail() with this object's file and path.
    [[noreturn]] void fail(const std::string& what) const;

protected:
    Object(Id id, std::string file, std::string path)
        : id_(std::move(id)), file_(std::move(file)), path_(std::move(path)) {}

private:
    Id id_;
    std::string file_;
    std::string path_;
};

class Dataset;

// What a name in a group refers to.
enum class Kind { missing, group, dataset, other };

class Group : public Object {
public:
    // The kind of the direct child `name` (Kind::other for soft or external links, named datatypes, ...).
    Kind kind(const std::string& name) const;
    // The names of the direct children, in name order.
    std::vector<std::string> children() const;
    // The group or dataset at `relative` ("a/b/c", hard links only); nullopt when some component is absent or
    // of another kind.
    std::optional<Group> find_group(const std::string& relative) const;
    std::optional<Dataset> find_dataset(const std::string& relative) const;
    // The group at `relative`; IOError when it is absent.
    Group group(const std::string& relative) const;
    // The paths (relative to this group) of every dataset below it, each dataset once.
    std::vector<std::string> dataset_paths() const;

    // The group at `relative`, creating the missing components.
    Group require_group(const std::string& relative) const;
    // A little-endian float32 dataset holding `value` (a scalar dataspace for a rank-0 tensor).
    void write_tensor(const std::string& name, const Tensor& value) const;
    // A little-endian int64 scalar dataset.
    void write_int64(const std::string& name, int64_t value) const;

private:
    friend class File;
    using Object::Object;
    std::string child_path(const std::string& name) const;
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
    using Object::Object;
};

// An open HDF5 file: read-only from disk or from bytes, or a new in-memory image to fill and take as bytes.
class File {
public:
    // Opens `path` read-only (IOError when it is missing or not an HDF5 file).
    static File open(const std::string& path);
    // Opens a copy of `bytes` read-only; `label` names it in error messages.
    static File open_image(const std::string& bytes, const std::string& label);
    // A new, empty in-memory file written in the HDF5 1.8 format, whose metadata carries checksums (a damaged
    // file is then detected by HDF5 instead of misread); `label` names it in error messages.
    static File create_image(const std::string& label);

    File(File&&) noexcept;
    File& operator=(File&&) noexcept;
    ~File();

    Group root() const;
    // Closes a file made by create_image() and returns its bytes. Every Group and Dataset of it must be gone.
    std::string take_image();

private:
    struct Capture;
    File(Id id, std::string label, std::unique_ptr<Capture> capture);

    // Declared first so that it outlives the file, whose closing writes into it.
    std::unique_ptr<Capture> capture_;
    std::string label_;
    Id id_;
};

}  // namespace kiln::serialization::detail::h5
