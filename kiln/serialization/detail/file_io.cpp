// Whole-file reads and atomic writes (temporary file in the same folder, then rename) with POSIX calls.
#include "kiln/serialization/detail/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "kiln/core/errors.hpp"
#include "kiln/serialization/atomic_file.hpp"

namespace kiln::serialization::detail {
namespace {

struct FaultHook {
    std::mutex mutex;
    std::function<void(const std::string&)> fault;
};

FaultHook& fault_hook() {
    static FaultHook hook;
    return hook;
}

std::string reason() { return std::strerror(errno); }

// Writes all of `data` to `fd`; IOError names `target` on failure.
void write_all(int fd, const char* data, size_t size, const std::string& target) {
    while (size > 0) {
        const ssize_t written = ::write(fd, data, size);
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) throw IOError(cat("cannot write '", target, "': ", reason()));
        data += written;
        size -= static_cast<size_t>(written);
    }
}

}  // namespace

std::string read_file_bytes(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw IOError(cat("cannot open '", path, "': ", reason()));
    std::string bytes;
    struct stat info {};
    bool ok = ::fstat(fd, &info) == 0;
    if (ok && !S_ISREG(info.st_mode)) {
        ::close(fd);
        throw IOError(cat("cannot read '", path, "': not a regular file"));
    }
    char buffer[1 << 16];
    while (ok) {
        const ssize_t got = ::read(fd, buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
            ok = got == 0;
            break;
        }
        bytes.append(buffer, static_cast<size_t>(got));
    }
    const std::string error = ok ? std::string() : reason();
    ::close(fd);
    if (!ok) throw IOError(cat("cannot read '", path, "': ", error));
    return bytes;
}

void write_bytes_atomically(const std::string& path, const std::string& bytes) {
    std::function<void(const std::string&)> fault;
    {
        std::lock_guard lock(fault_hook().mutex);
        fault = fault_hook().fault;
    }
    write_file_atomically(path, [&](const std::string& temp) {
        const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0) throw IOError(cat("cannot write '", path, "': cannot create a temporary file beside it: ", reason()));
        try {
            const size_t half = bytes.size() / 2;
            write_all(fd, bytes.data(), half, path);
            if (fault) fault(temp);
            write_all(fd, bytes.data() + half, bytes.size() - half, path);
        } catch (...) {
            ::close(fd);
            throw;
        }
        if (::close(fd) != 0) throw IOError(cat("cannot write '", path, "': ", reason()));
    });
}

void set_write_fault_for_testing(std::function<void(const std::string& temp_path)> fault) {
    std::lock_guard lock(fault_hook().mutex);
    fault_hook().fault = std::move(fault);
}

}  // namespace kiln::serialization::detail
