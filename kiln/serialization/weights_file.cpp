// Model::save_weights / load_weights, and the Keras 3 weights store as bytes.
#include "kiln/serialization/weights_file.hpp"

#include "kiln/core/detail/loader_boundary.hpp"
#include "kiln/core/errors.hpp"
#include "kiln/serialization/detail/file_io.hpp"
#include "kiln/serialization/detail/keras_store.hpp"
#include "kiln/serialization/file_kind.hpp"
#include "kiln/serialization/keras_archive.hpp"
#include "kiln/serialization/legacy_h5.hpp"

namespace kiln {
namespace serialization {
namespace {

const std::string member_name = "model.weights.h5";

void load_keras_weights(const detail::h5read::File& file, const Model& model, const std::string& source,
                        OptimizerMismatch optimizer_mismatch = OptimizerMismatch::refuse) {
    detail::LoadPlan plan(cat("load_weights: '", source, "' does not fit ", model->describe()));
    detail::plan_keras_weights(file.root(), model, plan, optimizer_mismatch);
    plan.commit();
}

}  // namespace

std::string save_weights_to_bytes(const Model& model) {
    detail::h5::File file = detail::h5::File::create_image(member_name);
    detail::write_keras_weights(file.root(), model);
    return file.take_image();
}

void load_weights_from_bytes(const Model& model, const std::string& bytes, OptimizerMismatch optimizer_mismatch) {
    return kiln::detail::guarded_load(std::string("load_weights: ") + member_name, [&] {
        load_keras_weights(detail::h5read::File::open_image(bytes, member_name), model, member_name, optimizer_mismatch);
    });
}

}  // namespace serialization

void Model::save_weights(const std::string& path) const {
    if (!path.ends_with(".weights.h5"))
        throw ValueError(cat("save_weights: the file name must end in '.weights.h5' (a Keras 3 weights file), got '",
                             path, "'"));
    serialization::detail::write_bytes_atomically(path, serialization::save_weights_to_bytes(*this));
}

void Model::load_weights(const std::string& path) const {
    return kiln::detail::guarded_load(cat("load_weights: '", path, "'"), [&] {
        using serialization::FileKind;
        switch (serialization::detect_file_kind(path)) {
            case FileKind::keras_archive:
                return serialization::load_weights_from_bytes(*this, serialization::read_keras_archive(path).weights_h5);
            case FileKind::keras_weights:
                return serialization::load_keras_weights(serialization::detail::h5read::File::open(path), *this, path);
            case FileKind::legacy_model:
            case FileKind::legacy_weights:
                return serialization::load_legacy_weights(*this, path);
        }
    });
}

}  // namespace kiln
