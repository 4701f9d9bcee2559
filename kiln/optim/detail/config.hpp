// Internal: typed reads of Keras config keys that the shared ConfigReader lacks (required numbers, integers,
// booleans, nullable values), and the check every constructor argument goes through.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "kiln/core/detail/registry.hpp"
#include "kiln/core/errors.hpp"

namespace kiln::optim::detail {

using kiln::detail::ConfigReader;

// The value of a key that must be present; ValueError naming the class and the key when absent.
inline const nlohmann::json& required(ConfigReader& r, std::string_view cls, std::string_view key) {
    const nlohmann::json* v = r.find(key);
    if (!v) throw ValueError(cat(cls, ": config key '", key, "' is required"));
    return *v;
}

// A required number.
inline double required_number(ConfigReader& r, std::string_view cls, std::string_view key) {
    const nlohmann::json& v = required(r, cls, key);
    if (!v.is_number()) r.wrong_type(key, "a number", v);
    return v.get<double>();
}

// A required integer.
inline int64_t required_integer(ConfigReader& r, std::string_view cls, std::string_view key) {
    return r.integer_value(key, required(r, cls, key));
}

// An integer, or `fallback` when absent.
inline int64_t integer(ConfigReader& r, std::string_view key, int64_t fallback) {
    const nlohmann::json* v = r.find(key);
    return v ? r.integer_value(key, *v) : fallback;
}

// A boolean, or `fallback` when absent.
inline bool boolean(ConfigReader& r, std::string_view key, bool fallback) {
    const nlohmann::json* v = r.find(key);
    if (!v) return fallback;
    if (!v->is_boolean()) r.wrong_type(key, "a boolean", *v);
    return v->get<bool>();
}

// A number, or nullopt when absent or null.
inline std::optional<double> optional_number(ConfigReader& r, std::string_view key) {
    const nlohmann::json* v = r.find(key);
    if (!v || v->is_null()) return std::nullopt;
    if (!v->is_number()) r.wrong_type(key, "null or a number", *v);
    return v->get<double>();
}

// An integer, or nullopt when absent or null.
inline std::optional<int64_t> optional_integer(ConfigReader& r, std::string_view key) {
    const nlohmann::json* v = r.find(key);
    if (!v || v->is_null()) return std::nullopt;
    return r.integer_value(key, *v);
}

// The "name" key: a string, or `fallback` when absent or null (Keras then picks a default name).
inline std::string name(ConfigReader& r, std::string_view fallback) {
    const nlohmann::json* v = r.find("name");
    if (!v || v->is_null()) return std::string(fallback);
    if (!v->is_string()) r.wrong_type("name", "null or a string", *v);
    return v->get<std::string>();
}

// Throws ValueError "<cls>: <key> must be <condition>, got <key>=<value>" unless `ok`.
template <class Value>
void require(bool ok, std::string_view cls, std::string_view key, std::string_view condition, const Value& value) {
    if (!ok) throw ValueError(cat(cls, ": ", key, " must be ", condition, ", got ", key, "=", value));
}

}  // namespace kiln::optim::detail
