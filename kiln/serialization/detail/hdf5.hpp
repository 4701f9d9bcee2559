// A small RAII wrapper over the HDF5 C API for writing kiln's weight files: a new in-memory image, its groups,
// float32 and int64 datasets and UTF-8 string attributes. (Reading is kiln's own checked reader,
// h5read/reader.hpp: libhdf5 trusts the files it opens.) HDF5 never prints (its automatic error printing is
// turned off on the calling thread) and never aborts kiln: every failure becomes a kiln::IOError naming the
// file, the object path and HDF5's own description of the problem.
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

// An object being written: its identifier, the file's name for messages and the object's path.
class Object {
public:
    const std::string& file() const { return file_; }
    const std::string& path() const { return path_; }
    hid_t id() const { return id_.get(); }

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

class Group : public Object {
public:
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
    // Whether the direct child `name` is absent, a group, or something else.
    enum class Kind { missing, group, other };
    Kind kind(const std::string& name) const;
};

// A new in-memory HDF5 file to fill and take as bytes.
class File {
public:
    // A new, empty in-memory file written in the HDF5 1.8 format, whose metadata carries checksums (a damaged
    // file is then detected by HDF5 instead of misread); `label` names it in error messages.
    static File create_image(const std::string& label);

    File(File&&) noexcept;
    File& operator=(File&&) noexcept;
    ~File();

    Group root() const;
    // Closes the file and returns its bytes. Every Group and Dataset of it must be gone.
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
