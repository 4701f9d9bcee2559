#include "kiln/callbacks/format.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string_view>

namespace kiln {

std::string python_float(double value) {
    if (std::isnan(value)) return "nan";
    if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
    // Shortest round-trip digits and decimal exponent, from the scientific form "d.ddde+XX".
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, std::abs(value), std::chars_format::scientific);
    const std::string_view text(buffer, static_cast<size_t>(result.ptr - buffer));
    const size_t e = text.find('e');
    std::string digits(text.substr(0, e));
    if (digits.size() > 1) digits.erase(1, 1);  // the '.'
    const int exponent = std::atoi(std::string(text.substr(e + 1)).c_str());
    const std::string sign = std::signbit(value) ? "-" : "";

    // Python switches to scientific notation below 1e-4 and from 1e16 on.
    if (exponent < -4 || exponent >= 16) {
        const std::string mantissa = digits.size() > 1 ? digits.substr(0, 1) + "." + digits.substr(1) : digits;
        const std::string power = std::to_string(std::abs(exponent));
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (power.size() < 2 ? "0" : "") + power;
    }
    if (exponent < 0) return sign + "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
    const auto point = static_cast<size_t>(exponent + 1);  // digits before the decimal point
    if (digits.size() <= point) return sign + digits + std::string(point - digits.size(), '0') + ".0";
    return sign + digits.substr(0, point) + "." + digits.substr(point);
}

}  // namespace kiln
