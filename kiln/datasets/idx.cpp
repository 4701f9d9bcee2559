#include "kiln/datasets/idx.hpp"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iomanip>
#include <span>
#include <vector>

#include "kiln/core/detail/loader_boundary.hpp"
#include "kiln/core/errors.hpp"
#include "kiln/core/limits.hpp"
#include "kiln/datasets/detail/gunzip.hpp"

namespace kiln::datasets {

namespace {

constexpr uint8_t kUnsignedByte = 0x08;
constexpr size_t kMaxHeaderBytes = 4 + 4 * 255;  // the magic, then up to 255 sizes

// The whole file; Error when it cannot be opened or read.
std::vector<uint8_t> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) throw IOError(cat("read_idx: cannot open ", path));
    const std::streamoff size = in.tellg();
    if (size < 0) throw IOError(cat("read_idx: cannot read ", path));
    std::vector<uint8_t> bytes(static_cast<size_t>(size));
    in.seekg(0);
    if (!in.read(reinterpret_cast<char*>(bytes.data()), size)) throw IOError(cat("read_idx: cannot read ", path));
    return bytes;
}

// The name of an IDX type code other than 0x08, or nullptr when the format does not define it.
const char* other_idx_type(uint8_t code) {
    switch (code) {
        case 0x09: return "signed byte";
        case 0x0B: return "short";
        case 0x0C: return "int";
        case 0x0D: return "float";
        case 0x0E: return "double";
        default: return nullptr;
    }
}

uint32_t big_endian_u32(std::span<const uint8_t> b) {
    return uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | uint32_t{b[3]};
}

// Parses the IDX bytes of `path` (already inflated).
Tensor parse_idx(std::span<const uint8_t> bytes, const std::string& path) {
    const std::string where = cat("read_idx: ", path);
    if (bytes.size() < 4) throw ValueError(cat(where, ": truncated header (", bytes.size(), " bytes)"));
    if (bytes[0] != 0 || bytes[1] != 0) {
        throw ValueError(cat(where, ": bad magic number 0x", std::hex, std::setw(8), std::setfill('0'),
                             big_endian_u32(bytes), " (an IDX file starts with two zero bytes)"));
    }
    const uint8_t type = bytes[2];
    if (type != kUnsignedByte) {
        if (const char* name = other_idx_type(type)) {
            throw NotImplementedError(cat(where, ": IDX type code 0x", std::hex, int{type}, " (", name,
                                          ") is not supported, only 0x08 (unsigned byte)"));
        }
        throw ValueError(cat(where, ": unknown IDX type code 0x", std::hex, int{type}));
    }
    const size_t rank = bytes[3];
    const size_t header = 4 + 4 * rank;
    if (bytes.size() < header) {
        throw ValueError(cat(where, ": truncated header (", bytes.size(), " bytes, ", rank, " dimensions need ",
                             header, ")"));
    }
    Shape shape;
    for (size_t i = 0; i < rank; ++i) shape.push_back(big_endian_u32(bytes.subspan(4 + 4 * i, 4)));
    const std::span<const uint8_t> data = bytes.subspan(header);
    // The product of up to 255 dimensions below 2^32 can overflow 64 bits (unless a dimension is 0).
    uint64_t needed = 1;
    bool overflow = false;
    for (int64_t d : shape) {
        const auto dim = static_cast<uint64_t>(d);
        if (dim == 0) {
            needed = 0;
            overflow = false;
            break;
        }
        if (needed > UINT64_MAX / dim) overflow = true;
        else needed *= dim;
    }
    if (overflow || needed != data.size()) {
        throw ValueError(cat(where, ": dimensions ", shape.str(), " need ",
                             overflow ? std::string("over 2^64") : cat(needed), " data bytes, the file has ",
                             data.size(), overflow || needed > data.size() ? " (truncated)" : ""));
    }
    Tensor out = Tensor::empty(shape);
    std::transform(data.begin(), data.end(), out.data(), [](uint8_t v) { return static_cast<float>(v); });
    return out;
}

}  // namespace

Tensor read_idx(const std::string& path) {
    return kiln::detail::guarded_load(cat("read_idx: ", path), [&] {
        const std::vector<uint8_t> bytes = read_bytes(path);
        if (!detail::is_gzip(bytes)) return parse_idx(bytes, path);
        // Each data byte becomes one float element, so the budget bounds the inflated size too.
        const size_t max_inflated = static_cast<size_t>(max_variable_elements()) + kMaxHeaderBytes;
        return parse_idx(detail::gunzip(bytes, cat("read_idx: ", path), max_inflated), path);
    });
}

}  // namespace kiln::datasets
