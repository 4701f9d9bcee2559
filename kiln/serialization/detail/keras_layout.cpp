// The Keras 3 weights-store layout: snake_case keys with per-class counters, and the walk over a model's layers.
#include "kiln/serialization/detail/keras_layout.hpp"

#include <map>
#include <regex>
#include <cctype>
#include <set>

#include "kiln/core/errors.hpp"

namespace kiln::serialization::detail {
namespace {

void walk(const ModelLayer& model, const std::vector<LayerKey>& prefix, std::set<const Layer*>& visited,
          std::vector<Saveable>& out);

void check_built(const Layer& layer, const Layer& owner) {
    if (!layer.built())
        throw StateError(cat(layer.describe(), " in ", owner.describe(),
                             " is not built: call the model on data, or start it with an Input, before saving "
                             "or loading its weights"));
}

// `layer` at `keys`, then what it holds: a nested model's layers, or a wrapper's layer.
void visit(const Layer& layer, const std::vector<LayerKey>& keys, std::set<const Layer*>& visited,
           std::vector<Saveable>& out) {
    out.push_back({keys, &layer, own_variables(layer)});
    if (const auto* nested = dynamic_cast<const ModelLayer*>(&layer)) {
        walk(*nested, keys, visited, out);
    } else if (const auto* wrapper = dynamic_cast<const layers::WrapperLayer*>(&layer)) {
        const Layer& wrapped = *wrapper->layer();
        if (!visited.insert(&wrapped).second) return;
        check_built(wrapped, layer);
        std::vector<LayerKey> inner = keys;
        inner.push_back({"layer", 0, true});
        visit(wrapped, inner, visited, out);
    } else if (!layer.sublayers().empty()) {
        throw NotImplementedError(cat(layer.describe(),
                                      ": a layer holding sublayers outside a model has no place in a Keras "
                                      "weights file (Keras files them under attribute names)"));
    }
}

void walk(const ModelLayer& model, const std::vector<LayerKey>& prefix, std::set<const Layer*>& visited,
          std::vector<Saveable>& out) {
    std::map<std::string, int> used;
    for (const LayerPtr& layer : model.layers()) {
        std::string base = to_snake_case(layer->class_name());
        // The counter advances for a layer seen before too, as Keras's _get_unique_name does.
        auto [it, first] = used.try_emplace(base, 0);
        if (!first) ++it->second;
        const int index = it->second;
        if (!visited.insert(layer.get()).second) continue;
        check_built(*layer, model);
        std::vector<LayerKey> keys = prefix;
        keys.push_back({std::move(base), index});
        visit(*layer, keys, visited, out);
    }
}

}  // namespace

std::string to_snake_case(std::string_view class_name) {
    static const std::regex non_word(R"(\W+)");
    static const std::regex word_start("(.)([A-Z][a-z]+)");
    static const std::regex lower_upper("([a-z])([A-Z])");
    std::string name = std::regex_replace(std::string(class_name), non_word, "");
    name = std::regex_replace(name, word_start, "$1_$2");
    name = std::regex_replace(name, lower_upper, "$1_$2");
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return name;
}

std::string LayerKey::name() const { return index == 0 ? base : cat(base, "_", index); }

std::vector<Variable> own_variables(const Layer& layer) { return layer.own_weights(); }

std::vector<Saveable> saveables(const ModelLayer& model) {
    std::vector<Saveable> out;
    out.push_back({{}, &model, own_variables(model)});
    std::set<const Layer*> visited{&model};
    walk(model, {}, visited, out);
    return out;
}

std::string layer_path(const std::vector<LayerKey>& keys, const std::string& container) {
    std::string path;
    for (const LayerKey& key : keys) {
        if (!path.empty()) path += '/';
        if (!key.attribute) {
            path += container;
            path += '/';
        }
        path += key.name();
    }
    return path;
}

std::string vars_path(const std::string& layer_group) {
    return layer_group.empty() ? std::string("vars") : cat(layer_group, "/vars");
}

}  // namespace kiln::serialization::detail
