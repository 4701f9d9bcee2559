// The .keras zip with libzip, entirely in memory: built into a buffer, parsed from one.
#include "kiln/serialization/keras_archive.hpp"

#include <zip.h>

#include <memory>

#include "kiln/core/detail/loader_boundary.hpp"
#include "kiln/core/errors.hpp"
#include "kiln/serialization/detail/file_io.hpp"

namespace kiln::serialization {
namespace {

// A stored member has its exact size in the archive; a deflated one expands at most about 1032 times.
constexpr zip_uint64_t max_deflate_ratio = 1032;

struct ErrorText {
    zip_error_t error;
    ErrorText() { zip_error_init(&error); }
    ErrorText(const ErrorText&) = delete;
    ErrorText& operator=(const ErrorText&) = delete;
    ~ErrorText() { zip_error_fini(&error); }
    std::string str() { return zip_error_strerror(&error); }
};

struct Discard {
    void operator()(zip_t* archive) const { zip_discard(archive); }
};
struct Close {
    void operator()(zip_file_t* file) const { zip_fclose(file); }
};
struct FreeSource {
    void operator()(zip_source_t* source) const { zip_source_free(source); }
};
using Archive = std::unique_ptr<zip_t, Discard>;
using Source = std::unique_ptr<zip_source_t, FreeSource>;

[[noreturn]] void fail(const std::string& label, const std::string& what) {
    throw IOError(cat("keras archive '", label, "': ", what));
}

std::string member_list(zip_t* archive) {
    std::string names;
    const zip_int64_t count = zip_get_num_entries(archive, 0);
    for (zip_int64_t i = 0; i < count; ++i) {
        const char* name = zip_get_name(archive, static_cast<zip_uint64_t>(i), 0);
        names += cat(names.empty() ? "" : ", ", name ? name : "?");
    }
    return names.empty() ? std::string("none") : names;
}

std::string read_member(zip_t* archive, const std::string& name, const std::string& label, size_t archive_size) {
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_stat(archive, name.c_str(), 0, &stat) != 0)
        fail(label, cat("has no member '", name, "' (members: ", member_list(archive), ")"));
    const bool sizes = (stat.valid & ZIP_STAT_SIZE) && (stat.valid & ZIP_STAT_COMP_SIZE);
    const bool stored = (stat.valid & ZIP_STAT_COMP_METHOD) && stat.comp_method == ZIP_CM_STORE;
    if (!sizes || stat.comp_size > archive_size ||
        (stored ? stat.size != stat.comp_size : stat.size > stat.comp_size * max_deflate_ratio + 1024))
        fail(label, cat("member '", name, "' has impossible sizes (", stat.size, " bytes from ", stat.comp_size, ")"));
    const std::unique_ptr<zip_file_t, Close> file(zip_fopen(archive, name.c_str(), 0));
    if (!file) fail(label, cat("cannot open member '", name, "': ", zip_strerror(archive)));
    std::string bytes(static_cast<size_t>(stat.size), '\0');
    zip_uint64_t done = 0;
    while (done < stat.size) {
        const zip_int64_t got = zip_fread(file.get(), bytes.data() + done, stat.size - done);
        if (got < 0) fail(label, cat("cannot read member '", name, "': ", zip_file_strerror(file.get())));
        if (got == 0) break;
        done += static_cast<zip_uint64_t>(got);
    }
    // Reading past the end is where libzip compares the CRC.
    char extra;
    if (done != stat.size || zip_fread(file.get(), &extra, 1) != 0)
        fail(label, cat("cannot read member '", name, "': ", zip_file_strerror(file.get())));
    return bytes;
}

}  // namespace

std::string keras_archive_bytes(const KerasArchive& archive) {
    ErrorText error;
    const Source buffer(zip_source_buffer_create(nullptr, 0, 0, &error.error));
    if (!buffer) fail("(new)", error.str());
    zip_source_keep(buffer.get());  // the archive takes one reference; this function keeps the other
    zip_t* zip = zip_open_from_source(buffer.get(), ZIP_TRUNCATE, &error.error);
    if (!zip) {
        zip_source_free(buffer.get());
        fail("(new)", error.str());
    }
    Archive open(zip);
    const std::pair<const char*, const std::string*> members[] = {
        {"metadata.json", &archive.metadata_json}, {"config.json", &archive.config_json},
        {"model.weights.h5", &archive.weights_h5}};
    for (const auto& [name, data] : members) {
        zip_source_t* source = zip_source_buffer(zip, data->data(), data->size(), 0);
        const zip_int64_t index = source ? zip_file_add(zip, name, source, ZIP_FL_ENC_UTF_8) : -1;
        if (index < 0) {
            if (source) zip_source_free(source);
            fail("(new)", cat("cannot add '", name, "': ", zip_strerror(zip)));
        }
        if (zip_set_file_compression(zip, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0) != 0)
            fail("(new)", cat("cannot store '", name, "' uncompressed: ", zip_strerror(zip)));
    }
    if (zip_close(open.get()) != 0) fail("(new)", cat("cannot write the archive: ", zip_strerror(zip)));
    open.release();  // zip_close freed it
    zip_stat_t stat;
    if (zip_source_stat(buffer.get(), &stat) != 0 || !(stat.valid & ZIP_STAT_SIZE) ||
        zip_source_open(buffer.get()) != 0)
        fail("(new)", "cannot read the archive back");
    std::string bytes(static_cast<size_t>(stat.size), '\0');
    zip_uint64_t done = 0;
    while (done < stat.size) {
        const zip_int64_t got = zip_source_read(buffer.get(), bytes.data() + done, stat.size - done);
        if (got <= 0) break;
        done += static_cast<zip_uint64_t>(got);
    }
    zip_source_close(buffer.get());
    if (done != stat.size) fail("(new)", "cannot read the archive back");
    return bytes;
}

KerasArchive parse_keras_archive(const std::string& bytes, const std::string& label) {
    return kiln::detail::guarded_load(cat("keras archive '", label, "'"), [&] {
        ErrorText error;
        zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error.error);
        if (!source) fail(label, error.str());
        zip_t* zip = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error.error);
        if (!zip) {
            zip_source_free(source);
            fail(label, cat("not a readable zip archive: ", error.str()));
        }
        const Archive archive(zip);
        if (zip_name_locate(zip, "model.weights.h5", 0) < 0 && zip_name_locate(zip, "model.weights.npz", 0) >= 0)
            throw NotImplementedError(cat("keras archive '", label, "': weights in the npz format (model.weights.npz) "
                                          "are not supported; save with the default h5 weights format"));
        KerasArchive out;
        out.config_json = read_member(zip, "config.json", label, bytes.size());
        out.metadata_json = read_member(zip, "metadata.json", label, bytes.size());
        out.weights_h5 = read_member(zip, "model.weights.h5", label, bytes.size());
        return out;
    });
}

void write_keras_archive(const std::string& path, const std::string& config_json, const std::string& metadata_json,
                         const std::string& weights_h5_bytes) {
    detail::write_bytes_atomically(path, keras_archive_bytes({config_json, metadata_json, weights_h5_bytes}));
}

KerasArchive read_keras_archive(const std::string& path) {
    return parse_keras_archive(detail::read_file_bytes(path), path);
}

}  // namespace kiln::serialization
