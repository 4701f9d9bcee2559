// Planning a strict load of a Keras 3 weights store into a model (see keras_store.hpp).
#include <algorithm>
#include <iostream>
#include <set>
#include <string>

#include "kiln/core/errors.hpp"
#include "kiln/serialization/detail/keras_layout.hpp"
#include "kiln/serialization/detail/keras_store.hpp"

namespace kiln::serialization::detail {
namespace {

const std::string checkpoint_container = "_layer_checkpoint_dependencies";

std::string joined(const std::string& parent, const std::string& child) {
    return parent.empty() ? child : cat(parent, "/", child);
}

// tf.keras 2.12-2.14 may skip counter values, so the index-th group of the class (by numeric suffix, the bare
// name counting as 0) is the layer's, not the group named with the index. nullopt when there is none.
std::optional<std::string> find_checkpoint_group(const h5read::Group& root, const std::vector<LayerKey>& keys) {
    std::string path;
    for (const LayerKey& key : keys) {
        if (key.attribute) {
            path = joined(path, key.base);
            continue;
        }
        const std::string container = joined(path, checkpoint_container);
        const std::optional<h5read::Group> group = root.find_group(container);
        if (!group) return std::nullopt;
        std::vector<std::pair<long, std::string>> candidates;
        for (const std::string& name : group->children()) {
            if (name == key.base) {
                candidates.emplace_back(0, name);
            } else if (name.size() > key.base.size() + 1 && name.size() <= key.base.size() + 10 &&
                       name.starts_with(key.base) && name[key.base.size()] == '_') {
                const std::string suffix = name.substr(key.base.size() + 1);
                if (std::all_of(suffix.begin(), suffix.end(), [](char c) { return c >= '0' && c <= '9'; }))
                    candidates.emplace_back(std::stol(suffix), name);
            }
        }
        std::sort(candidates.begin(), candidates.end());
        if (static_cast<size_t>(key.index) >= candidates.size()) return std::nullopt;
        path = joined(container, candidates[static_cast<size_t>(key.index)].second);
    }
    return path;
}

void plan_optimizer(const h5read::Group& root, const Model& model, LoadPlan& plan, OptimizerMismatch mismatch) {
    if (!model.compiled()) return;
    const std::optional<h5read::Group> vars = root.find_group("optimizer/vars");
    if (!vars) return;
    const std::vector<std::string> stored = vars->dataset_paths();
    if (stored.empty()) return;
    optim::Optimizer& optimizer = model.optimizer();
    std::vector<std::pair<std::string, Tensor>> own = optimizer.variables();
    // A compiled model that has not trained yet has no slots: create them as its first step would.
    if (own.size() != stored.size()) {
        optimizer.build(model.trainable_weights());
        own = optimizer.variables();
    }
    if (own.size() != stored.size() && mismatch == OptimizerMismatch::skip_with_warning) {
        // Keras 3 (BaseOptimizer.load_own_variables) warns and keeps the optimizer as it is.
        std::cerr << "kiln: warning: skipping the saved optimizer state: optimizer '" << optimizer.name() << "' has "
                  << own.size() << " variables, the file holds " << stored.size() << "\n";
        return;
    }
    std::set<std::string> consumed;
    std::vector<std::pair<std::string, Tensor>> state;
    for (size_t i = 0; i < own.size(); ++i) {
        const std::string key = std::to_string(i);
        const std::string name = cat(optimizer.name(), "/", own[i].first);
        const std::optional<h5read::Dataset> data = vars->find_dataset(key);
        if (!data) {
            plan.missing(cat("/optimizer/vars/", key), name, own[i].second.shape());
            continue;
        }
        consumed.insert(key);
        Tensor value = plan.read(*data, name, own[i].second.shape());
        if (value.defined()) state.emplace_back(own[i].first, std::move(value));
    }
    for (const std::string& key : stored)
        if (!consumed.contains(key)) plan.unexpected(*vars, key);
    if (state.size() == own.size()) plan.restore(optimizer, std::move(state));
}

}  // namespace

void plan_keras_weights(const h5read::Group& root, const Model& model, LoadPlan& plan,
                        OptimizerMismatch optimizer_mismatch) {
    const bool checkpoint =
        root.kind("layers") != h5read::Kind::group && root.kind(checkpoint_container) == h5read::Kind::group;
    const std::string container = checkpoint ? checkpoint_container : "layers";
    std::set<std::string> consumed;
    for (const Saveable& saveable : saveables(*model.layer())) {
        const std::optional<std::string> group = checkpoint ? find_checkpoint_group(root, saveable.keys)
                                                            : std::optional(layer_path(saveable.keys));
        const std::string vars = vars_path(group ? *group : layer_path(saveable.keys, container));
        const std::optional<h5read::Group> vars_group = group ? root.find_group(vars) : std::nullopt;
        for (size_t i = 0; i < saveable.variables.size(); ++i) {
            const std::string key = std::to_string(i);
            const std::optional<h5read::Dataset> data = vars_group ? vars_group->find_dataset(key) : std::nullopt;
            if (!data) {
                plan.missing(cat("/", vars, "/", key), saveable.variables[i]);
                continue;
            }
            consumed.insert(data->path());
            plan.assign(*data, saveable.variables[i]);
        }
    }
    for (const std::string& path : root.dataset_paths()) {
        const bool weights = path.starts_with("vars/") || path.starts_with(cat(container, "/"));
        if (weights && !consumed.contains(cat("/", path))) plan.unexpected(root, path);
    }
    plan_optimizer(root, model, plan, optimizer_mismatch);
}

}  // namespace kiln::serialization::detail
