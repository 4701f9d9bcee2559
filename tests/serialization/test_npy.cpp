// .npy files: hand-built files (prelude, header dict and data bytes written here) for every dtype and format
// version, Fortran order, odd but valid headers, the exact bytes save_npy writes, round trips, and every kind of
// broken file naming the file and the fault.
#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include <kiln/kiln.hpp>

#include "support/temp_dir.hpp"

using namespace kiln;
using namespace kiln::serialization;
using kiln::testing::TempDir;
using Bytes = std::vector<uint8_t>;

namespace {

// A .npy file: magic, version (major, 0), the header length (2 bytes little-endian for 1.0, 4 otherwise), the
// header `dict` padded with spaces and a '\n' so that the data starts at a multiple of 64, then `data`.
Bytes npy(int major, const std::string& dict, const Bytes& data) {
    const size_t prelude = major == 1 ? 10 : 12;
    std::string header = dict;
    while ((prelude + header.size() + 1) % 64 != 0) header += ' ';
    header += '\n';
    Bytes out = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
    for (size_t i = 0; i < prelude - 8; ++i) out.push_back(static_cast<uint8_t>(header.size() >> (8 * i)));
    out.insert(out.end(), header.begin(), header.end());
    out.insert(out.end(), data.begin(), data.end());
    return out;
}

// The little-endian bytes of `values` as type T (this test, like kiln, runs on little-endian machines).
template <class T>
Bytes le(const std::vector<T>& values) {
    Bytes out(values.size() * sizeof(T));
    std::memcpy(out.data(), values.data(), out.size());
    return out;
}

std::string dict(const std::string& descr, const std::string& shape, bool fortran = false) {
    return cat("{'descr': '", descr, "', 'fortran_order': ", fortran ? "True" : "False", ", 'shape': ", shape, ", }");
}

Bytes first(const Bytes& b, size_t n) { return Bytes(b.begin(), b.begin() + static_cast<long>(n)); }

const Tensor k2x3({1.5f, -2.0f, 3.25f, 0.0f, 1e-3f, 255.0f}, Shape{2, 3});

}  // namespace

TEST_CASE("load_npy: every dtype and format version converts to float32") {
    const TempDir dir;
    CHECK(array_equal(load_npy(dir.write("f4.npy", npy(1, dict("<f4", "(2, 3)"), le(k2x3.to_vector())))), k2x3));
    const Tensor doubles = load_npy(dir.write("f8.npy", npy(2, dict("<f8", "(3,)"), le<double>({0.1, -1e10, 2.5}))));
    CHECK(array_equal(doubles, Tensor{0.1f, -1e10f, 2.5f}));
    const Tensor longs =
        load_npy(dir.write("i8.npy", npy(3, dict("<i8", "(2, 2)"), le<int64_t>({-3, 0, 7, 16777216}))));
    CHECK(array_equal(longs, Tensor({-3.0f, 0.0f, 7.0f, 16777216.0f}, Shape{2, 2})));
    const Tensor ints =
        load_npy(dir.write("i4.npy", npy(1, dict("<i4", "(4,)"), le<int32_t>({-2147483647, -1, 0, 42}))));
    CHECK(array_equal(ints, Tensor{-2147483647.0f, -1.0f, 0.0f, 42.0f}));
    const Tensor bytes = load_npy(dir.write("u1.npy", npy(2, dict("|u1", "(1, 3)"), {0, 128, 255})));
    CHECK(array_equal(bytes, Tensor({0.0f, 128.0f, 255.0f}, Shape{1, 3})));
}

TEST_CASE("load_npy: scalars, empty arrays and headers written by other hands") {
    const TempDir dir;
    const Tensor scalar = load_npy(dir.write("s.npy", npy(1, dict("<f4", "()"), le<float>({4.5f}))));
    CHECK(scalar.shape() == Shape{});
    CHECK(scalar.item() == 4.5f);
    CHECK(load_npy(dir.write("e.npy", npy(1, dict("<f8", "(0, 2)"), {}))).shape() == Shape{0, 2});
    // Keys in another order, double quotes, no trailing comma, Python 2 longs.
    const std::string odd = "{\"shape\": (2L, 3L), \"fortran_order\": False, \"descr\": \"<f4\"}";
    CHECK(array_equal(load_npy(dir.write("odd.npy", npy(1, odd, le(k2x3.to_vector())))), k2x3));
}

