// read_idx: small IDX files written here byte by byte (plain, and gzip'd with zlib), read back, and every kind of
// broken file (bad magic, type codes, truncated header or data, truncated or corrupt gzip, missing file). Then
// load_fashion_mnist on the files of Debian's dataset-fashion-mnist, checked against the raw bytes read here with
// zlib alone; the package is required (scripts/setup.sh installs it), so its absence fails rather than skips.
#include <doctest/doctest.h>

#define ZLIB_CONST
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <numeric>
#include <tuple>
#include <utility>
#include <string>
#include <vector>

#include <kiln/kiln.hpp>

#include "kiln/datasets/detail/gunzip.hpp"
#include "support/temp_dir.hpp"

using namespace kiln;
using namespace kiln::datasets;
using Bytes = std::vector<uint8_t>;
using kiln::testing::TempDir;

namespace {

// An IDX file: 0, 0, the type code, the number of dims, each dim as big-endian uint32, then `data`.
Bytes idx(uint8_t type, const std::vector<uint32_t>& dims, const Bytes& data) {
    Bytes out = {0, 0, type, static_cast<uint8_t>(dims.size())};
    for (uint32_t d : dims) {
        for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(d >> shift));
    }
    out.insert(out.end(), data.begin(), data.end());
    return out;
}

