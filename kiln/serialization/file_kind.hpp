// Telling Keras model and weight files apart by their content (no file says which layout it uses).
#pragma once

#include <string>

namespace kiln::serialization {

enum class FileKind {
    keras_archive,   // a zip: the Keras 3 .keras archive (config.json, metadata.json, model.weights.h5)
    keras_weights,   // HDF5 with root groups layers/ and vars/: a Keras 3 .weights.h5 store
    legacy_model,    // HDF5 with a model_config attribute: Keras 1/2 or tf.keras model.save("x.h5")
    legacy_weights,  // HDF5 with a layer_names attribute: Keras 1/2 or tf.keras model.save_weights("x.h5")
};

// The kind of the file at `path`, from its first bytes and, for HDF5, its root attributes and groups (a file with
// both a model_config and layer groups is a legacy model). IOError names the path when it cannot be read or is
// none of these.
FileKind detect_file_kind(const std::string& path);

}  // namespace kiln::serialization
