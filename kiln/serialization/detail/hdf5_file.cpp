// New in-memory HDF5 files turned into bytes, and the error handling every part of the HDF5 writer shares.
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "kiln/core/errors.hpp"
#include "kiln/serialization/detail/hdf5.hpp"

namespace kiln::serialization::detail::h5 {
namespace {

// HDF5 would print its error stack to stderr on every failure; kiln reports errors as exceptions instead.
// The setting is per thread (the library is built thread-safe), so it is applied on every file entry point.
void quiet() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

herr_t innermost_message(unsigned depth, const H5E_error2_t* error, void* out) {
    if (depth == 0 && error->desc) *static_cast<std::string*>(out) = error->desc;
    return 0;
}

// A name no other open in-memory file has: HDF5 refuses to open two files of the same name at once.
std::string unique_image_name(const std::string& label) {
    static std::atomic<uint64_t> counter{0};
    std::string name = "kiln-image-";
    name += std::to_string(counter++);
    name += ':';
    name += label;
    return name;
}

Id checked(hid_t id, herr_t (*close)(hid_t), const std::string& file, const std::string& what) {
    if (id < 0) fail(file, "/", what);
    return Id(id, close);
}

Id core_access_list(const std::string& label) {
    Id fapl = checked(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, label, "cannot create a file access list");
    if (H5Pset_fapl_core(fapl.get(), 64 * 1024, /*backing_store=*/false) < 0)
        fail(label, "/", "cannot select the in-memory driver");
    return fapl;
}

}  // namespace

Id::Id(Id&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)), close_(other.close_) {}

Id& Id::operator=(Id&& other) noexcept {
    if (this != &other) {
        if (id_ >= 0 && close_) close_(id_);
        id_ = std::exchange(other.id_, H5I_INVALID_HID);
        close_ = other.close_;
    }
    return *this;
}

Id::~Id() {
    if (id_ >= 0 && close_) close_(id_);
}

void fail(const std::string& file, const std::string& path, const std::string& what) {
    std::string detail;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_message, &detail);
    H5Eclear2(H5E_DEFAULT);
    std::string message = "HDF5 file '";
    message += file;
    message += "': ";
    message += path;
    message += ": ";
    message += what;
    if (!detail.empty()) {
        message += " (";
        message += detail;
        message += ")";
    }
    throw IOError(message);
}

void Object::fail(const std::string& what) const { h5::fail(file_, path_, what); }

// The bytes of an in-memory file, caught when the in-memory driver releases its buffer at close (the image
// H5Fget_file_image gives of a file still open carries a stale superblock checksum in HDF5 1.10).
struct File::Capture {
    std::string bytes;
    size_t size = 0;
    bool closed = false;

    static void* allocate(size_t size, H5FD_file_image_op_t, void* self) {
        static_cast<Capture*>(self)->size = size;
        return std::malloc(size);
    }
    static void* copy(void* dest, const void* src, size_t size, H5FD_file_image_op_t, void*) {
        return std::memcpy(dest, src, size);
    }
    static void* reallocate(void* ptr, size_t size, H5FD_file_image_op_t, void* self) {
        static_cast<Capture*>(self)->size = size;
        return std::realloc(ptr, size);
    }
    static herr_t release(void* ptr, H5FD_file_image_op_t op, void* self) {
        auto* capture = static_cast<Capture*>(self);
        if (op == H5FD_FILE_IMAGE_OP_FILE_CLOSE && ptr) {
            try {
                capture->bytes.assign(static_cast<const char*>(ptr), capture->size);
                capture->closed = true;
            } catch (...) {
                std::free(ptr);
                return -1;
            }
        }
        std::free(ptr);
        return 0;
    }
    static void* share(void* self) { return self; }
    static herr_t keep(void*) { return 0; }
};

File::File(Id id, std::string label, std::unique_ptr<Capture> capture)
    : capture_(std::move(capture)), label_(std::move(label)), id_(std::move(id)) {}
File::File(File&&) noexcept = default;
File& File::operator=(File&&) noexcept = default;
File::~File() = default;

File File::create_image(const std::string& label) {
    quiet();
    auto capture = std::make_unique<Capture>();
    Id fapl = core_access_list(label);
    H5FD_file_image_callbacks_t callbacks{Capture::allocate, Capture::copy,  Capture::reallocate, Capture::release,
                                          Capture::share,    Capture::keep,  capture.get()};
    if (H5Pset_file_image_callbacks(fapl.get(), &callbacks) < 0 ||
        H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V18, H5F_LIBVER_V18) < 0 ||
        H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_SEMI) < 0)
        fail(label, "/", "cannot set up the in-memory file");
    Id file = checked(H5Fcreate(unique_image_name(label).c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose,
                      label, "cannot create an in-memory file");
    return File(std::move(file), label, std::move(capture));
}

Group File::root() const {
    return Group(checked(H5Gopen2(id_.get(), "/", H5P_DEFAULT), H5Gclose, label_, "cannot open the root group"),
                 label_, "/");
}

std::string File::take_image() {
    if (H5Fflush(id_.get(), H5F_SCOPE_GLOBAL) < 0) fail(label_, "/", "cannot flush the in-memory file");
    const ssize_t size = H5Fget_file_image(id_.get(), nullptr, 0);
    if (size <= 0) fail(label_, "/", "cannot measure the in-memory file");
    const hid_t id = id_.release();  // closed here, with the error checked
    if (H5Fclose(id) < 0) {
        id_ = Id(id, H5Fclose);  // still open: a group or dataset of it is
        fail(label_, "/", "cannot close the in-memory file (is a group or dataset still open?)");
    }
    if (!capture_->closed || capture_->bytes.size() < static_cast<size_t>(size))
        throw IOError(cat("HDF5 file '", label_, "': the in-memory file was not handed back at close"));
    std::string bytes = std::move(capture_->bytes);
    bytes.resize(static_cast<size_t>(size));
    return bytes;
}

}  // namespace kiln::serialization::detail::h5
