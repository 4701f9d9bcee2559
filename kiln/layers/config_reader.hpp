// ConfigReader: reads a layer's Keras config (JSON) strictly. Each key is taken once with its type checked;
// absent keys and nulls give the default; finish() rejects every key nobody took, naming the layer and key.
#pragma once

#include <nlohmann/json.hpp>
#include <array>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "kiln/layers/layer.hpp"

namespace kiln {

class ConfigReader {
public:
    // `class_name` names the layer in errors; `config` must be a JSON object.
    ConfigReader(const nlohmann::json& config, std::string class_name);

    bool has(const std::string& key) const;
    // The raw value (null when absent); marks the key as read.
    const nlohmann::json& raw(const std::string& key);
    double number(const std::string& key, double fallback);
    int64_t integer(const std::string& key, int64_t fallback);
    bool boolean(const std::string& key, bool fallback);
    std::string string(const std::string& key, const std::string& fallback);
    std::optional<double> optional_number(const std::string& key);
    std::optional<int64_t> optional_integer(const std::string& key);
    // A size (units, filters, a window side): an integer from 1 to kiln::max_variable_elements(), so that a
    // damaged config fails here, naming the key, rather than as an overflow or a huge allocation later.
    // `fallback` (when the key is absent or null) is not checked.
    int64_t size(const std::string& key, int64_t fallback);
    // A size or a list of two sizes (kernel_size, strides, pool_size); one size is used for both.
    std::array<int64_t, 2> size_pair(const std::string& key, const std::array<int64_t, 2>& fallback);
    // An int or a list of ints; a single int gives a list of one with `was_list` false.
    std::vector<int64_t> int_list(const std::string& key, const std::vector<int64_t>& fallback, bool* was_list = nullptr);
    // An int or a list of ints kept in the form it was written (Keras's int axis vs tf.keras's list axis).
    std::variant<int64_t, std::vector<int64_t>> int_or_list(const std::string& key, int64_t fallback);
    InitializerPtr initializer(const std::string& key, const std::string& fallback_name);
    RegularizerPtr regularizer(const std::string& key);
    ConstraintPtr constraint(const std::string& key);

    // name, trainable and dtype (a string or a DTypePolicy dict; only float32 is accepted).
    void read_base(std::string& name, bool& trainable);
    // Marks keys that kiln accepts and ignores (each documented where it is called).
    void ignore(const std::string& key);
    // Throws ValueError naming the layer and every key that was not read.
    void finish() const;

    // "BatchNormalization config key 'momentum'": how errors name a key.
    std::string where(const std::string& key) const;

private:
    // `v` as an int64; ValueError naming `key` for non-integers and integers beyond int64.
    int64_t checked_integer(const nlohmann::json& v, const std::string& key) const;
    int64_t checked_size(int64_t value, const std::string& key) const;

    const nlohmann::json& config_;
    std::string class_name_;
    std::set<std::string> read_;
};

}  // namespace kiln