TEST_CASE("load_npy: Fortran order is transposed into row-major") {
    const TempDir dir;
    // [[1, 2, 3], [4, 5, 6]] column by column.
    const Tensor m = load_npy(dir.write("f2.npy", npy(1, dict("<f4", "(2, 3)", true), le<float>({1, 4, 2, 5, 3, 6}))));
    CHECK(array_equal(m, Tensor({1, 2, 3, 4, 5, 6}, Shape{2, 3})));
    // 2x3x2 holding 100 i + 10 j + k, stored with i fastest: position i + 2 (j + 3 k).
    std::vector<double> data(12);
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 3; ++j)
            for (int k = 0; k < 2; ++k) data[static_cast<size_t>(i + 2 * (j + 3 * k))] = 100 * i + 10 * j + k;
    const Tensor cube = load_npy(dir.write("f3.npy", npy(3, dict("<f8", "(2, 3, 2)", true), le(data))));
    for (int64_t i = 0; i < 2; ++i)
        for (int64_t j = 0; j < 3; ++j)
            for (int64_t k = 0; k < 2; ++k) CHECK(cube.at({i, j, k}) == static_cast<float>(100 * i + 10 * j + k));
}

TEST_CASE("load_npy: an empty Fortran-order array whose other sizes multiply past 64 bits loads as empty") {
    const TempDir dir;
    // 0 x 2^40 x 2^40: no elements, but 2^80 elements per index of the first axis (the fuzzer's find).
    const std::string shape = "(0, 1099511627776, 1099511627776)";
    const Tensor empty = load_npy(dir.write("e.npy", npy(1, dict("|u1", shape, true), {})));
    CHECK(empty.shape() == Shape{0, 1099511627776, 1099511627776});
    CHECK(empty.size() == 0);
}

TEST_CASE("save_npy: writes version 1.0 '<f4' in C order, byte for byte as NumPy, and reads back") {
    const TempDir dir;
    const std::string path = dir.path("m.npy");
    save_npy(path, k2x3);
    const Bytes expected = npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", le(k2x3.to_vector()));
    const std::string written = npy_to_bytes(k2x3);
    CHECK(Bytes(written.begin(), written.end()) == expected);
    CHECK(expected.size() == 128 + 24);  // the 59-character dict pads to one 128-byte block
    CHECK(array_equal(load_npy(path), k2x3));

    for (const Shape& shape : {Shape{}, Shape{5}, Shape{2, 0, 3}, Shape{3, 1, 4, 2}}) {
        CAPTURE(shape);
        const Tensor t = Tensor::random_normal(shape, 0.0f, 1.0f, 3);
        save_npy(path, t);
        CHECK(array_equal(load_npy(path), t));
    }
    const std::string vector_bytes = npy_to_bytes(Tensor{1, 2, 3});
    CHECK(vector_bytes.find("'shape': (3,), }") != std::string::npos);
    CHECK(dir.files() == std::vector<std::string>{"m.npy"});
}

TEST_CASE("save_npy: a header too long for version 1.0 is written as 2.0, as NumPy does") {
    // 22000 dimensions of 1 write "1, " 22000 times: more than the 65535 bytes a 1.0 header can have.
    const Tensor t = Tensor::full(Shape(22000, 1), 7.0f);
    const std::string bytes = npy_to_bytes(t);
    CHECK(bytes[6] == 2);
    CHECK(bytes.size() % 64 == 4);  // 12-byte prelude + header is a multiple of 64, then 4 data bytes
    const Tensor back = npy_from_bytes(bytes, "big");
    CHECK(back.shape() == t.shape());
    CHECK(back.item() == 7.0f);
}

