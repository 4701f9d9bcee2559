#include "kiln/layers/config_reader.hpp"

#include <limits>

#include "kiln/core/errors.hpp"
#include "kiln/core/limits.hpp"
#include "kiln/layers/constraints.hpp"
#include "kiln/layers/initializers.hpp"
#include "kiln/layers/regularizers.hpp"

namespace kiln {
namespace {
const nlohmann::json kNull = nullptr;
}

ConfigReader::ConfigReader(const nlohmann::json& config, std::string class_name)
    : config_(config), class_name_(std::move(class_name)) {
    if (!config_.is_object())
        throw ValueError(cat(class_name_, ": a config must be a JSON object, got ", config_.type_name()));
}

std::string ConfigReader::where(const std::string& key) const { return cat(class_name_, " config key '", key, "'"); }

bool ConfigReader::has(const std::string& key) const { return config_.contains(key) && !config_.at(key).is_null(); }

const nlohmann::json& ConfigReader::raw(const std::string& key) {
    read_.insert(key);
    return config_.contains(key) ? config_.at(key) : kNull;
}

double ConfigReader::number(const std::string& key, double fallback) {
    const auto& v = raw(key);
    if (v.is_null()) return fallback;
    if (!v.is_number()) throw ValueError(cat(where(key), ": expected a number, got ", v.dump()));
    return v.get<double>();
}

int64_t ConfigReader::integer(const std::string& key, int64_t fallback) {
    const auto& v = raw(key);
    if (v.is_null()) return fallback;
    // Accept 3.0 as 3 (some writers emit floats), but not 3.5, nor a float outside int64 (converting that is
    // undefined behaviour).
    if (v.is_number_float()) {
        const double d = v.get<double>();
        if (d >= -0x1p63 && d < 0x1p63 && d == static_cast<double>(static_cast<int64_t>(d)))
            return static_cast<int64_t>(d);
    }
    return checked_integer(v, key);
}

int64_t ConfigReader::checked_integer(const nlohmann::json& v, const std::string& key) const {
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        throw ValueError(cat(where(key), ": ", v.dump(), " does not fit in a 64-bit integer"));
    if (!v.is_number_integer()) throw ValueError(cat(where(key), ": expected an integer, got ", v.dump()));
    return v.get<int64_t>();
}

int64_t ConfigReader::checked_size(int64_t value, const std::string& key) const {
    if (value < 1 || value > max_variable_elements())
        throw ValueError(cat(where(key), ": expected a size from 1 to ", max_variable_elements(),
                             " (kiln::set_max_variable_elements raises the limit), got ", value));
    return value;
}

int64_t ConfigReader::size(const std::string& key, int64_t fallback) {
    if (!has(key)) {
        read_.insert(key);
        return fallback;
    }
    return checked_size(integer(key, fallback), key);
}

std::array<int64_t, 2> ConfigReader::size_pair(const std::string& key, const std::array<int64_t, 2>& fallback) {
    if (!has(key)) {
        read_.insert(key);
        return fallback;
    }
    const std::vector<int64_t> values = int_list(key, {});
    if (values.size() != 1 && values.size() != 2)
        throw ValueError(cat(where(key), ": expected an integer or a list of 2 integers, got ", raw(key).dump()));
    for (const int64_t v : values) checked_size(v, key);
    return {values.front(), values.back()};
}

bool ConfigReader::boolean(const std::string& key, bool fallback) {
    const auto& v = raw(key);
    if (v.is_null()) return fallback;
    if (!v.is_boolean()) throw ValueError(cat(where(key), ": expected true or false, got ", v.dump()));
    return v.get<bool>();
}

std::string ConfigReader::string(const std::string& key, const std::string& fallback) {
    const auto& v = raw(key);
    if (v.is_null()) return fallback;
    if (!v.is_string()) throw ValueError(cat(where(key), ": expected a string, got ", v.dump()));
    return v.get<std::string>();
}

std::optional<double> ConfigReader::optional_number(const std::string& key) {
    if (!has(key)) {
        read_.insert(key);
        return std::nullopt;
    }
    return number(key, 0.0);
}

std::optional<int64_t> ConfigReader::optional_integer(const std::string& key) {
    if (!has(key)) {
        read_.insert(key);
        return std::nullopt;
    }
    return integer(key, 0);
}

std::vector<int64_t> ConfigReader::int_list(const std::string& key, const std::vector<int64_t>& fallback,
                                            bool* was_list) {
    const auto& v = raw(key);
    if (was_list) *was_list = v.is_array();
    if (v.is_null()) return fallback;
    if (v.is_number_integer()) return {checked_integer(v, key)};
    if (!v.is_array()) throw ValueError(cat(where(key), ": expected an integer or a list of integers, got ", v.dump()));
    std::vector<int64_t> out;
    for (const auto& item : v) {
        if (!item.is_number_integer())
            throw ValueError(cat(where(key), ": expected a list of integers, got ", v.dump()));
        out.push_back(checked_integer(item, key));
    }
    return out;
}

std::variant<int64_t, std::vector<int64_t>> ConfigReader::int_or_list(const std::string& key, int64_t fallback) {
    bool was_list = false;
    std::vector<int64_t> values = int_list(key, {fallback}, &was_list);
    if (was_list) return values;
    return values.at(0);
}

InitializerPtr ConfigReader::initializer(const std::string& key, const std::string& fallback_name) {
    const auto& v = raw(key);
    try {
        return v.is_null() ? initializers::get(fallback_name) : initializers::deserialize(v);
    } catch (const ValueError& e) {
        throw ValueError(cat(where(key), ": ", e.what()));
    }
}

RegularizerPtr ConfigReader::regularizer(const std::string& key) {
    const auto& v = raw(key);
    if (v.is_null()) return nullptr;
    try {
        return regularizers::deserialize(v);
    } catch (const ValueError& e) {
        throw ValueError(cat(where(key), ": ", e.what()));
    }
}

ConstraintPtr ConfigReader::constraint(const std::string& key) {
    const auto& v = raw(key);
    if (v.is_null()) return nullptr;
    try {
        return constraints::deserialize(v);
    } catch (const ValueError& e) {
        throw ValueError(cat(where(key), ": ", e.what()));
    }
}

void ConfigReader::read_base(std::string& name, bool& trainable) {
    name = string("name", "");
    trainable = boolean("trainable", true);
    const auto& dtype = raw("dtype");
    std::string dtype_name = "float32";
    if (dtype.is_string()) {
        dtype_name = dtype.get<std::string>();
    } else if (dtype.is_object()) {
        // Keras 3 writes {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}}.
        const auto& inner = dtype.contains("config") ? dtype.at("config") : dtype;
        if (!inner.contains("name") || !inner.at("name").is_string())
            throw ValueError(cat(where("dtype"), ": a dtype policy without a name: ", dtype.dump()));
        dtype_name = inner.at("name").get<std::string>();
    } else if (!dtype.is_null()) {
        throw ValueError(cat(where("dtype"), ": expected a string or a DTypePolicy, got ", dtype.dump()));
    }
    if (dtype_name != "float32")
        throw NotImplementedError(cat(where("dtype"), ": dtype '", dtype_name, "' is not supported; kiln computes in float32"));
}

void ConfigReader::ignore(const std::string& key) { read_.insert(key); }

void ConfigReader::finish() const {
    std::string unknown;
    for (const auto& [key, value] : config_.items())
        if (!read_.count(key)) unknown += (unknown.empty() ? "'" : ", '") + key + "'";
    if (!unknown.empty()) throw ValueError(cat(class_name_, " config: unsupported or unknown keys ", unknown));
}

}  // namespace kiln
