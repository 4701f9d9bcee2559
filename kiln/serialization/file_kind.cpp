// Sniffing Keras file layouts: zip magic, else the HDF5 signature and what the HDF5 root holds.
#include "kiln/serialization/file_kind.hpp"

#include <fstream>

#include "kiln/core/errors.hpp"
#include "kiln/serialization/detail/h5read/reader.hpp"

namespace kiln::serialization {
namespace {

constexpr std::string_view zip_local_header = "PK\x03\x04";
constexpr std::string_view zip_empty_archive = "PK\x05\x06";
constexpr std::string_view hdf5_signature = "\x89HDF\r\n\x1a\n";

}  // namespace

FileKind detect_file_kind(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IOError(cat("cannot open '", path, "': no such file, or no permission to read it"));
    std::string head(8, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<size_t>(in.gcount()));
    if (head.starts_with(zip_local_header) || head.starts_with(zip_empty_archive)) return FileKind::keras_archive;
    if (head != hdf5_signature)
        throw IOError(cat("'", path, "' is neither a zip archive (.keras) nor an HDF5 file (.h5): it starts with ",
                          head.size(), " bytes that are no such signature"));
    const detail::h5read::File file = detail::h5read::File::open(path);
    const detail::h5read::Group root = file.root();
    if (root.has_attribute("model_config")) return FileKind::legacy_model;
    if (root.has_attribute("layer_names") || root.has_attribute("layer_names0")) return FileKind::legacy_weights;
    for (const char* group : {"layers", "vars", "_layer_checkpoint_dependencies"})
        if (root.kind(group) == detail::h5read::Kind::group) return FileKind::keras_weights;
    throw IOError(cat("'", path, "' is an HDF5 file but no Keras one: its root has no model_config or layer_names "
                      "attribute and no layers or vars group"));
}

}  // namespace kiln::serialization
