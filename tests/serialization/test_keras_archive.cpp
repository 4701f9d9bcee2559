// The .keras zip: members written stored in Keras's order, an archive built here with libzip read back, and clear
// errors for a missing member, a file that is no zip, a truncated zip and a damaged member (CRC). Also the file
// kind detection that tells every Keras layout apart.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>
#include <zip.h>

#include "kiln/serialization/detail/file_io.hpp"
#include "kiln/serialization/keras_archive.hpp"
#include "kiln/serialization/weights_file.hpp"
#include "models/model_helpers.hpp"
#include "serialization/raw_h5.hpp"
#include "serialization/weights_models.hpp"

using namespace kiln;
using kiln::serialization::detail::read_file_bytes;
using kiln::serialization::detail::write_bytes_atomically;
using kiln::testing::TempDir;
namespace raw = kiln::testing::raw;

namespace {

const std::string config = R"({"module": "keras", "class_name": "Sequential", "config": {}})";
const std::string metadata = R"({"keras_version": "3.13.2", "date_saved": "2026-03-30@19:49:11"})";

// A zip with these members, written by libzip directly (stored, or deflated when `deflate`).
void write_zip(const std::string& path, const std::vector<std::pair<std::string, std::string>>& members,
               bool deflate = false) {
    int error = 0;
    zip_t* archive = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
    REQUIRE(archive != nullptr);
    for (const auto& [name, data] : members) {
        zip_source_t* source = zip_source_buffer(archive, data.data(), data.size(), 0);
        const zip_int64_t index = zip_file_add(archive, name.c_str(), source, 0);
        REQUIRE(index >= 0);
        zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), deflate ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
    }
    REQUIRE(zip_close(archive) == 0);
}

}  // namespace

TEST_CASE("keras archive: written with stored members in Keras's order, and read back") {
    TempDir dir;
    const std::string path = dir.path("model.keras");
    const std::string weights = serialization::save_weights_to_bytes(testing::dense_bn_sequential());
    serialization::write_keras_archive(path, config, metadata, weights);

    int error = 0;
    zip_t* archive = zip_open(path.c_str(), ZIP_RDONLY, &error);
    REQUIRE(archive != nullptr);
    REQUIRE(zip_get_num_entries(archive, 0) == 3);
    const char* names[] = {"metadata.json", "config.json", "model.weights.h5"};
    for (zip_uint64_t i = 0; i < 3; ++i) {
        zip_stat_t stat;
        REQUIRE(zip_stat_index(archive, i, 0, &stat) == 0);
        CHECK(std::string(stat.name) == names[i]);
        CHECK(stat.comp_method == ZIP_CM_STORE);
    }
    zip_discard(archive);

    const serialization::KerasArchive read = serialization::read_keras_archive(path);
    CHECK(read.config_json == config);
    CHECK(read.metadata_json == metadata);
    CHECK(read.weights_h5 == weights);
}

TEST_CASE("keras archive: a zip written by another tool loads, and load_weights takes a .keras file") {
    TempDir dir;
    const Model saved = testing::nested_models();
    testing::randomize(saved, 7);
    const std::string weights = serialization::save_weights_to_bytes(saved);
    for (const bool deflate : {false, true}) {
        CAPTURE(deflate);
        const std::string path = dir.path(deflate ? "deflated.keras" : "stored.keras");
        write_zip(path, {{"config.json", config}, {"metadata.json", metadata}, {"model.weights.h5", weights}},
                  deflate);
        CHECK(serialization::detect_file_kind(path) == serialization::FileKind::keras_archive);
        CHECK(serialization::read_keras_archive(path).weights_h5 == weights);
        const Model loaded = testing::nested_models();
        loaded.load_weights(path);
        CHECK(testing::all_equal(loaded.get_weights(), saved.get_weights()));
    }
}

