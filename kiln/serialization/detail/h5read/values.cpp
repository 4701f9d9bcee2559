#include "kiln/serialization/detail/h5read/values.hpp"

#include <bit>
#include <cmath>
#include <cstring>

#include "kiln/core/errors.hpp"

namespace kiln::serialization::detail::h5read {
namespace {

uint64_t load(const char* p, unsigned size, bool big_endian) {
    uint64_t value = 0;
    for (unsigned i = 0; i < size; ++i) {
        const auto byte = uint64_t{static_cast<uint8_t>(p[big_endian ? size - 1 - i : i])};
        value |= byte << (8 * i);
    }
    return value;
}

float half_to_float(uint16_t bits) {
    const int exponent = (bits >> 10) & 0x1f;
    const int mantissa = bits & 0x3ff;
    const float sign = (bits & 0x8000) ? -1.0f : 1.0f;
    if (exponent == 0) return sign * std::ldexp(static_cast<float>(mantissa), -24);
    if (exponent == 31) return mantissa ? std::nanf("") : sign * INFINITY;
    return sign * std::ldexp(static_cast<float>(mantissa + 1024), exponent - 25);
}

float to_float(const Datatype& type, uint64_t raw) {
    if (type.type_class == Datatype::floating_point) {
        if (type.size == 2) return half_to_float(static_cast<uint16_t>(raw));
        if (type.size == 4) return std::bit_cast<float>(static_cast<uint32_t>(raw));
        return static_cast<float>(std::bit_cast<double>(raw));
    }
    if (!type.is_signed) return static_cast<float>(raw);
    const unsigned bits = type.size * 8;
    if (bits < 64 && (raw >> (bits - 1)) & 1) raw |= ~uint64_t{0} << bits;  // sign-extend
    return static_cast<float>(static_cast<int64_t>(raw));
}

std::string trimmed(std::string_view text, uint8_t padding) {
    if (padding == 2) {
        const size_t end = text.find_last_not_of(' ');
        return std::string(text.substr(0, end == std::string_view::npos ? 0 : end + 1));
    }
    return std::string(text.substr(0, text.find('\0')));
}

}  // namespace

bool is_number_type(const Datatype& type) {
    if (type.bit_offset != 0 || type.precision != type.size * 8) return false;
    if (type.type_class == Datatype::fixed_point)
        return type.size == 1 || type.size == 2 || type.size == 4 || type.size == 8;
    if (type.type_class != Datatype::floating_point) return false;
    return (type.size == 2 && type.mantissa_size == 10 && type.exponent_size == 5) ||
           (type.size == 4 && type.mantissa_size == 23 && type.exponent_size == 8) ||
           (type.size == 8 && type.mantissa_size == 52 && type.exponent_size == 11);
}

void convert_numbers(const Datatype& type, std::string_view data, float* out) {
    const size_t count = data.size() / type.size;
    if (type.type_class == Datatype::floating_point && type.size == 4 && !type.big_endian) {
        std::memcpy(out, data.data(), count * sizeof(float));
        return;
    }
    for (size_t i = 0; i < count; ++i) out[i] = to_float(type, load(data.data() + i * type.size, type.size, type.big_endian));
}

std::vector<std::string> decode_strings(const Datatype& type, std::string_view data, uint64_t count,
                                        GlobalHeap& heap, const Cursor& where) {
    std::vector<std::string> strings;
    if (type.type_class == Datatype::string) {
        if (type.size == 0 || count > data.size() / type.size)
            where.fail(cat(count, " strings of ", type.size, " bytes do not fit in ", data.size(), " bytes"));
        for (uint64_t i = 0; i < count; ++i)
            strings.push_back(trimmed(data.substr(i * type.size, type.size), type.string_padding));
        return strings;
    }
    if (type.type_class != Datatype::variable_length || !type.vlen_string) where.fail("does not hold strings");
    const FileBytes& file = where.file();
    const uint64_t element = 4 + uint64_t{file.offset_size} + 4;
    if (count > data.size() / element)
        where.fail(cat(count, " variable-length strings do not fit in ", data.size(), " bytes"));
    for (uint64_t i = 0; i < count; ++i) {
        const std::string_view reference = data.substr(i * element, element);
        const uint64_t length = load(reference.data(), 4, false);
        uint64_t collection = load(reference.data() + 4, file.offset_size, false);
        const uint32_t index = static_cast<uint32_t>(load(reference.data() + 4 + file.offset_size, 4, false));
        if (length == 0 && collection == 0) {
            strings.emplace_back();
            continue;
        }
        collection += file.base_address;
        const std::string_view text = heap.object(collection, index);
        if (length > text.size()) where.fail(cat("a string of ", length, " bytes in a heap object of ", text.size()));
        strings.push_back(trimmed(text.substr(0, length), type.string_padding));
    }
    return strings;
}

}  // namespace kiln::serialization::detail::h5read