TEST_CASE("load_npy: broken files raise IOError naming the file and the fault") {
    const TempDir dir;
    const Bytes good = npy(1, dict("<f4", "(2, 3)"), le(k2x3.to_vector()));
    auto fails = [&](const std::string& name, const Bytes& bytes, const std::string& what) {
        const std::string path = dir.write(name, bytes);
        const std::string expected = cat("load_npy: '", path, "': ", what);
        CHECK_THROWS_WITH_AS(load_npy(path), doctest::Contains(expected.c_str()), IOError);
    };
    Bytes magic = good;
    magic[1] = 'n';
    fails("magic.npy", magic, "not a .npy file (it does not start with \\x93NUMPY)");
    fails("tiny.npy", first(good, 7), "not a .npy file");
    Bytes version = good;
    version[6] = 4;
    fails("v4.npy", version, "unsupported .npy format version 4.0 (kiln reads 1.0 to 3.0)");
    version[6] = 1, version[7] = 1;
    fails("v11.npy", version, "unsupported .npy format version 1.1");
    fails("prelude.npy", first(npy(2, dict("<f4", "(2, 3)"), {}), 11), "truncated .npy header");
    fails("header.npy", first(good, 40), "truncated .npy header (118 bytes announced, 30 present)");
    fails("data.npy", first(good, good.size() - 4),
          "truncated data: shape [2,3] of '<f4' needs 24 bytes, the file has 20");
    Bytes extra = good;
    extra.push_back(0);
    fails("extra.npy", extra, "unexpected bytes after the data: shape [2,3] of '<f4' needs 24 bytes, the file has 25");

    fails("nodict.npy", npy(1, "['<f4', False, (2, 3)]", {}), "bad header (expected '{' at offset 0)");
    fails("nokey.npy", npy(1, "{'descr': '<f4', 'shape': (2, 3), }", {}),
          "bad header (the dict needs the keys 'descr', 'fortran_order' and 'shape')");
    fails("unknown.npy", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1, }", {}),
          "bad header (unknown key 'x')");
    fails("twice.npy", npy(1, "{'descr': '<f4', 'descr': '<f4', }", {}), "bad header (key 'descr' given twice)");
    fails("order.npy", npy(1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3), }", {}),
          "bad header (expected True or False");
    fails("shape.npy", npy(1, dict("<f4", "(2, -3)"), {}), "bad header (expected a dimension at offset");
    fails("quote.npy", npy(1, "{'descr: '<f4'}", {}), "bad header (");
    fails("after.npy", npy(1, dict("<f4", "(2, 3)") + " x", {}), "bad header (unexpected text after the dict)");
    fails("huge.npy", npy(1, dict("<f8", "(4294967296, 4294967296)"), {}),
          "shape [4294967296,4294967296] has too many elements");

    const std::string missing = dir.path("missing.npy");
    CHECK_THROWS_WITH_AS(load_npy(missing), cat("load_npy: '", missing, "': cannot open the file").c_str(), IOError);
}

TEST_CASE("load_npy: valid files kiln does not support raise NotImplementedError") {
    const TempDir dir;
    auto unsupported = [&](const std::string& name, const Bytes& bytes, const std::string& what) {
        const std::string path = dir.write(name, bytes);
        CHECK_THROWS_WITH_AS(load_npy(path), cat("load_npy: '", path, "': ", what).c_str(), NotImplementedError);
    };
    unsupported("be.npy", npy(1, dict(">f4", "(1,)"), {0x40, 0, 0, 0}), "big-endian data ('>f4') is not supported");
    unsupported("c8.npy", npy(1, dict("<c8", "(1,)"), Bytes(8)),
                "dtype '<c8' is not supported (kiln reads '<f4', '<f8', '<i8', '<i4' and '|u1')");
    unsupported("rec.npy", npy(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", Bytes(4)),
                "structured dtypes are not supported");
}

TEST_CASE("save_npy: a failed write names the file, a failed save leaves the old file") {
    const TempDir dir;
    const std::string missing_dir = dir.path("no/such/dir/a.npy");
    const std::string cannot_write = cat("save_npy: '", missing_dir, "': cannot write '");
    CHECK_THROWS_WITH_AS(save_npy(missing_dir, Tensor{1, 2}), doctest::Contains(cannot_write.c_str()), IOError);
    const std::string path = dir.path("keep.npy");
    save_npy(path, Tensor{1, 2});
    CHECK_THROWS(save_npy(path, Tensor()));  // an undefined tensor cannot be written
    CHECK(array_equal(load_npy(path), Tensor{1, 2}));
    CHECK(dir.files() == std::vector<std::string>{"keep.npy"});
}
