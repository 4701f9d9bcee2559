#include "kiln/serialization/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "kiln/core/errors.hpp"

namespace kiln::serialization {
namespace {

// Flushes the file's content to disk, so that the rename cannot expose a file whose data is not written yet.
void sync_to_disk(const std::string& temp, const std::string& path) {
    const int fd = ::open(temp.c_str(), O_RDONLY);
    if (fd < 0)
        throw IOError(cat("write_file_atomically: '", path, "': the temporary file '", temp,
                          "' was not created: ", std::strerror(errno)));
    const int status = ::fsync(fd);
    const int error = errno;
    ::close(fd);
    if (status != 0)
        throw IOError(cat("write_file_atomically: '", path, "': cannot sync '", temp, "': ", std::strerror(error)));
}

}  // namespace

void write_file_atomically(const std::string& path, const std::function<void(const std::string& temp_path)>& write) {
    // Unique per process and call, in the destination's folder (a rename across file systems is not atomic).
    static std::atomic<uint64_t> counter{0};
    const std::string temp = cat(path, ".tmp.", ::getpid(), ".", counter++);
    try {
        write(temp);
        sync_to_disk(temp, path);
        std::error_code ec;
        std::filesystem::rename(temp, path, ec);
        if (ec) throw IOError(cat("write_file_atomically: cannot move '", temp, "' to '", path, "': ", ec.message()));
    } catch (...) {
        std::error_code ignored;
        std::filesystem::remove(temp, ignored);
        throw;
    }
}

}  // namespace kiln::serialization