TEST_CASE("keras archive: missing members, npz weights, other files, truncation and a bad CRC raise") {
    TempDir dir;
    const std::string weights = serialization::save_weights_to_bytes(testing::dense_bn_sequential());

    const std::string incomplete = dir.path("incomplete.keras");
    write_zip(incomplete, {{"metadata.json", metadata}, {"model.weights.h5", weights}});
    CHECK_THROWS_WITH_AS(serialization::read_keras_archive(incomplete),
                         doctest::Contains("has no member 'config.json' (members: metadata.json, model.weights.h5)"),
                         IOError);

    const std::string npz = dir.path("npz.keras");
    write_zip(npz, {{"config.json", config}, {"metadata.json", metadata}, {"model.weights.npz", "PK"}});
    CHECK_THROWS_WITH_AS(serialization::read_keras_archive(npz), doctest::Contains("npz"), NotImplementedError);

    const std::string text = dir.path("text.keras");
    write_bytes_atomically(text, "this is not a zip archive at all");
    CHECK_THROWS_WITH_AS(serialization::read_keras_archive(text), doctest::Contains("not a readable zip archive"),
                         IOError);
    CHECK_THROWS_WITH_AS(serialization::read_keras_archive(dir.path("absent.keras")), doctest::Contains("absent.keras"),
                         IOError);

    const std::string bytes = serialization::keras_archive_bytes({config, metadata, weights});
    for (const size_t cut : {size_t{0}, size_t{4}, size_t{30}, bytes.size() / 2, bytes.size() - 30, bytes.size() - 1}) {
        CAPTURE(cut);
        CHECK_THROWS_AS(serialization::parse_keras_archive(bytes.substr(0, cut), "cut.keras"), IOError);
    }

    // One byte of the stored weights flipped: only the CRC can tell.
    std::string damaged = bytes;
    const size_t at = damaged.find(weights.substr(weights.size() / 2, 64));
    REQUIRE(at != std::string::npos);
    damaged[at] = static_cast<char>(damaged[at] ^ 0x20);
    CHECK_THROWS_WITH_AS(serialization::parse_keras_archive(damaged, "crc.keras"), doctest::Contains("CRC"), IOError);
}

TEST_CASE("file kind: each Keras layout is recognized, anything else raises IOError naming the file") {
    using serialization::FileKind;
    TempDir dir;
    const std::string weights = dir.path("model.weights.h5");
    testing::dense_bn_sequential().save_weights(weights);
    CHECK(serialization::detect_file_kind(weights) == FileKind::keras_weights);

    const std::string archive = dir.path("model.keras");
    serialization::write_keras_archive(archive, config, metadata, read_file_bytes(weights));
    CHECK(serialization::detect_file_kind(archive) == FileKind::keras_archive);

    const std::string model = dir.path("model.h5");
    {
        raw::Obj f(raw::create_file(model));
        raw::vlen_strings(f, "model_config", {config}, false, true);
        raw::vlen_strings(f, "layer_names", {});  // a model_config wins over layer_names
        raw::Obj layers(raw::group(f, "layers"));
    }
    CHECK(serialization::detect_file_kind(model) == FileKind::legacy_model);

    const std::string chunked = dir.path("chunked.h5");
    {
        raw::Obj f(raw::create_file(chunked));
        raw::vlen_strings(f, "layer_names0", {"dense"});
    }
    CHECK(serialization::detect_file_kind(chunked) == FileKind::legacy_weights);

    const std::string checkpoint = dir.path("tf213.weights.h5");
    {
        raw::Obj f(raw::create_file(checkpoint));
        raw::Obj g(raw::group(f, "_layer_checkpoint_dependencies/dense/vars"));
    }
    CHECK(serialization::detect_file_kind(checkpoint) == FileKind::keras_weights);

    const std::string other = dir.path("other.h5");
    {
        raw::Obj f(raw::create_file(other));
        raw::Obj g(raw::group(f, "data"));
    }
    CHECK_THROWS_WITH_AS(serialization::detect_file_kind(other), doctest::Contains("is an HDF5 file but no Keras one"),
                         IOError);
    const std::string text = dir.path("notes.txt");
    write_bytes_atomically(text, "hello");
    CHECK_THROWS_WITH_AS(serialization::detect_file_kind(text), doctest::Contains("neither a zip archive"), IOError);
    CHECK_THROWS_WITH_AS(serialization::detect_file_kind(dir.path("absent.h5")), doctest::Contains("absent.h5"),
                         IOError);
}
