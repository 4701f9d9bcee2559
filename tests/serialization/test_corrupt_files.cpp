// Damaged files: truncated, bit-flipped and wrong-magic weights files and archives raise kiln errors and never
// crash (a fuzz-style loop of random damage, meant to run under AddressSanitizer too), and a save that fails half
// way leaves the old file byte for byte.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include <filesystem>
#include <random>

#include "kiln/serialization/detail/file_io.hpp"
#include "models/model_helpers.hpp"
#include "serialization/raw_h5.hpp"
#include "serialization/weights_models.hpp"

using namespace kiln;
using kiln::serialization::detail::read_file_bytes;
using kiln::serialization::detail::write_bytes_atomically;
using kiln::testing::all_equal;
using kiln::testing::TempDir;

namespace {

// A small model, so that metadata is a large part of its file and random damage often hits it.
Model tiny_model() {
    return Sequential({layers::Input({3}), layers::Dense({.units = 2}), layers::BatchNormalization()});
}

// Removes the fault from write_bytes_atomically at the end of the scope, also when a check fails.
struct FaultScope {
    explicit FaultScope(std::function<void(const std::string&)> fault) {
        serialization::detail::set_write_fault_for_testing(std::move(fault));
    }
    FaultScope(const FaultScope&) = delete;
    FaultScope& operator=(const FaultScope&) = delete;
    ~FaultScope() { serialization::detail::set_write_fault_for_testing({}); }
};

// Random damage: truncation, a few flipped bits, or a run of overwritten bytes.
std::string damaged(const std::string& bytes, std::mt19937& rng) {
    std::string out = bytes;
    const auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
    switch (rng() % 3) {
        case 0: out.resize(pick(out.size())); break;
        case 1:
            for (size_t k = 1 + pick(4); k > 0; --k) out[pick(out.size())] ^= static_cast<char>(1 << pick(8));
            break;
        default: {
            const size_t at = pick(out.size()), n = std::min(out.size() - at, 1 + pick(16));
            for (size_t i = 0; i < n; ++i) out[at + i] = static_cast<char>(rng());
        }
    }
    return out;
}

}  // namespace

TEST_CASE("corrupt files: truncated weights files raise IOError") {
    TempDir dir;
    const std::string good = dir.path("good.weights.h5");
    tiny_model().save_weights(good);
    const std::string bytes = read_file_bytes(good);
    const std::string path = dir.path("cut.weights.h5");
    for (const size_t cut : {size_t{0}, size_t{5}, size_t{8}, size_t{48}, size_t{300}, bytes.size() / 2,
                             bytes.size() - 8, bytes.size() - 1}) {
        CAPTURE(cut);
        write_bytes_atomically(path, bytes.substr(0, cut));
        CHECK_THROWS_AS(tiny_model().load_weights(path), IOError);
        CHECK_THROWS_AS(serialization::load_weights_from_bytes(tiny_model(), bytes.substr(0, cut)), IOError);
    }
}

TEST_CASE("corrupt files: a flipped bit in any object header or the superblock raises, thanks to the checksums") {
    TempDir dir;
    const std::string good = dir.path("good.weights.h5");
    tiny_model().save_weights(good);
    const std::string bytes = read_file_bytes(good);
    std::vector<size_t> targets{20, 40};  // superblock: an address, the checksum
    for (size_t at = bytes.find("OHDR"); at != std::string::npos; at = bytes.find("OHDR", at + 1))
        targets.push_back(at + 7);
    REQUIRE(targets.size() > 10);  // root, layers, two layer groups, two vars groups, six datasets
    const std::string path = dir.path("flipped.weights.h5");
    for (const size_t at : targets) {
        CAPTURE(at);
        std::string flipped = bytes;
        flipped[at] ^= 0x04;
        write_bytes_atomically(path, flipped);
        CHECK_THROWS_AS(tiny_model().load_weights(path), IOError);
    }
}

TEST_CASE("corrupt files: a wrong magic number raises IOError naming the file") {
    TempDir dir;
    const std::string path = dir.path("magic.weights.h5");
    tiny_model().save_weights(path);
    std::string bytes = read_file_bytes(path);
    bytes[1] = 'X';
    write_bytes_atomically(path, bytes);
    CHECK_THROWS_WITH_AS(tiny_model().load_weights(path), doctest::Contains("magic.weights.h5' is neither a zip"),
                         IOError);
}

TEST_CASE("corrupt files: hundreds of random corruptions of a weights file and an archive never crash") {
    const Model model = tiny_model();
    const std::string weights = serialization::save_weights_to_bytes(model);
    const std::string archive = serialization::keras_archive_bytes({"{}", "{}", weights});
    std::mt19937 rng(20240531);
    int loaded = 0, refused = 0;
    for (int i = 0; i < 300; ++i) {
        CAPTURE(i);
        try {
            serialization::load_weights_from_bytes(model, damaged(weights, rng));
            ++loaded;  // damage to the weight values themselves cannot be seen
        } catch (const Error&) {
            ++refused;
        }
        try {
            const auto parsed = serialization::parse_keras_archive(damaged(archive, rng), "fuzz.keras");
            serialization::load_weights_from_bytes(model, parsed.weights_h5);
            ++loaded;
        } catch (const Error&) {
            ++refused;
        }
    }
    CHECK(loaded + refused == 600);
    CHECK(refused > 300);
}

TEST_CASE("corrupt files: a save that fails half way leaves the old file byte for byte, and loadable") {
    TempDir dir;
    const std::string path = dir.path("model.weights.h5");
    const Model first = tiny_model();
    testing::randomize(first, 1);
    first.save_weights(path);
    const std::string before = read_file_bytes(path);

    const Model second = tiny_model();
    testing::randomize(second, 2);
    std::string seen_temp;
    {
        FaultScope fault([&](const std::string& temp) {
            seen_temp = temp;
            CHECK(std::filesystem::file_size(temp) > 0);  // half of the new file is already on disk
            throw std::runtime_error("disk full (injected)");
        });
        CHECK_THROWS_WITH(second.save_weights(path), "disk full (injected)");
        CHECK_THROWS_WITH(serialization::write_keras_archive(dir.path("model.keras"), "{}", "{}", before),
                          "disk full (injected)");
    }
    CHECK(std::filesystem::path(seen_temp).parent_path() == std::filesystem::path(dir.root()));
    CHECK(read_file_bytes(path) == before);
    CHECK(std::distance(std::filesystem::directory_iterator(dir.root()), std::filesystem::directory_iterator()) == 1);
    const Model reloaded = tiny_model();
    reloaded.load_weights(path);
    CHECK(all_equal(reloaded.get_weights(), first.get_weights()));

    second.save_weights(path);  // without the fault the new file replaces the old one
    reloaded.load_weights(path);
    CHECK(all_equal(reloaded.get_weights(), second.get_weights()));
}
