// The Keras 3 .keras archive: a zip of metadata.json, config.json and model.weights.h5, stored uncompressed as
// Keras writes it. These functions move the three members in and out; the model's config and weights come from
// the config helpers and from save_weights_to_bytes / load_weights_from_bytes (weights_file.hpp).
#pragma once

#include <string>

namespace kiln::serialization {

// The members of a .keras archive kiln uses.
struct KerasArchive {
    std::string config_json{};
    std::string metadata_json{};
    std::string weights_h5{};  // the bytes of model.weights.h5
};

// The zip bytes of an archive: metadata.json, config.json, model.weights.h5, in Keras's order, stored.
std::string keras_archive_bytes(const KerasArchive& archive);
// The members of the zip `bytes`; `label` names it in errors. IOError for data that is not a zip, a truncated
// zip, a member whose CRC does not match, or a missing member (naming the members present);
// NotImplementedError for weights in the npz format.
KerasArchive parse_keras_archive(const std::string& bytes, const std::string& label);

// Writes the archive to `path` atomically (a failure leaves an existing file as it was).
void write_keras_archive(const std::string& path, const std::string& config_json, const std::string& metadata_json,
                         const std::string& weights_h5_bytes);
// Reads the archive at `path` (see parse_keras_archive).
KerasArchive read_keras_archive(const std::string& path);

}  // namespace kiln::serialization
