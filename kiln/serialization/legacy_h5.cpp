// Legacy Keras HDF5 files: the full-model file's attributes, and loading either kind's weights.
#include "kiln/serialization/legacy_h5.hpp"

#include "kiln/core/detail/loader_boundary.hpp"
#include "kiln/core/errors.hpp"
#include "kiln/serialization/detail/h5read/reader.hpp"
#include "kiln/serialization/detail/legacy_weights.hpp"

namespace kiln::serialization {
namespace {

using detail::h5read::Group;

std::string optional_string(const Group& root, const std::string& name) {
    return root.has_attribute(name) ? root.read_string(name) : std::string();
}

bool has_layer_names(const Group& group) {
    return group.has_attribute("layer_names") || group.has_attribute("layer_names0");
}

}  // namespace

LegacyH5Model read_legacy_h5_model(const std::string& path) {
    return kiln::detail::guarded_load(cat("load_model: '", path, "'"), [&] {
        const detail::h5read::File file = detail::h5read::File::open(path);
        const Group root = file.root();
        if (!root.has_attribute("model_config"))
            throw IOError(cat("'", path, "' is not a legacy Keras model file: its root has no model_config attribute"));
        LegacyH5Model model;
        model.model_config = root.read_string("model_config");
        if (root.has_attribute("training_config")) model.training_config = root.read_string("training_config");
        model.keras_version = optional_string(root, "keras_version");
        model.backend = optional_string(root, "backend");
        return model;
    });
}

void load_legacy_weights(const Model& model, const std::string& path) {
    return kiln::detail::guarded_load(cat("load_weights: '", path, "'"), [&] {
        const detail::h5read::File file = detail::h5read::File::open(path);
        const Group root = file.root();
        // As Keras: the weights are at the root of a weights-only file, else in model_weights.
        std::optional<Group> weights;
        if (!has_layer_names(root)) weights = root.find_group("model_weights");
        const Group& group = weights ? *weights : root;
        if (!has_layer_names(group))
            throw IOError(cat("'", path, "' holds no legacy Keras weights: no layer_names attribute at its root or in "
                              "model_weights"));
        detail::LoadPlan plan(cat("load_weights: '", path, "' does not fit ", model->describe()));
        detail::plan_legacy_weights(group, *model.layer(), plan);
        plan.commit();
    });
}

}  // namespace kiln::serialization
