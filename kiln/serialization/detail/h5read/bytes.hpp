// The bytes of an HDF5 file, read only through bounds checks: every read names the structure it belongs to and
// where it is, and a read past the end of a structure or of the file is an IOError, never undefined behaviour.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kiln::serialization::detail::h5read {

// An address field of all ones: "no such object".
inline constexpr uint64_t undefined_address = ~uint64_t{0};

// The file's bytes, its name for messages, and the sizes its superblock sets for addresses and lengths.
class FileBytes {
public:
    FileBytes(std::string bytes, std::string label) : bytes_(std::move(bytes)), label_(std::move(label)) {}

    const std::string& label() const { return label_; }
    uint64_t size() const { return bytes_.size(); }
    // The `length` bytes at `offset`; IOError naming `what` when they are not all inside the file.
    std::string_view span(uint64_t offset, uint64_t length, std::string_view what) const;
    // Where `inside` (a view returned by span()) starts in the file.
    uint64_t offset_of(std::string_view inside) const { return static_cast<uint64_t>(inside.data() - bytes_.data()); }
    // IOError "HDF5 file '<label>': <what>".
    [[noreturn]] void fail(std::string_view what) const;

    unsigned offset_size = 8;  // bytes of an address field
    unsigned length_size = 8;  // bytes of a length field
    uint64_t base_address = 0;  // what addresses are relative to

private:
    std::string bytes_;
    std::string label_;
};

// Little-endian reads from one structure [begin, end) of the file, advancing a position.
class Cursor {
public:
    // The structure `what` (e.g. "object header") from `begin` up to `end` (clipped to the file's end).
    Cursor(const FileBytes& file, uint64_t begin, uint64_t end, std::string_view what);
    // From `begin` to the end of the file.
    Cursor(const FileBytes& file, uint64_t begin, std::string_view what);

    const FileBytes& file() const { return *file_; }
    uint64_t position() const { return position_; }
    uint64_t remaining() const { return end_ - position_; }

    uint8_t u8() { return static_cast<uint8_t>(uint(1)); }
    uint16_t u16() { return static_cast<uint16_t>(uint(2)); }
    uint32_t u32() { return static_cast<uint32_t>(uint(4)); }
    uint64_t u64() { return uint(8); }
    // An unsigned little-endian integer of `size` bytes (0 to 8).
    uint64_t uint(unsigned size);
    // An address field: undefined_address, or a file offset (the base address added).
    uint64_t address();
    // A length field.
    uint64_t length() { return uint(file_->length_size); }
    std::string_view bytes(uint64_t count);
    void skip(uint64_t count) { bytes(count); }
    // IOError unless the next bytes are `signature`.
    void expect_signature(std::string_view signature);
    // Reads the 4-byte checksum that follows [from, position()) and raises IOError unless it is that range's
    // Jenkins lookup3 hash, as the 1.8 format's superblock, object headers, B-trees and heaps carry.
    void verify_checksum(uint64_t from);
    // A cursor over the next `count` bytes, which this one skips.
    Cursor take(uint64_t count);

    // IOError "HDF5 file '<label>': <structure> at byte <begin>: <what>".
    [[noreturn]] void fail(std::string_view what) const;

private:
    const FileBytes* file_;
    std::string what_;
    uint64_t begin_;
    uint64_t position_;
    uint64_t end_;
};

// Bob Jenkins' lookup3 hash ("hashlittle", initial value 0) of `bytes`: HDF5's metadata checksum.
uint32_t lookup3_checksum(std::string_view bytes);

// Bytes needed to hold `value` the way HDF5 sizes its variable-width counters: floor(log2(value)) / 8 + 1.
unsigned encoded_size(uint64_t value);
// floor(log2(value)) for value > 0, 0 for 0.
unsigned log2_floor(uint64_t value);

}  // namespace kiln::serialization::detail::h5read
