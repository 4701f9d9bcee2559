#include "kiln/serialization/detail/h5read/bytes.hpp"

#include <bit>

#include "kiln/core/errors.hpp"

namespace kiln::serialization::detail::h5read {

std::string_view FileBytes::span(uint64_t offset, uint64_t length, std::string_view what) const {
    if (offset > size() || length > size() - offset)
        fail(cat(what, ": ", length, " bytes at byte ", offset, " run past the end of the file (", size(),
                 " bytes)"));
    return std::string_view(bytes_).substr(offset, length);
}

void FileBytes::fail(std::string_view what) const { throw IOError(cat("HDF5 file '", label_, "': ", what)); }

Cursor::Cursor(const FileBytes& file, uint64_t begin, uint64_t end, std::string_view what)
    : file_(&file), what_(what), begin_(begin), position_(begin), end_(end < file.size() ? end : file.size()) {
    if (begin > file.size()) fail(cat("starts past the end of the file (", file.size(), " bytes)"));
    if (end_ < begin) end_ = begin;
}

Cursor::Cursor(const FileBytes& file, uint64_t begin, std::string_view what)
    : Cursor(file, begin, file.size(), what) {}

uint64_t Cursor::uint(unsigned size) {
    if (size > 8) fail(cat("a field of ", size, " bytes is wider than 8"));
    const std::string_view field = bytes(size);
    uint64_t value = 0;
    for (unsigned i = 0; i < size; ++i) value |= uint64_t{static_cast<uint8_t>(field[i])} << (8 * i);
    return value;
}

uint64_t Cursor::address() {
    const unsigned size = file_->offset_size;
    const uint64_t raw = uint(size);
    const uint64_t all_ones = size == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * size)) - 1;
    if (raw == all_ones) return undefined_address;
    if (raw > ~uint64_t{0} - file_->base_address - 1) fail(cat("the address ", raw, " overflows"));
    return raw + file_->base_address;
}

std::string_view Cursor::bytes(uint64_t count) {
    if (count > remaining())
        fail(cat("truncated: needs ", count, " more bytes at byte ", position_, ", has ", remaining()));
    const std::string_view view = file_->span(position_, count, what_);
    position_ += count;
    return view;
}

void Cursor::expect_signature(std::string_view signature) {
    if (remaining() < signature.size() || bytes(signature.size()) != signature)
        fail(cat("the signature '", signature, "' is missing"));
}

Cursor Cursor::take(uint64_t count) {
    if (count > remaining())
        fail(cat("truncated: a part of ", count, " bytes at byte ", position_, " has only ", remaining()));
    Cursor part(*file_, position_, position_ + count, what_);
    position_ += count;
    return part;
}

void Cursor::fail(std::string_view what) const { file_->fail(cat(what_, " at byte ", begin_, ": ", what)); }

void Cursor::verify_checksum(uint64_t from) {
    const uint64_t end = position_;
    const uint32_t stored = u32();
    if (from > end || stored != lookup3_checksum(file_->span(from, end - from, what_)))
        fail("the checksum does not match: the file is damaged");
}

namespace {

uint32_t rotate(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

void mix(uint32_t& a, uint32_t& b, uint32_t& c) {
    a -= c; a ^= rotate(c, 4);  c += b;
    b -= a; b ^= rotate(a, 6);  a += c;
    c -= b; c ^= rotate(b, 8);  b += a;
    a -= c; a ^= rotate(c, 16); c += b;
    b -= a; b ^= rotate(a, 19); a += c;
    c -= b; c ^= rotate(b, 4);  b += a;
}

void final_mix(uint32_t& a, uint32_t& b, uint32_t& c) {
    c ^= b; c -= rotate(b, 14);
    a ^= c; a -= rotate(c, 11);
    b ^= a; b -= rotate(a, 25);
    c ^= b; c -= rotate(b, 16);
    a ^= c; a -= rotate(c, 4);
    b ^= a; b -= rotate(a, 14);
    c ^= b; c -= rotate(b, 24);
}

// Up to 12 bytes from `p` as three little-endian words (missing bytes are 0).
void load_words(const char* p, size_t n, uint32_t words[3]) {
    words[0] = words[1] = words[2] = 0;
    for (size_t i = 0; i < n; ++i) words[i / 4] += uint32_t{static_cast<uint8_t>(p[i])} << (8 * (i % 4));
}

}  // namespace

uint32_t lookup3_checksum(std::string_view bytes) {
    uint32_t a = 0xdeadbeef + static_cast<uint32_t>(bytes.size());
    uint32_t b = a;
    uint32_t c = a;
    const char* p = bytes.data();
    size_t left = bytes.size();
    uint32_t words[3];
    while (left > 12) {
        load_words(p, 12, words);
        a += words[0];
        b += words[1];
        c += words[2];
        mix(a, b, c);
        p += 12;
        left -= 12;
    }
    if (left == 0) return c;
    load_words(p, left, words);
    a += words[0];
    b += words[1];
    c += words[2];
    final_mix(a, b, c);
    return c;
}

unsigned log2_floor(uint64_t value) { return value == 0 ? 0 : 63 - static_cast<unsigned>(std::countl_zero(value)); }

unsigned encoded_size(uint64_t value) { return log2_floor(value) / 8 + 1; }

}  // namespace kiln::serialization::detail::h5read
