#include "kiln/datasets/detail/gunzip.hpp"

// Lets z_stream take const input, so the caller's bytes need no const_cast.
#define ZLIB_CONST
#include <zlib.h>

#include <algorithm>
#include <limits>

#include "kiln/core/errors.hpp"

namespace kiln::datasets::detail {

namespace {

// Owns a zlib inflate stream set up for gzip wrappers.
class Inflater {
public:
    explicit Inflater(const std::string& what) {
        // 16 + MAX_WBITS: expect a gzip header and trailer (whose CRC-32 and length zlib checks).
        if (inflateInit2(&stream_, 16 + MAX_WBITS) != Z_OK) throw Error(cat(what, ": zlib could not start inflating"));
    }
    ~Inflater() { inflateEnd(&stream_); }
    Inflater(const Inflater&) = delete;
    Inflater& operator=(const Inflater&) = delete;

    z_stream& stream() { return stream_; }

private:
    z_stream stream_{};
};

// A first guess at the inflated size: the trailer's last four bytes hold it modulo 2^32 (little-endian). Capped
// at deflate's largest ratio (about 1032:1) so that a corrupt trailer cannot ask for gigabytes.
size_t size_hint(std::span<const uint8_t> bytes) {
    if (bytes.size() < 4) return 0;
    size_t size = 0;
    for (size_t i = 1; i <= 4; ++i) size = size << 8 | bytes[bytes.size() - i];
    return std::min(size, bytes.size() * 1032);
}

}  // namespace

bool is_gzip(std::span<const uint8_t> bytes) { return bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b; }

std::vector<uint8_t> gunzip(std::span<const uint8_t> bytes, const std::string& what, size_t max_size) {
    if (bytes.size() > std::numeric_limits<uInt>::max()) {
        throw NotImplementedError(cat(what, ": gzip files over 4 GiB are not supported"));
    }
    Inflater inflater(what);
    z_stream& z = inflater.stream();
    z.next_in = bytes.data();
    z.avail_in = static_cast<uInt>(bytes.size());
    std::vector<uint8_t> out;
    out.resize(std::min(std::max<size_t>(size_hint(bytes), 1024), max_size + 1));
    size_t written = 0;
    for (;;) {
        if (written == out.size()) out.resize(std::min(out.size() * 2, max_size + 1));
        const size_t room = std::min<size_t>(out.size() - written, std::numeric_limits<uInt>::max());
        z.next_out = out.data() + written;
        z.avail_out = static_cast<uInt>(room);
        const int rc = inflate(&z, Z_NO_FLUSH);
        written += room - z.avail_out;
        // The one byte of room past the limit tells a stream of exactly max_size bytes from a longer one.
        if (written > max_size)
            throw MemoryError(cat(what, ": the gzip data inflates to more than ", max_size,
                                  " bytes (the loading budget; kiln::set_max_variable_elements raises it)"));
        if (rc == Z_STREAM_END) {
            // Another gzip member may follow; anything else after the stream is an error.
            if (z.avail_in == 0) break;
            if (!is_gzip({z.next_in, z.avail_in})) {
                throw ValueError(cat(what, ": ", z.avail_in, " stray bytes after the end of the gzip stream"));
            }
            inflateReset(&z);
        } else if (rc == Z_BUF_ERROR || (rc == Z_OK && z.avail_in == 0 && z.avail_out > 0)) {
            // All input used, room left for output, and the stream has not ended: the file stops early.
            throw ValueError(cat(what, ": gzip stream is truncated (ends after ", written, " inflated bytes)"));
        } else if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT) {
            throw ValueError(cat(what, ": corrupt gzip data (", z.msg ? z.msg : zError(rc), ")"));
        } else if (rc != Z_OK) {
            throw IOError(cat(what, ": zlib inflate failed (", zError(rc), ")"));
        }
    }
    out.resize(written);
    return out;
}

}  // namespace kiln::datasets::detail
