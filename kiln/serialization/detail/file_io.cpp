// Whole-file reads and atomic writes (temporary file in the same folder, then rename) with POSIX calls.
#include "kiln/serialization/detail/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "kiln/core/errors.hpp"

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

// A temporary file beside `path` that is closed, and removed unless kept, when it goes out of scope.
class TempFile {
public:
    explicit TempFile(const std::string& path) {
        static std::atomic<uint64_t> counter{0};
        for (int attempt = 0; fd_ < 0; ++attempt) {
            path_ = path;
            path_ += ".tmp-";
            path_ += std::to_string(::getpid());
            path_ += '-';
            path_ += std::to_string(counter++);
            fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
            if (fd_ < 0 && (errno != EEXIST || attempt > 100))
                throw IOError(cat("cannot write '", path, "': cannot create a temporary file beside it: ", reason()));
        }
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    ~TempFile() {
        if (fd_ >= 0) ::close(fd_);
        if (!kept_) ::unlink(path_.c_str());
    }

    const std::string& path() const { return path_; }

    void write(const char* data, size_t size, const std::string& target) const {
        while (size > 0) {
            const ssize_t written = ::write(fd_, data, size);
            if (written < 0 && errno == EINTR) continue;
            if (written <= 0) throw IOError(cat("cannot write '", target, "': ", reason()));
            data += written;
            size -= static_cast<size_t>(written);
        }
    }

    // Flushes to disk, closes, and renames over `target`.
    void commit(const std::string& target) {
        if (::fsync(fd_) != 0) throw IOError(cat("cannot write '", target, "': ", reason()));
        const int fd = fd_;
        fd_ = -1;
        if (::close(fd) != 0) throw IOError(cat("cannot write '", target, "': ", reason()));
        if (std::rename(path_.c_str(), target.c_str()) != 0)
            throw IOError(cat("cannot write '", target, "': cannot replace it: ", reason()));
        kept_ = true;
    }

private:
    std::string path_;
    int fd_ = -1;
    bool kept_ = false;
};

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
    TempFile temp(path);
    const size_t half = bytes.size() / 2;
    temp.write(bytes.data(), half, path);
    if (fault) fault(temp.path());
    temp.write(bytes.data() + half, bytes.size() - half, path);
    temp.commit(path);
}

void set_write_fault_for_testing(std::function<void(const std::string& temp_path)> fault) {
    std::lock_guard lock(fault_hook().mutex);
    fault_hook().fault = std::move(fault);
}

}  // namespace kiln::serialization::detail
