// Internal: the machinery shared by the Keras object families (initializers, regularizers, constraints, losses,
// metrics, optimizers): lookup by Keras name,
// reading a Keras config dict with type checks and unknown-key detection, and the Keras 3 serialized dict form.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiln/core/errors.hpp"

namespace kiln::detail {

// Reads the config of one object being deserialized; every error names the class and the key.
class ConfigReader {
public:
    // `config` must be a JSON object; it must outlive the reader.
    ConfigReader(std::string_view class_name, const nlohmann::json& config) : class_name_(class_name), config_(config) {
        if (!config_.is_object())
            throw ValueError(cat(class_name_, ": config must be a JSON object, got ", config_.dump()));
    }

    // The value of `key`, or nullptr when absent; marks the key as read.
    const nlohmann::json* find(std::string_view key) {
        read_.emplace(key);
        const auto it = config_.find(key);
        return it == config_.end() ? nullptr : &*it;
    }

    // A number (integer or float), or `fallback` when absent.
    double number(std::string_view key, double fallback) {
        const nlohmann::json* v = find(key);
        if (!v) return fallback;
        if (!v->is_number()) wrong_type(key, "a number", *v);
        return v->get<double>();
    }

    // A string, or `fallback` when absent.
    std::string string(std::string_view key, std::string fallback) {
        const nlohmann::json* v = find(key);
        if (!v) return fallback;
        if (!v->is_string()) wrong_type(key, "a string", *v);
        return v->get<std::string>();
    }

    // `v` (the value of `key`) as an integer.
    int64_t integer_value(std::string_view key, const nlohmann::json& v) const {
        if (!v.is_number_integer()) wrong_type(key, "an integer", v);
        return v.get<int64_t>();
    }

    // The "seed" key: absent or null gives no seed, otherwise a non-negative integer.
    std::optional<uint64_t> seed() {
        const nlohmann::json* v = find("seed");
        if (!v || v->is_null()) return std::nullopt;
        if (v->is_number_unsigned()) return v->get<uint64_t>();
        if (v->is_number_integer() && v->get<int64_t>() >= 0) return static_cast<uint64_t>(v->get<int64_t>());
        wrong_type("seed", "null or a non-negative integer", *v);
    }

    // Throws ValueError naming the class and the first key of the config that no accessor asked for.
    void check_all_read() const {
        for (const auto& [key, value] : config_.items())
            if (!read_.count(key)) throw ValueError(cat(class_name_, ": unknown config key '", key, "'"));
    }

    // Throws ValueError: `key` holds `v`, which is not `expected`.
    [[noreturn]] void wrong_type(std::string_view key, std::string_view expected, const nlohmann::json& v) const {
        throw ValueError(cat(class_name_, ": config key '", key, "' must be ", expected, ", got ", v.dump()));
    }

private:
    std::string class_name_;
    const nlohmann::json& config_;
    std::set<std::string, std::less<>> read_;
};

// A seed as Keras writes it in a config: null or the integer.
inline nlohmann::json seed_to_json(const std::optional<uint64_t>& seed) {
    return seed ? nlohmann::json(*seed) : nlohmann::json(nullptr);
}

// The named classes of one family (Base: Initializer, Regularizer or Constraint) and their Keras identifiers.
template <class Base>
class Registry {
public:
    using Ptr = std::shared_ptr<const Base>;
    // Builds an object from its config; keys it does not read are reported by the registry.
    using Factory = Ptr (*)(ConfigReader&);
    struct Entry {
        std::string_view class_name;             // Keras 3 class name, e.g. "GlorotUniform"
        std::vector<std::string_view> aliases;   // snake_case and legacy names, e.g. "glorot_uniform"
        Factory make;
    };

    // `family` names the kind in messages ("initializer"); `module` is the Keras module ("keras.initializers").
    Registry(std::string_view family, std::string_view module, std::vector<Entry> entries)
        : family_(family), module_(module), entries_(std::move(entries)) {}

    // A default-configured object from a class name or an alias.
    Ptr get(std::string_view name) const { return build(name, nlohmann::json::object()); }

    // From a name string, a Keras 3 dict {"module", "class_name", "config", "registered_name"} or a legacy Keras 2
    // dict {"class_name", "config"}.
    Ptr deserialize(const nlohmann::json& j) const {
        if (j.is_string()) return get(j.get<std::string>());
        if (!j.is_object()) throw ValueError(cat(what(), ": expected a name or a dict, got ", j.dump()));
        for (const auto& [key, value] : j.items())
            if (key != "module" && key != "class_name" && key != "config" && key != "registered_name")
                throw ValueError(cat(what(), ": unknown key '", key, "' in ", j.dump()));
        const auto module = j.find("module");
        if (module != j.end() && (!module->is_string() || module->get<std::string>() != module_))
            throw ValueError(cat(what(), ": module must be \"", module_, "\", got ", module->dump()));
        const auto registered = j.find("registered_name");
        if (registered != j.end() && !registered->is_null())
            throw ValueError(cat(what(), ": custom objects are not supported, got registered_name ",
                                 registered->dump()));
        const auto class_name = j.find("class_name");
        if (class_name == j.end() || !class_name->is_string())
            throw ValueError(cat(what(), ": a dict needs a string \"class_name\", got ", j.dump()));
        const auto config = j.find("config");
        return build(class_name->get<std::string>(), config == j.end() ? nlohmann::json::object() : *config);
    }

    // The Keras 3 dict form of `object`.
    nlohmann::json serialize(const Base& object) const {
        return {{"module", module_},
                {"class_name", object.class_name()},
                {"config", object.get_config()},
                {"registered_name", nullptr}};
    }

private:
    std::string what() const { return cat(plural(), ".deserialize"); }
    // "losses" from the module "keras.losses": the family's name in messages.
    std::string_view plural() const { return module_.substr(module_.rfind('.') + 1); }

    Ptr build(std::string_view name, const nlohmann::json& config) const {
        for (const Entry& e : entries_) {
            bool match = e.class_name == name;
            for (std::string_view alias : e.aliases) match = match || alias == name;
            if (!match) continue;
            ConfigReader reader(e.class_name, config);
            Ptr object = e.make(reader);
            reader.check_all_read();
            return object;
        }
        std::string known;
        for (const Entry& e : entries_) known += cat(known.empty() ? "" : ", ", e.class_name);
        throw ValueError(cat(plural(), ": unknown ", family_, " '", name, "' (known classes: ", known, ")"));
    }

    std::string_view family_;
    std::string_view module_;
    std::vector<Entry> entries_;
};

}  // namespace kiln::detail
