// Saves that the operating system stops half way: a file-size limit (RLIMIT_FSIZE) below the new file's size makes
// the kernel refuse the write that crosses it (EFBIG), as a full disk would refuse it (ENOSPC). Every saver must
// raise an IOError naming the destination, leave the old file byte for byte, and leave no temporary file beside it.
// The limit is a real failure of write(2), unlike the injected throw of test_corrupt_files.cpp, and works for root,
// which ignores a read-only directory.
#include <doctest/doctest.h>

#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <functional>
#include <string>

#include <kiln/kiln.hpp>

#include "kiln/serialization/detail/file_io.hpp"
#include "serialization/weights_models.hpp"
#include "support/temp_dir.hpp"

using namespace kiln;
using kiln::serialization::detail::read_file_bytes;
using kiln::testing::TempDir;

namespace {

// While alive, no file of this process may grow past `bytes`; writes beyond it fail with EFBIG instead of raising
// SIGXFSZ (which would end the process).
class FileSizeLimit {
public:
    explicit FileSizeLimit(rlim_t bytes) {
        REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved_) == 0);
        previous_handler_ = std::signal(SIGXFSZ, SIG_IGN);
        rlimit limit = saved_;
        limit.rlim_cur = bytes;
        REQUIRE(::setrlimit(RLIMIT_FSIZE, &limit) == 0);
    }
    FileSizeLimit(const FileSizeLimit&) = delete;
    FileSizeLimit& operator=(const FileSizeLimit&) = delete;
    ~FileSizeLimit() {
        ::setrlimit(RLIMIT_FSIZE, &saved_);
        std::signal(SIGXFSZ, previous_handler_);
    }

private:
    rlimit saved_{};
    void (*previous_handler_)(int) = SIG_DFL;
};

Model small_cnn(uint32_t seed) {
    Sequential model({layers::Input({8, 8, 1}), layers::Conv2D({.filters = 4, .kernel_size = {3, 3}}),
                      layers::BatchNormalization(), layers::Flatten(), layers::Dense({.units = 3})});
    model.compile({.optimizer = "adam", .loss = "mse"});
    testing::randomize(model, seed);
    return model;
}

// Writes the old file with `save` unlimited, then the new one under a limit between a third and a half of the old
// file's size (the new file is as large), and checks the refusal.
void check_save_refused(const TempDir& dir, const std::string& name,
                        const std::function<void(const std::string&, int)>& save) {
    CAPTURE(name);
    const std::string path = dir.path(name);
    save(path, 1);
    const std::string before = read_file_bytes(path);
    REQUIRE(before.size() > 3000);
    {
        const FileSizeLimit limit(before.size() / 3);
        const std::string names_path = cat("'", path, "'");
        CHECK_THROWS_WITH_AS(save(path, 2), doctest::Contains(names_path.c_str()), IOError);
    }
    CHECK(read_file_bytes(path) == before);
    CHECK(dir.files() == std::vector<std::string>{name});
    save(path, 2);  // without the limit the same save replaces the file
    CHECK(read_file_bytes(path) != before);
}

}  // namespace

TEST_CASE("saving when the disk fills: save_weights keeps the old .weights.h5") {
    const TempDir dir;
    check_save_refused(dir, "model.weights.h5",
                       [](const std::string& path, int seed) { small_cnn(seed).save_weights(path); });
}

TEST_CASE("saving when the disk fills: Model::save keeps the old .keras archive") {
    const TempDir dir;
    check_save_refused(dir, "model.keras", [](const std::string& path, int seed) { small_cnn(seed).save(path); });
}

TEST_CASE("saving when the disk fills: save_npy keeps the old .npy") {
    const TempDir dir;
    check_save_refused(dir, "values.npy", [](const std::string& path, int seed) {
        serialization::save_npy(path, Tensor::random_uniform({32, 32}, -1.0f, 1.0f, static_cast<uint64_t>(seed)));
    });
}
