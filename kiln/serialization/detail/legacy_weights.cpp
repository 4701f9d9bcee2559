// Legacy (Keras 1/2, tf.keras) weights: layer_names / weight_names order, positional matching, nested models.
#include "kiln/serialization/detail/legacy_weights.hpp"

#include <map>

#include "kiln/core/errors.hpp"
#include "kiln/serialization/detail/keras_layout.hpp"

namespace kiln::serialization::detail {
namespace {

// One entry of a weight_names attribute and its dataset (absent when the file lacks it).
struct SavedWeight {
    std::string name;
    std::string where;
    std::optional<h5read::Dataset> data;
};
using SavedWeights = std::vector<const SavedWeight*>;

struct SavedLayer {
    std::string name;
    std::vector<SavedWeight> weights;
};

std::vector<std::string> string_list(const h5read::Group& group, const std::string& attribute) {
    std::optional<std::vector<std::string>> strings = group.read_chunked_strings(attribute);
    if (!strings) group.fail(cat("has no '", attribute, "' attribute: not a Keras weights group"));
    return std::move(*strings);
}

std::vector<SavedWeight> saved_weights(const h5read::Group& group) {
    std::vector<SavedWeight> weights;
    for (std::string& name : string_list(group, "weight_names")) {
        std::string where = cat(group.path(), "/", name);
        std::optional<h5read::Dataset> data = group.find_dataset(name);
        weights.push_back({std::move(name), std::move(where), std::move(data)});
    }
    return weights;
}

// A layer's weights in the order Keras saves them (_legacy_weights): trainable, then non-trainable.
std::vector<Variable> legacy_order(const Layer& layer) {
    std::vector<Variable> order = layer.trainable_weights();
    for (const Variable& v : layer.non_trainable_weights()) order.push_back(v);
    return order;
}

std::vector<const Layer*> layers_with_weights(const ModelLayer& model) {
    std::vector<const Layer*> out;
    for (const LayerPtr& layer : model.layers())
        if (!layer->weights().empty()) out.push_back(layer.get());
    return out;
}

std::string names_of(const std::vector<const SavedWeight*>& weights) {
    std::string names;
    for (const SavedWeight* w : weights) names += cat(names.empty() ? "" : ", ", w->name);
    return names;
}

// The sublayer owning each weight by a component of its path ("sequential_1/conv2d_1/kernel:0" -> conv2d_1),
// when every weight has one and each sublayer gets as many as it has; empty otherwise.
std::vector<SavedWeights> route_by_owner(const SavedWeights& saved, const std::vector<const Layer*>& subs) {
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < subs.size(); ++i) index.emplace(subs[i]->name(), i);
    std::vector<SavedWeights> routed(subs.size());
    for (const SavedWeight* w : saved) {
        std::optional<size_t> owner;
        for (size_t start = 0, slash; !owner && (slash = w->name.find('/', start)) != std::string::npos;
             start = slash + 1)
            if (auto found = index.find(w->name.substr(start, slash - start)); found != index.end())
                owner = found->second;
        if (!owner) return {};
        routed[*owner].push_back(w);
    }
    for (size_t i = 0; i < subs.size(); ++i)
        if (routed[i].size() != subs[i]->weights().size()) return {};
    return routed;
}

// tf-keras's convert_nested_model: each sublayer takes its trainable count from the front (trainable) part and
// its non-trainable count from the rest.
std::vector<SavedWeights> split_by_counts(const SavedWeights& saved, const std::vector<const Layer*>& subs) {
    size_t trainable = 0;
    for (const Layer* sub : subs) trainable += sub->trainable_weights().size();
    std::vector<SavedWeights> split;
    size_t front = 0, back = trainable;
    for (const Layer* sub : subs) {
        SavedWeights part(saved.begin() + static_cast<ptrdiff_t>(front),
                          saved.begin() + static_cast<ptrdiff_t>(front + sub->trainable_weights().size()));
        front += sub->trainable_weights().size();
        const size_t rest = sub->non_trainable_weights().size();
        part.insert(part.end(), saved.begin() + static_cast<ptrdiff_t>(back),
                    saved.begin() + static_cast<ptrdiff_t>(back + rest));
        back += rest;
        split.push_back(std::move(part));
    }
    return split;
}

// Positional matching of saved weights to variables, counts first.
void match_list(const SavedWeights& saved, const std::vector<Variable>& expected, const std::string& saved_name,
                const std::string& owner, LoadPlan& plan) {
    if (saved.size() != expected.size())
        return plan.problem(cat("wrong count: the file's '", saved_name, "' has ", saved.size(), " weights (",
                                names_of(saved), "), ", owner, " has ", expected.size()));
    for (size_t i = 0; i < saved.size(); ++i) {
        if (saved[i]->data)
            plan.assign(*saved[i]->data, expected[i]);
        else
            plan.missing(saved[i]->where, expected[i]);
    }
}

void match_layer(const SavedWeights& saved, const Layer& layer, const std::string& saved_name, LoadPlan& plan) {
    const std::vector<Variable> expected = legacy_order(layer);
    const auto* nested = dynamic_cast<const ModelLayer*>(&layer);
    if (!nested || saved.size() != expected.size())
        return match_list(saved, expected, saved_name, layer.describe(), plan);
    const std::vector<const Layer*> subs = layers_with_weights(*nested);
    std::vector<SavedWeights> parts = route_by_owner(saved, subs);
    if (parts.empty()) parts = split_by_counts(saved, subs);
    for (size_t i = 0; i < subs.size(); ++i) match_layer(parts[i], *subs[i], saved_name, plan);
}

SavedWeights pointers(const std::vector<SavedWeight>& weights) {
    SavedWeights out;
    for (const SavedWeight& w : weights) out.push_back(&w);
    return out;
}

}  // namespace

void plan_legacy_weights(const h5read::Group& weights, const ModelLayer& model, LoadPlan& plan) {
    std::vector<SavedLayer> saved;
    for (std::string& name : string_list(weights, "layer_names")) {
        const std::optional<h5read::Group> group = weights.find_group(name);
        if (!group) {
            plan.problem(cat("missing: the group of layer '", name, "' listed in ", weights.path(), " layer_names"));
            continue;
        }
        std::vector<SavedWeight> layer_weights = saved_weights(*group);
        if (!layer_weights.empty()) saved.push_back({std::move(name), std::move(layer_weights)});
    }
    const std::vector<const Layer*> layers = layers_with_weights(model);
    if (saved.size() != layers.size()) {
        std::string file_names, model_names;
        for (const SavedLayer& s : saved) file_names += cat(file_names.empty() ? "" : ", ", s.name);
        for (const Layer* l : layers) model_names += cat(model_names.empty() ? "" : ", ", l->name());
        return plan.problem(cat("wrong count: the file has ", saved.size(), " layers with weights (", file_names, "), ",
                                model.describe(), " has ", layers.size(), " (", model_names, ")"));
    }
    for (size_t i = 0; i < saved.size(); ++i) match_layer(pointers(saved[i].weights), *layers[i], saved[i].name, plan);
    // Weights of the model object itself (tf.keras >= 2.7, Keras 3); kiln models have none of their own.
    if (const std::optional<h5read::Group> top = weights.find_group("top_level_model_weights")) {
        const std::vector<SavedWeight> top_weights = saved_weights(*top);
        match_list(pointers(top_weights), own_variables(model), "top_level_model_weights", model.describe(), plan);
    }
}

}  // namespace kiln::serialization::detail
