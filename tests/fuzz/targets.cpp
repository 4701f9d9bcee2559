#include "fuzz/targets.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include <kiln/kiln.hpp>

#include "fuzz/fuzz_model.hpp"
#include "kiln/serialization/weights_file.hpp"

namespace kiln::fuzz {
namespace {

std::string as_string(std::span<const uint8_t> input) { return {input.begin(), input.end()}; }

// The loaders that take a path read `input` from a scratch file of this process.
std::string scratch_file(std::span<const uint8_t> input, std::string_view extension) {
    const std::string path =
        (std::filesystem::temp_directory_path() / cat("kiln-fuzz-", ::getpid(), extension)).string();
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(input.data()), static_cast<std::streamsize>(input.size()));
    if (!out.flush()) throw std::runtime_error("fuzz: cannot write the scratch file " + path);
    return path;
}

// Runs `load`, true when it returns, false when it refuses with a kiln::Error.
template <class Load>
bool loads(Load&& load) {
    try {
        load();
        return true;
    } catch (const Error&) {
        return false;
    }
}

bool config_json(std::span<const uint8_t> input) {
    return loads([&] { (void)model_from_json(as_string(input)); });
}

bool keras_archive(std::span<const uint8_t> input) {
    const std::string path = scratch_file(input, ".keras");
    return loads([&] { (void)load_model(path); });
}

bool weights_h5(std::span<const uint8_t> input) {
    static const Model model = fuzz_model();
    return loads([&] { serialization::load_weights_from_bytes(model, as_string(input)); });
}

bool legacy_h5(std::span<const uint8_t> input) {
    const std::string path = scratch_file(input, ".h5");
    static const Model model = fuzz_model();
    const bool whole = loads([&] { (void)load_model(path); });
    const bool weights = loads([&] { model.load_weights(path); });
    return whole && weights;
}

bool npy(std::span<const uint8_t> input) {
    return loads([&] { (void)serialization::npy_from_bytes(as_string(input), "fuzz.npy"); });
}

bool idx(std::span<const uint8_t> input) {
    const std::string path = scratch_file(input, ".idx");
    return loads([&] { (void)datasets::read_idx(path); });
}

constexpr Target kTargets[] = {{"config_json", config_json}, {"keras_archive", keras_archive},
                               {"weights_h5", weights_h5},   {"legacy_h5", legacy_h5},
                               {"npy", npy},                 {"idx", idx}};

}  // namespace

std::span<const Target> targets() { return kTargets; }

const Target& target(std::string_view name) {
    for (const Target& t : kTargets)
        if (t.name == name) return t;
    throw std::invalid_argument("no fuzz target named " + std::string(name));
}

}  // namespace kiln::fuzz
