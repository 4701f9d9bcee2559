// Writes the seed corpus of every fuzz target (tests/fuzz/corpus/<target>/): small valid files of each format,
// made by kiln (and, for the legacy .h5 that kiln only reads, by the HDF5 C API in Keras 2's layout).
//   build/fuzz/tests/fuzz/kiln_fuzz_seeds tests/fuzz/corpus
// The files are checked in; rerun this after changing a format, and the replay test checks that each seed loads.
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <kiln/kiln.hpp>

#include "fuzz/fuzz_model.hpp"
#include "kiln/serialization/weights_file.hpp"
#include "serialization/raw_h5.hpp"

using namespace kiln;
namespace fs = std::filesystem;
namespace raw = kiln::testing::raw;

namespace {

// The path of the seed `name` of `target` under the corpus folder `dir`, whose folder now exists.
fs::path seed(const fs::path& dir, const std::string& target, const std::string& name) {
    fs::create_directories(dir / target);
    return dir / target / name;
}

void write(const fs::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
    if (!out.flush()) throw IOError("kiln_fuzz_seeds: cannot write " + path.string());
}

// fuzz_model() after one Adam step, so that its files hold optimizer state and moved BN statistics.
Model trained_model() {
    Model model = fuzz::fuzz_model();
    (void)model.train_on_batch(Tensor::random_uniform({4, 6, 6, 1}, 0.0f, 1.0f, 1),
                               Tensor::random_uniform({4, 3}, 0.0f, 1.0f, 2));
    return model;
}

// A Functional model with the graph layers (Add, Concatenate) and a few argument forms.
std::string functional_config() {
    const SymbolicTensor in = layers::Input({4});
    const SymbolicTensor a = layers::Dense({.units = 4, .activation = "relu"})(in);
    const SymbolicTensor sum = layers::Add()({in, a});
    const SymbolicTensor both = layers::Concatenate()({sum, layers::BatchNormalization({.center = false})(a)});
    return Model(in, layers::Dense({.units = 2})(layers::Dropout({.rate = 0.25})(both))).to_json();
}

// The weights of `model` as Keras 2 saved them in a legacy file's model_weights group: one group per top-level
// layer with a weight_names attribute (trainable first), datasets named by the variables with ':0'.
void write_legacy_weights(hid_t group, const Model& model) {
    std::vector<std::string> layer_names;
    for (const LayerPtr& layer : model.layers()) layer_names.push_back(layer->name());
    raw::vlen_strings(group, "layer_names", layer_names);
    for (const LayerPtr& layer : model.layers()) {
        raw::Obj g(raw::group(group, layer->name()));
        std::vector<Variable> variables = layer->trainable_weights();
        for (const Variable& v : layer->non_trainable_weights()) variables.push_back(v);
        std::vector<std::string> names;
        for (const Variable& v : variables) names.push_back(v.name() + ":0");
        if (names.empty()) raw::empty_float64(g, "weight_names");
        else raw::vlen_strings(g, "weight_names", names);
        for (size_t i = 0; i < variables.size(); ++i) {
            const Tensor value = variables[i].value();
            std::vector<hsize_t> dims(value.shape().begin(), value.shape().end());
            raw::dataset(g, names[i], dims, std::vector<double>(value.data(), value.data() + value.size()));
        }
    }
}

void write_legacy_model(const fs::path& path, const Model& model) {
    raw::Obj file(raw::create_file(path.string()));
    raw::vlen_strings(file, "model_config", {model.to_json()}, false, true);
    raw::vlen_strings(file, "keras_version", {"2.9.0"}, false, true);
    raw::vlen_strings(file, "backend", {"tensorflow"}, false, true);
    raw::Obj weights(raw::group(file, "model_weights"));
    write_legacy_weights(weights, model);
}

// An IDX file of unsigned bytes: two zero bytes, type 0x08, the rank, big-endian sizes, the data.
std::string idx_bytes(const std::vector<uint32_t>& dims) {
    std::string out{'\0', '\0', '\x08', static_cast<char>(dims.size())};
    size_t count = 1;
    for (uint32_t d : dims) {
        for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((d >> shift) & 0xff);
        count *= d;
    }
    for (size_t i = 0; i < count; ++i) out += static_cast<char>(i * 37 % 256);
    return out;
}

void write_gzip(const fs::path& path, const std::string& bytes) {
    gzFile out = gzopen(path.string().c_str(), "wb9");
    if (out == nullptr || gzwrite(out, bytes.data(), static_cast<unsigned>(bytes.size())) != static_cast<int>(bytes.size()) ||
        gzclose(out) != Z_OK)
        throw IOError("kiln_fuzz_seeds: cannot write " + path.string());
}

// A .npy file of `descr` with `payload` as its data (the header padded as NumPy pads it).
std::string npy_bytes(const std::string& descr, bool fortran, const std::string& shape, const std::string& payload) {
    std::string header = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
                         ", 'shape': " + shape + ", }";
    header.append(63 - (10 + header.size()) % 64, ' ');
    header += '\n';
    std::string out = "\x93NUMPY\x01";
    out += '\0';
    out += static_cast<char>(header.size() & 0xff);
    out += static_cast<char>(header.size() >> 8);
    return out + header + payload;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: kiln_fuzz_seeds CORPUS_DIR\n");
        return 2;
    }
    const fs::path dir = argv[1];
    const Model model = trained_model();

    write(seed(dir, "config_json", "sequential_nested.json"), model.to_json());
    write(seed(dir, "config_json", "functional_residual.json"), functional_config());

    model.save((seed(dir, "keras_archive", "fuzz_model.keras")).string());
    write(seed(dir, "weights_h5", "fuzz_model.weights.h5"), serialization::save_weights_to_bytes(model));
    write_legacy_model(seed(dir, "legacy_h5", "fuzz_model.h5"), model);

    write(seed(dir, "npy", "float32_2x3.npy"), serialization::npy_to_bytes(Tensor::random_uniform({2, 3}, -1.0f, 1.0f, 3)));
    write(seed(dir, "npy", "uint8_fortran_2x2.npy"), npy_bytes("|u1", true, "(2, 2)", "\x01\x02\x03\x04"));
    write(seed(dir, "npy", "int64_scalar.npy"), npy_bytes("<i8", false, "()", std::string("\x07\0\0\0\0\0\0\0", 8)));

    write(seed(dir, "idx", "images_2x3x3.idx"), idx_bytes({2, 3, 3}));
    write(seed(dir, "idx", "labels_5.idx"), idx_bytes({5}));
    write_gzip(seed(dir, "idx", "images_2x4x4.idx.gz"), idx_bytes({2, 4, 4}));
    std::printf("seed corpus written to %s\n", dir.string().c_str());
    return 0;
}
