#include "kiln/serialization/model_file.hpp"

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>

#include "kiln/core/detail/loader_boundary.hpp"
#include "kiln/core/errors.hpp"
#include "kiln/serialization/file_kind.hpp"
#include "kiln/serialization/keras_archive.hpp"
#include "kiln/serialization/legacy_h5.hpp"
#include "kiln/serialization/model_config.hpp"
#include "kiln/serialization/weights_file.hpp"
#include "kiln/serialization/detail/reading.hpp"

namespace kiln {

namespace {

// metadata.json as Keras 3 writes it. keras_version names the Keras file layout kiln follows (3.6: vars groups
// carry a name attribute); kiln_version says who wrote the file.
std::string metadata_json() {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm local{};
    localtime_r(&now, &local);
    char date[32];
    std::strftime(date, sizeof date, "%Y-%m-%d@%H:%M:%S", &local);
    return nlohmann::json{{"keras_version", "3.6.0"}, {"kiln_version", "0.1.0"}, {"date_saved", date}}.dump();
}

}  // namespace

void Model::save(const std::string& path) const {
    if (!path.ends_with(".keras"))
        throw ValueError(cat("Model.save: the path must end in '.keras' (the Keras 3 archive; save_weights writes "
                             ".weights.h5), got '", path, "'"));
    serialization::write_keras_archive(path, to_json(), metadata_json(), serialization::save_weights_to_bytes(*this));
}

namespace {

// The model of a .keras archive, compiled from its compile_config when asked, with its weights.
Model load_keras_archive(const std::string& path, const LoadModelOptions& options) {
    const serialization::KerasArchive archive = serialization::read_keras_archive(path);
    const std::string where = cat("load_model: '", path, "': config.json");
    const nlohmann::json config = serialization::detail::parse_json(archive.config_json, where);
    Model model = [&] {
        try {
            Model read = model_from_config(config);
            if (options.compile && config.is_object() && config.contains("compile_config"))
                compile_from_config(read, config.at("compile_config"));
            return read;
        } catch (...) {
            serialization::detail::rethrow_with_context(where);
        }
    }();
    // The file's own compile_config may not describe its optimizer state (a real Keras 3.5 file has Adam state and
    // no optimizer in compile_config); Keras then warns and loads the model weights.
    serialization::load_weights_from_bytes(model, archive.weights_h5, serialization::OptimizerMismatch::skip_with_warning);
    return model;
}

}  // namespace

Model load_model(const std::string& path, const LoadModelOptions& options) {
    return kiln::detail::guarded_load(cat("load_model: '", path, "'"), [&] {
        switch (serialization::detect_file_kind(path)) {
            case serialization::FileKind::keras_archive:
                return load_keras_archive(path, options);
            case serialization::FileKind::legacy_model: {
                const serialization::LegacyH5Model file = serialization::read_legacy_h5_model(path);
                Model model = [&] {
                    try {
                        return model_from_json(file.model_config);
                    } catch (...) {
                        serialization::detail::rethrow_with_context(cat("load_model: '", path, "': model_config"));
                    }
                }();
                serialization::load_legacy_weights(model, path);
                return model;
            }
            case serialization::FileKind::keras_weights:
            case serialization::FileKind::legacy_weights:
                break;
        }
        throw IOError(cat("load_model: '", path, "' is a weights-only file with no architecture; build the model "
                          "and call model.load_weights(path)"));
    });
}

}  // namespace kiln