// `raw` compressed as one gzip member by zlib.
Bytes gzip(const Bytes& raw) {
    z_stream z{};
    REQUIRE(deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    Bytes out(deflateBound(&z, static_cast<uLong>(raw.size())));
    z.next_in = raw.data();
    z.avail_in = static_cast<uInt>(raw.size());
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

// n bytes 0, 7, 14, ... (mod 256): every value appears, in no simple order.
Bytes pattern(size_t n) {
    Bytes out(n);
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(i * 7);
    return out;
}

Bytes first(const Bytes& bytes, size_t n) { return Bytes(bytes.begin(), bytes.begin() + static_cast<long>(n)); }

}  // namespace

TEST_CASE("datasets: read_idx reads plain IDX files of any rank as raw byte values") {
    const TempDir dir;
    const Tensor matrix = read_idx(dir.write("m.idx", idx(0x08, {2, 3}, {0, 1, 2, 3, 254, 255})));
    CHECK(array_equal(matrix, Tensor({0, 1, 2, 3, 254, 255}, {2, 3})));
    CHECK(array_equal(read_idx(dir.write("labels-idx1-ubyte", idx(0x08, {4}, {9, 0, 3, 3}))), Tensor{9, 0, 3, 3}));
    const Tensor cube = read_idx(dir.write("c.idx", idx(0x08, {2, 2, 2}, pattern(8))));
    CHECK(array_equal(cube, Tensor({0, 7, 14, 21, 28, 35, 42, 49}, {2, 2, 2})));
    CHECK(read_idx(dir.write("empty.idx", idx(0x08, {0, 28, 28}, {}))).shape() == Shape{0, 28, 28});
    const Tensor scalar = read_idx(dir.write("s.idx", idx(0x08, {}, {200})));
    CHECK(scalar.rank() == 0);
    CHECK(scalar.item() == 200.0f);
}

TEST_CASE("datasets: read_idx inflates gzip'd IDX files, recognized by content rather than name") {
    const TempDir dir;
    const Bytes raw = idx(0x08, {3, 4, 5}, pattern(60));
    const Tensor expected(std::vector<float>(raw.begin() + 16, raw.end()), {3, 4, 5});
    CHECK(array_equal(read_idx(dir.write("images-idx3-ubyte.gz", gzip(raw))), expected));
    CHECK(array_equal(read_idx(dir.write("no-suffix", gzip(raw))), expected));
    CHECK(array_equal(read_idx(dir.write("plain.gz", raw)), expected));

    // Concatenated gzip members are one stream (as gzip -d reads them); the last member's size field is smaller
    // than the whole, so the output buffer has to grow.
    const Bytes big = idx(0x08, {50, 100}, pattern(5000));
    Bytes members = gzip(first(big, 4900));
    const Bytes tail = gzip(Bytes(big.begin() + 4900, big.end()));
    members.insert(members.end(), tail.begin(), tail.end());
    const Tensor joined = read_idx(dir.write("members.gz", members));
    CHECK(array_equal(joined, Tensor(std::vector<float>(big.begin() + 12, big.end()), {50, 100})));
}

TEST_CASE("datasets: read_idx names the file and the problem for a bad header") {
    const TempDir dir;
    const std::string missing = (std::filesystem::temp_directory_path() / "kiln_no_such_dir/none.idx").string();
    CHECK_THROWS_WITH_AS(read_idx(missing), ("read_idx: cannot open " + missing).c_str(), Error);

    std::string path = dir.write("empty", {});
    CHECK_THROWS_WITH_AS(read_idx(path), ("read_idx: " + path + ": truncated header (0 bytes)").c_str(), ValueError);
    path = dir.write("magic", {0x01, 0x02, 0x08, 0x01, 0, 0, 0, 1, 5});
    CHECK_THROWS_WITH_AS(
        read_idx(path),
        ("read_idx: " + path + ": bad magic number 0x01020801 (an IDX file starts with two zero bytes)").c_str(),
        ValueError);
    path = dir.write("float", idx(0x0D, {1}, {0, 0, 0, 0}));
    CHECK_THROWS_WITH_AS(
        read_idx(path),
        ("read_idx: " + path + ": IDX type code 0xd (float) is not supported, only 0x08 (unsigned byte)").c_str(),
        NotImplementedError);
    path = dir.write("type7", idx(0x07, {1}, {0}));
    CHECK_THROWS_WITH_AS(read_idx(path), ("read_idx: " + path + ": unknown IDX type code 0x7").c_str(), ValueError);
    path = dir.write("short-header", first(idx(0x08, {2, 3, 4}, {}), 12));
    CHECK_THROWS_WITH_AS(read_idx(path),
                         ("read_idx: " + path + ": truncated header (12 bytes, 3 dimensions need 16)").c_str(),
                         ValueError);
}

TEST_CASE("datasets: read_idx rejects data that does not fill the dimensions exactly") {
    const TempDir dir;
    std::string path = dir.write("short", idx(0x08, {2, 3}, pattern(5)));
    CHECK_THROWS_WITH_AS(
        read_idx(path),
        ("read_idx: " + path + ": dimensions [2,3] need 6 data bytes, the file has 5 (truncated)").c_str(),
        ValueError);
    path = dir.write("long", idx(0x08, {2, 3}, pattern(7)));
    CHECK_THROWS_WITH_AS(read_idx(path),
                         ("read_idx: " + path + ": dimensions [2,3] need 6 data bytes, the file has 7").c_str(),
                         ValueError);
    // Dimensions whose product overflows 64 bits are still a mismatch, not a crash.
    path = dir.write("huge", idx(0x08, {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, {1}));
    CHECK_THROWS_WITH_AS(read_idx(path),
                         ("read_idx: " + path + ": dimensions [4294967295,4294967295,4294967295] need over 2^64 "
                                                "data bytes, the file has 1 (truncated)")
                             .c_str(),
                         ValueError);
    // The same checks apply to the inflated contents of a gzip'd file.
    path = dir.write("short.gz", gzip(idx(0x08, {10, 10}, pattern(99))));
    CHECK_THROWS_WITH_AS(read_idx(path), doctest::Contains("need 100 data bytes, the file has 99 (truncated)"),
                         ValueError);
}

TEST_CASE("datasets: a gzip'd IDX file that inflates past the loading budget is a MemoryError, not an allocation") {
    // 20 MB of zero pixels compress to about 20 KB; under a budget of 10^6 elements read_idx stops inflating at
    // 10^6 + 1024 bytes (the largest header) instead of growing its buffer to the whole stream.
    const TempDir dir;
    const std::string path = dir.write("bomb.gz", gzip(idx(0x08, {2000, 100, 100}, Bytes(20'000'000, 0))));
    const int64_t saved = max_variable_elements();
    set_max_variable_elements(1'000'000);
    const std::string expected = "read_idx: " + path + ": the gzip data inflates to more than 1001024 bytes";
    CHECK_THROWS_WITH_AS(read_idx(path), doctest::Contains(expected.c_str()), MemoryError);
    // A file within the budget still loads.
    const Bytes small = idx(0x08, {10, 10}, pattern(100));
    CHECK(read_idx(dir.write("small.gz", gzip(small))).shape() == Shape{10, 10});
    set_max_variable_elements(saved);
}

TEST_CASE("datasets: gunzip accepts a stream of exactly max_size bytes and refuses one byte more") {
    const Bytes raw = pattern(5000);
    const Bytes packed = gzip(raw);
    CHECK(kiln::datasets::detail::gunzip(packed, "z", raw.size()) == raw);
    CHECK_THROWS_WITH_AS(kiln::datasets::detail::gunzip(packed, "z", raw.size() - 1),
                         doctest::Contains("z: the gzip data inflates to more than 4999 bytes"), MemoryError);
}

TEST_CASE("datasets: read_idx reports truncated and corrupt gzip files") {
    const TempDir dir;
    const Bytes packed = gzip(idx(0x08, {40, 50}, pattern(2000)));
    // Cut inside the header, inside the compressed data, and inside the 8-byte trailer.
    for (size_t keep : {size_t{2}, size_t{10}, packed.size() / 2, packed.size() - 3}) {
        const std::string path = dir.write(cat("cut", keep, ".gz"), first(packed, keep));
        CAPTURE(keep);
        const std::string expected = "read_idx: " + path + ": gzip stream is truncated";
        CHECK_THROWS_WITH_AS(read_idx(path), doctest::Contains(expected.c_str()), ValueError);
    }
    Bytes bad_crc = packed;
    bad_crc[bad_crc.size() - 8] ^= 0xFF;  // the trailer's CRC-32 starts 8 bytes from the end
    std::string path = dir.write("crc.gz", bad_crc);
    CHECK_THROWS_WITH_AS(read_idx(path), ("read_idx: " + path + ": corrupt gzip data (incorrect data check)").c_str(),
                         ValueError);
    Bytes bad_block = packed;
    bad_block[10] = 0xFF;  // the first deflate block header: 0b11 is a reserved block type
    path = dir.write("block.gz", bad_block);
    const std::string corrupt = "read_idx: " + path + ": corrupt gzip data";
    CHECK_THROWS_WITH_AS(read_idx(path), doctest::Contains(corrupt.c_str()), ValueError);
    Bytes trailing = packed;
    trailing.insert(trailing.end(), {'x', 'y', 'z'});
    path = dir.write("trailing.gz", trailing);
    CHECK_THROWS_WITH_AS(read_idx(path),
                         ("read_idx: " + path + ": 3 stray bytes after the end of the gzip stream").c_str(),
                         ValueError);
}

namespace {

const std::string kFashionDir = "/usr/share/datasets/fashion-mnist";

// The first `n` inflated bytes of the gzip file `path`, read with zlib alone (independently of read_idx).
Bytes gunzip_prefix(const std::string& path, size_t n) {
    gzFile file = gzopen(path.c_str(), "rb");
    REQUIRE_MESSAGE(file != nullptr, "cannot open " << path);
    Bytes out(n);
    const int got = gzread(file, out.data(), static_cast<unsigned>(n));
    gzclose(file);
    REQUIRE(got == static_cast<int>(n));
    return out;
}

// Sum of the pixels of image `image` (28x28, flattened) over rows [r0, r1) and columns [c0, c1).
double pixel_sum(const float* image, int r0, int r1, int c0, int c1) {
    double sum = 0;
    for (int r = r0; r < r1; ++r) {
        for (int c = c0; c < c1; ++c) sum += image[r * 28 + c];
    }
    return sum;
}

}  // namespace

TEST_CASE("datasets: load_fashion_mnist matches the package's files byte for byte") {
    for (const char* name : {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                             "t10k-labels-idx1-ubyte.gz"}) {
        REQUIRE_MESSAGE(std::filesystem::exists(kFashionDir + "/" + name),
                        kFashionDir << "/" << name << " is missing: apt-get install dataset-fashion-mnist "
                                    << "(scripts/setup.sh installs it)");
    }
    const FashionMnist data = load_fashion_mnist();
    REQUIRE(data.x_train.shape() == Shape{60000, 28, 28, 1});
    REQUIRE(data.y_train.shape() == Shape{60000});
    REQUIRE(data.x_test.shape() == Shape{10000, 28, 28, 1});
    REQUIRE(data.y_test.shape() == Shape{10000});

    // Pixels are bytes / 255: in [0, 1], both ends reached.
    for (const Tensor* x : {&data.x_train, &data.x_test}) {
        const float* v = x->data();
        const auto [lo, hi] = std::minmax_element(v, v + x->size());
        CHECK(*lo == 0.0f);
        CHECK(*hi == 1.0f);
    }
    // Fashion-MNIST is balanced: 6000 training and 1000 test images per class, labels 0..9.
    for (const auto& [y, per_class] : {std::pair{&data.y_train, 6000}, std::pair{&data.y_test, 1000}}) {
        std::vector<int64_t> counts(10);
        for (int64_t label : y->to_labels()) {
            REQUIRE((label >= 0 && label <= 9));
            ++counts[static_cast<size_t>(label)];
        }
        CHECK(counts == std::vector<int64_t>(10, per_class));
    }

    // The first image and labels of each part against the raw bytes: IDX header, then pixels row by row, each
    // pixel the byte / 255, and sums over the whole image, rows, a column and a block.
    for (const auto& [part, x, y] : {std::tuple{"train", &data.x_train, &data.y_train},
                                     std::tuple{"t10k", &data.x_test, &data.y_test}}) {
        CAPTURE(part);
        const Bytes images = gunzip_prefix(kFashionDir + "/" + part + "-images-idx3-ubyte.gz", 16 + 28 * 28);
        CHECK(Bytes(images.begin(), images.begin() + 4) == Bytes{0, 0, 0x08, 3});
        std::vector<float> raw(images.begin() + 16, images.end());
        const float* loaded = x->data();
        for (size_t i = 0; i < raw.size(); ++i) CHECK(loaded[i] == raw[i] / 255.0f);
        CHECK(pixel_sum(loaded, 0, 28, 0, 28) * 255 ==
              doctest::Approx(std::accumulate(raw.begin(), raw.end(), 0.0)).epsilon(1e-6));
        CHECK(pixel_sum(loaded, 0, 1, 0, 28) * 255 == doctest::Approx(pixel_sum(raw.data(), 0, 1, 0, 28)));
        CHECK(pixel_sum(loaded, 14, 15, 0, 28) * 255 == doctest::Approx(pixel_sum(raw.data(), 14, 15, 0, 28)));
        CHECK(pixel_sum(loaded, 0, 28, 14, 15) * 255 == doctest::Approx(pixel_sum(raw.data(), 0, 28, 14, 15)));
        CHECK(pixel_sum(loaded, 10, 20, 5, 12) * 255 == doctest::Approx(pixel_sum(raw.data(), 10, 20, 5, 12)));
        const Bytes labels = gunzip_prefix(kFashionDir + "/" + part + "-labels-idx1-ubyte.gz", 8 + 20);
        CHECK(Bytes(labels.begin(), labels.begin() + 4) == Bytes{0, 0, 0x08, 1});
        for (int64_t i = 0; i < 20; ++i) CHECK(y->at({i}) == labels[8 + static_cast<size_t>(i)]);
    }
}

TEST_CASE("datasets: load_fashion_mnist names a missing file and the package that provides it") {
    const TempDir dir;
    const std::string empty = dir.write("placeholder", {});
    const std::string folder = std::filesystem::path(empty).parent_path().string();
    CHECK_THROWS_WITH_AS(load_fashion_mnist(folder),
                         ("load_fashion_mnist: missing file " + folder +
                          "/train-images-idx3-ubyte.gz; `apt-get install dataset-fashion-mnist` provides it")
                             .c_str(),
                         Error);
    // Every file is looked for before any is read: empty training files are not read when a test file is missing.
    dir.write("train-images-idx3-ubyte.gz", {});
    dir.write("train-labels-idx1-ubyte.gz", {});
    CHECK_THROWS_WITH_AS(load_fashion_mnist(folder), doctest::Contains(("missing file " + folder +
                                                                        "/t10k-images-idx3-ubyte.gz").c_str()),
                         Error);
    CHECK(class_names().size() == 10);
    CHECK(class_names().front() == "T-shirt/top");
    CHECK(class_names()[7] == "Sneaker");
    CHECK(class_names().back() == "Ankle boot");
}
