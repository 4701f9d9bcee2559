// Reading one layer entry of a model config, and the path and error-context helpers every model reader uses.
#include <algorithm>
#include <new>
#include <stdexcept>

#include "kiln/core/errors.hpp"
#include "kiln/core/limits.hpp"
#include "kiln/serialization/detail/reading.hpp"
#include "kiln/serialization/legacy_config.hpp"
#include "kiln/serialization/registry.hpp"

namespace kiln::serialization::detail {
namespace {

// A value for an error message, cut short.
std::string excerpt(const nlohmann::json& value) {
    std::string text = value.dump();
    if (text.size() > 200) text = text.substr(0, 200) + "...";
    return text;
}

// The name a layer entry gives its layer: config.name, else the entry-level name (Functional entries), else "".
std::string entry_name(const nlohmann::json& entry) {
    const auto config = entry.find("config");
    if (config != entry.end() && config->is_object() && config->contains("name") && config->at("name").is_string())
        return config->at("name").get<std::string>();
    const auto name = entry.find("name");
    return name != entry.end() && name->is_string() ? name->get<std::string>() : std::string();
}

// Custom classes carry registered_name "package>Name"; kiln's layers have null (or their own class name).
void check_registered_name(const nlohmann::json& entry, const std::string& class_name) {
    const auto registered = entry.find("registered_name");
    if (registered == entry.end() || registered->is_null()) return;
    if (registered->is_string() && registered->get<std::string>() == class_name) return;
    std::string module = entry.contains("module") ? entry.at("module").dump() : "none";
    throw ValueError(cat("custom class registered as ", registered->dump(), " (module ", module,
                         ") is not known to kiln"));
}

}  // namespace

std::string join_path(const std::string& path, std::string_view key) {
    std::string out = path;
    if (!out.empty()) out += '.';
    out += key;
    return out;
}

std::string index_path(const std::string& path, size_t index) { return cat(path, "[", index, "]"); }

void rethrow_with_context(const std::string& context) {
    auto message = [&context](const char* what) {
        std::string text = context;
        text += ": ";
        text += what;
        return text;
    };
    try {
        throw;
    } catch (const ShapeError& e) {
        throw ShapeError(message(e.what()));
    } catch (const NotImplementedError& e) {
        throw NotImplementedError(message(e.what()));
    } catch (const StateError& e) {
        throw StateError(message(e.what()));
    } catch (const IOError& e) {
        throw IOError(message(e.what()));
    } catch (const MemoryError& e) {
        throw MemoryError(message(e.what()));
    } catch (const std::bad_alloc&) {
        throw MemoryError(message("not enough memory for what the config describes"));
    } catch (const std::length_error& e) {
        throw MemoryError(message(cat("a size too large for memory (", e.what(), ")").c_str()));
    } catch (const std::exception& e) {
        // ValueError, and anything else (a JSON type error from a malformed value) as a ValueError.
        throw ValueError(message(e.what()));
    }
}

void check_keys(const nlohmann::json& object, const std::string& path,
                std::initializer_list<std::string_view> allowed) {
    for (const auto& [key, value] : object.items())
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
            throw ValueError(cat(path.empty() ? "the model config" : path, ": unsupported or unknown key '", key, "'"));
}

const nlohmann::json& require(const nlohmann::json& object, const std::string& path, const std::string& key) {
    const auto found = object.find(key);
    if (found == object.end() || found->is_null())
        throw ValueError(cat(join_path(path, key), ": required key is missing"));
    return *found;
}

BatchShape parse_batch_shape(const nlohmann::json& value, const std::string& where) {
    if (!value.is_array() || value.empty())
        throw ValueError(cat(where, ": expected a non-empty list of integers or nulls, got ", excerpt(value)));
    BatchShape shape;
    for (const auto& d : value) {
        if (d.is_null())
            shape.emplace_back();
        else if (d.is_number_integer() && d.get<int64_t>() >= 0 && d.get<int64_t>() <= max_variable_elements())
            shape.emplace_back(d.get<int64_t>());
        else
            throw ValueError(cat(where, ": expected sizes from 0 to ", max_variable_elements(),
                                 " (kiln::set_max_variable_elements raises the limit) or nulls, got ", excerpt(value)));
    }
    return shape;
}

SymbolicTensor input_tensor(const std::shared_ptr<layers::InputLayerLayer>& layer) {
    const auto& o = layer->options();
    Shape shape{o.batch_size ? *o.batch_size : -1};
    for (const auto& d : o.shape) shape.push_back(d ? *d : -1);
    return SymbolicTensor(std::make_shared<Node>(Node{layer, {}, std::nullopt, {shape}, false}));
}

std::shared_ptr<layers::InputLayerLayer> make_input_layer(const BatchShape& batch_shape, const std::string& name) {
    layers::InputLayerOptions o;
    o.batch_size = batch_shape.at(0);
    o.shape.assign(batch_shape.begin() + 1, batch_shape.end());
    o.name = name;
    return std::make_shared<layers::InputLayerLayer>(o);
}

bool is_model_class(std::string_view class_name) {
    return class_name == "Sequential" || class_name == "Functional" || class_name == "Model";
}

bool read_model_trainable(const nlohmann::json& config, const std::string& path) {
    if (config.contains("dtype") && !config.at("dtype").is_null()) {
        const auto name = dtype_name(normalize_dtype(config.at("dtype")));
        if (name != "float32")
            throw NotImplementedError(cat(join_path(path, "dtype"), ": dtype ", excerpt(config.at("dtype")),
                                          " is not supported; kiln computes in float32"));
    }
    const auto trainable = config.find("trainable");
    if (trainable == config.end() || trainable->is_null()) return true;
    if (!trainable->is_boolean())
        throw ValueError(cat(join_path(path, "trainable"), ": expected true or false, got ", excerpt(*trainable)));
    return trainable->get<bool>();
}

std::string read_model_name(const nlohmann::json& config, const std::string& path) {
    const nlohmann::json name = config.value("name", nlohmann::json());
    if (!name.is_null() && !name.is_string())
        throw ValueError(cat(join_path(path, "name"), ": expected a string, got ", excerpt(name)));
    return name.is_string() ? name.get<std::string>() : std::string();
}

LayerEntry read_layer_entry(const nlohmann::json& entry, const std::string& path,
                            std::initializer_list<std::string_view> extra_keys) {
    if (!entry.is_object())
        throw ValueError(cat(path, ": a layer entry must be an object {\"class_name\", \"config\", ...}, got ",
                             excerpt(entry)));
    const auto class_it = entry.find("class_name");
    if (class_it == entry.end() || !class_it->is_string())
        throw ValueError(cat(path, ": a layer entry needs a string 'class_name', got ", excerpt(entry)));
    LayerEntry out;
    out.class_name = class_it->get<std::string>();
    const std::string context = cat(path, " (class '", out.class_name, "', name '", entry_name(entry), "')");
    const std::string config_path = join_path(path, "config");
    try {
        for (const auto& [key, value] : entry.items()) {
            const bool object_key = key == "class_name" || key == "config" || key == "module" ||
                                    key == "registered_name" || key == "build_config" || key == "compile_config" ||
                                    key == "shared_object_id" || key == "__passive_serialization__";
            if (!object_key && std::find(extra_keys.begin(), extra_keys.end(), key) == extra_keys.end())
                throw ValueError(cat("unsupported or unknown key '", key, "' in the layer entry"));
        }
        check_registered_name(entry, out.class_name);
    } catch (...) {
        rethrow_with_context(context);
    }
    const nlohmann::json config = entry.contains("config") ? entry.at("config") : nlohmann::json::object();
    // Nested models name their own errors with full paths.
    if (out.class_name == "Sequential") {
        out.layer = sequential_from_config(config, config_path);
        return out;
    }
    if (is_model_class(out.class_name)) {
        out.layer = functional_from_config(config, config_path);
        return out;
    }
    try {
        NormalizedConfig normalized = normalize_layer_config(out.class_name, config, config_path);
        out.input_shape = std::move(normalized.input_shape);
        out.layer = layer_from_config(out.class_name, normalized.config);
    } catch (...) {
        rethrow_with_context(context);
    }
    return out;
}

}  // namespace kiln::serialization::detail
