// The .npy format: magic "\x93NUMPY", version (major, minor), header length (uint16 for 1.0, uint32 for 2.0 and
// 3.0; little-endian), the header dict padded with spaces to a multiple of 64 bytes and ended by '\n', then the
// raw array data.
#include "kiln/serialization/npy.hpp"

#include <bit>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "kiln/core/detail/loader_boundary.hpp"
#include "kiln/core/errors.hpp"
#include "kiln/serialization/atomic_file.hpp"
#include "kiln/serialization/detail/npy_header.hpp"

namespace kiln::serialization {
namespace {

static_assert(std::endian::native == std::endian::little, "kiln's .npy reader assumes a little-endian machine");

constexpr std::string_view kMagic = "\x93NUMPY";
constexpr size_t kPreludeV1 = 10, kPreludeV2 = 12;  // magic + version + header length
constexpr size_t kAlign = 64;

// Reads `count` little-endian elements of type T at `src` into floats, from C order or Fortran order.
template <class T>
void convert(const char* src, const Shape& shape, bool fortran, float* dst) {
    const int64_t count = shape.numel();
    auto value = [src](int64_t i) {
        T v;
        std::memcpy(&v, src + i * static_cast<int64_t>(sizeof(T)), sizeof(T));
        return static_cast<float>(v);
    };
    if (!fortran || shape.rank() < 2) {
        for (int64_t i = 0; i < count; ++i) dst[i] = value(i);
        return;
    }
    // Walk the file in its order (first index fastest) and place each value at its row-major position.
    const std::vector<int64_t> strides = contiguous_strides(shape);
    std::vector<int64_t> index(shape.size(), 0);
    int64_t to = 0;
    for (int64_t i = 0; i < count; ++i) {
        dst[to] = value(i);
        for (size_t axis = 0; axis < shape.size(); ++axis) {
            to += strides[axis];
            if (++index[axis] < shape[axis]) break;
            to -= strides[axis] * shape[axis];
            index[axis] = 0;
        }
    }
}

// The element size and converter of a supported dtype; NotImplementedError otherwise.
using Converter = void (*)(const char*, const Shape&, bool, float*);
struct DType {
    int64_t size;
    Converter convert;
};

DType dtype_of(const std::string& descr, const std::string& source) {
    if (!descr.empty() && descr[0] == '>')
        throw NotImplementedError(cat(source, ": big-endian data ('", descr, "') is not supported"));
    if (descr == "<f4") return {4, convert<float>};
    if (descr == "<f8") return {8, convert<double>};
    if (descr == "<i8") return {8, convert<int64_t>};
    if (descr == "<i4") return {4, convert<int32_t>};
    if (descr == "|u1") return {1, convert<uint8_t>};
    throw NotImplementedError(
        cat(source, ": dtype '", descr, "' is not supported (kiln reads '<f4', '<f8', '<i8', '<i4' and '|u1')"));
}

uint32_t read_le(std::string_view bytes, size_t offset, size_t width) {
    uint32_t v = 0;
    for (size_t i = 0; i < width; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(bytes[offset + i])) << (8 * i);
    return v;
}

void append_le(std::string& out, uint32_t v, size_t width) {
    for (size_t i = 0; i < width; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

}  // namespace

Tensor npy_from_bytes(std::string_view bytes, const std::string& source) {
    return kiln::detail::guarded_load(source, [&] {
        if (bytes.size() < kPreludeV1 || bytes.substr(0, kMagic.size()) != kMagic)
            throw IOError(cat(source, ": not a .npy file (it does not start with \\x93NUMPY)"));
        const int major = static_cast<uint8_t>(bytes[6]), minor = static_cast<uint8_t>(bytes[7]);
        if (major < 1 || major > 3 || minor != 0)
            throw IOError(cat(source, ": unsupported .npy format version ", major, ".", minor, " (kiln reads 1.0 to 3.0)"));
        const size_t prelude = major == 1 ? kPreludeV1 : kPreludeV2;
        if (bytes.size() < prelude) throw IOError(cat(source, ": truncated .npy header"));
        const size_t header_length = read_le(bytes, 8, prelude - 8);
        if (bytes.size() - prelude < header_length)
            throw IOError(cat(source, ": truncated .npy header (", header_length, " bytes announced, ",
                              bytes.size() - prelude, " present)"));
        const detail::NpyHeader header = detail::parse_npy_header(bytes.substr(prelude, header_length), source);
        const DType dtype = dtype_of(header.descr, source);

        const Shape shape(header.shape);
        int64_t count = 1, expected = 0;
        bool overflow = false;
        for (int64_t d : shape) overflow |= __builtin_mul_overflow(count, d, &count);
        overflow |= __builtin_mul_overflow(count, dtype.size, &expected);
        if (overflow) throw IOError(cat(source, ": shape ", shape, " has too many elements"));
        const size_t data_offset = prelude + header_length;
        const int64_t available = static_cast<int64_t>(bytes.size() - data_offset);
        if (available != expected)
            throw IOError(cat(source,
                              available < expected ? ": truncated data: " : ": unexpected bytes after the data: ", "shape ",
                              shape, " of '", header.descr, "' needs ", expected, " bytes, the file has ", available));
        Tensor out = Tensor::empty(shape);
        dtype.convert(bytes.data() + data_offset, shape, header.fortran_order, out.data());
        return out;
    });
}

std::string npy_to_bytes(const Tensor& tensor) {
    std::string header = detail::format_npy_header({.descr = "<f4", .fortran_order = false, .shape = tensor.shape()});
    // Pad with spaces so that the data starts at a multiple of 64 bytes, the header ending with '\n'.
    const bool v1 = kPreludeV1 + header.size() + 1 <= 0xffff;
    const size_t prelude = v1 ? kPreludeV1 : kPreludeV2;
    header.append((kAlign - (prelude + header.size() + 1) % kAlign) % kAlign, ' ');
    header += '\n';
    std::string out(kMagic);
    out += static_cast<char>(v1 ? 1 : 2);
    out += '\0';
    append_le(out, static_cast<uint32_t>(header.size()), prelude - 8);
    out += header;
    out.append(reinterpret_cast<const char*>(tensor.data()), static_cast<size_t>(tensor.size()) * sizeof(float));
    return out;
}

Tensor load_npy(const std::string& path) {
    const std::string source = cat("load_npy: '", path, "'");
    std::ifstream in(path, std::ios::binary);
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (!in || ec) throw IOError(cat(source, ": cannot open the file"));
    std::string bytes(static_cast<size_t>(size), '\0');
    if (!in.read(bytes.data(), static_cast<std::streamsize>(size)))
        throw IOError(cat(source, ": cannot read the file"));
    return npy_from_bytes(bytes, source);
}

void save_npy(const std::string& path, const Tensor& tensor) {
    const std::string bytes = npy_to_bytes(tensor);
    write_file_atomically(path, [&](const std::string& temp) {
        std::ofstream out(temp, std::ios::binary);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        out.close();
        if (!out) throw IOError(cat("save_npy: '", path, "': cannot write '", temp, "'"));
    });
}

}  // namespace kiln::serialization
