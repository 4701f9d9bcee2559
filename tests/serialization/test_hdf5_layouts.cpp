// kiln's HDF5 reader on every layout libhdf5 writes for the files kiln reads: both file formats (h5py's default
// "earliest" and the 1.8+ format with dense link and attribute storage), groups large enough for multi-level
// B-trees, chunked data with filters, every number type, user blocks, hard-link loops; and damaged copies of
// such files, which must raise kiln errors and nothing else (the asan preset checks that no byte is read out of
// bounds). The files are written with the HDF5 C API, so the expectations do not come from kiln's own writer.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include <algorithm>
#include <cstring>
#include <functional>

#include "kiln/serialization/detail/file_io.hpp"
#include "kiln/serialization/detail/h5read/reader.hpp"
#include "serialization/raw_h5.hpp"

using namespace kiln;
using kiln::serialization::detail::h5read::Dataset;
using kiln::serialization::detail::h5read::File;
using kiln::serialization::detail::h5read::Group;
using kiln::serialization::detail::h5read::Kind;
using kiln::testing::TempDir;
namespace raw = kiln::testing::raw;

using Strings = std::vector<std::string>;

namespace {

enum class Format { earliest, latest };

// A new file in `format`, with a user block of `user_block` bytes (0: none).
hid_t create(const std::string& path, Format format, hsize_t user_block = 0) {
    const hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (format == Format::latest) raw::check(H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST));
    const hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    if (user_block) raw::check(H5Pset_userblock(fcpl, user_block));
    const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl, fapl);
    H5Pclose(fapl);
    H5Pclose(fcpl);
    return file;
}

// A chunked float32 dataset of `dims` holding value(i) = 0.25 i - 3 at flat index i, with `chunks`, optionally
// shuffled, deflated and checksummed.
void chunked(hid_t parent, const std::string& name, const std::vector<hsize_t>& dims,
             const std::vector<hsize_t>& chunks, bool filters) {
    const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    raw::check(H5Pset_chunk(dcpl, static_cast<int>(chunks.size()), chunks.data()));
    if (filters) {
        raw::check(H5Pset_shuffle(dcpl));
        raw::check(H5Pset_deflate(dcpl, 6));
        raw::check(H5Pset_fletcher32(dcpl));
    }
    hsize_t count = 1;
    for (hsize_t d : dims) count *= d;
    std::vector<float> values(count);
    for (hsize_t i = 0; i < count; ++i) values[i] = 0.25f * static_cast<float>(i) - 3.0f;
    const raw::Obj d(H5Dcreate2(parent, name.c_str(), H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT));
    raw::check(H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()));
    H5Pclose(dcpl);
    H5Sclose(space);
}

// The expected values of chunked(): 0.25 i - 3.
Tensor ramp(const Shape& shape) {
    Tensor t = Tensor::empty(shape);
    for (int64_t i = 0; i < t.size(); ++i) t.data()[i] = 0.25f * static_cast<float>(i) - 3.0f;
    return t;
}

// Reads everything reachable from `group` (children, the attributes named in `attributes`, every dataset's
// shape, type and values), so that a damaged file is exercised everywhere the loaders would go.
void read_everything(const Group& group, const Strings& attributes) {
    for (const std::string& name : attributes)
        if (group.has_attribute(name)) (void)group.read_strings(name);
    for (const std::string& child : group.children()) {
        if (const std::optional<Group> g = group.find_group(child)) read_everything(*g, attributes);
        if (const std::optional<Dataset> d = group.find_dataset(child)) {
            (void)d->shape();
            (void)d->dtype();
            try {
                (void)d->read();
            } catch (const IOError&) {  // string datasets are not numbers; other damage raises as well
            }
        }
    }
}

// For every damaged copy `damage` makes of `bytes` (it returns false when there are no more), reading
// everything raises a kiln::Error or nothing; returns how many copies raised.
int damaged_copies_raise_only_kiln_errors(const std::string& bytes, const Strings& attributes,
                                          const std::function<bool(size_t, std::string&)>& damage) {
    int raised = 0;
    for (size_t n = 0;; ++n) {
        std::string copy = bytes;
        if (!damage(n, copy)) break;
        try {
            read_everything(File::open_image(copy, "damaged").root(), attributes);
        } catch (const kiln::Error&) {
            ++raised;
        }  // anything else escapes and fails the test case
    }
    return raised;
}

}  // namespace

TEST_CASE("hdf5 reader: groups of 3000 links in both formats (multi-level v1 and v2 B-trees, fractal heaps)") {
    for (const Format format : {Format::earliest, Format::latest}) {
        CAPTURE(static_cast<int>(format));
        TempDir dir;
        const std::string path = dir.path("many.h5");
        Strings names;
        {
            raw::Obj f(create(path, format));
            raw::Obj many(raw::group(f, "many"));
            for (int i = 0; i < 3000; ++i) {
                names.push_back(cat("layer_", i));
                raw::Obj g(raw::group(many, names.back()));
            }
            raw::dataset(many, "weights", {2}, {1.5, -2.5});
            names.push_back("weights");
        }
        std::sort(names.begin(), names.end());
        const File file = File::open(path);
        const Group many = file.root().group("many");
        CHECK(many.children() == names);
        CHECK(many.kind("layer_2999") == Kind::group);
        CHECK(many.kind("layer_3000") == Kind::missing);
        CHECK(array_equal(many.find_dataset("weights")->read(), Tensor({1.5f, -2.5f}, Shape{2})));
        CHECK(file.root().dataset_paths() == Strings{"many/weights"});
    }
}

TEST_CASE("hdf5 reader: dense attribute storage (many attributes, one of 100 KB) in the 1.8+ format") {
    TempDir dir;
    const std::string path = dir.path("attributes.h5");
    const std::string long_text(100000, 'x');
    {
        raw::Obj f(create(path, Format::latest));
        raw::Obj g(raw::group(f, "layer"));
        for (int i = 0; i < 20; ++i) raw::vlen_strings(g, cat("name", i), {cat("value ", i)}, true, true);
        raw::fixed_strings(g, "long", {long_text}, long_text.size(), H5T_STR_NULLPAD, true);
    }
    const Group layer = File::open(path).root().group("layer");
    for (int i = 0; i < 20; ++i) CHECK(layer.read_string(cat("name", i)) == cat("value ", i));
    CHECK(layer.read_string("long") == long_text);
    CHECK(layer.read_chunked_strings("name")->size() == 20);  // name0 .. name19, in order
    CHECK_FALSE(layer.has_attribute("name20"));
}

TEST_CASE("hdf5 reader: chunked datasets, with partial edge chunks and shuffle + deflate + fletcher32") {
    TempDir dir;
    const std::string path = dir.path("chunked.h5");
    {
        raw::Obj f(create(path, Format::earliest));
        chunked(f, "plain", {5, 7, 3}, {2, 3, 2}, false);
        chunked(f, "filtered", {5, 7, 3}, {2, 3, 2}, true);
        chunked(f, "vector", {1000}, {64}, true);
        // Only the first chunk written: the others keep the fill value 0.
        const hsize_t dims[2] = {4, 4}, chunk[2] = {2, 2};
        const hid_t space = H5Screate_simple(2, dims, nullptr);
        const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
        raw::check(H5Pset_chunk(dcpl, 2, chunk));
        const raw::Obj d(H5Dcreate2(f, "sparse", H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT));
        const hsize_t start[2] = {0, 0};
        raw::check(H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, chunk, nullptr));
        const hid_t memory = H5Screate_simple(2, chunk, nullptr);
        const float first[4] = {1, 2, 3, 4};
        raw::check(H5Dwrite(d, H5T_NATIVE_FLOAT, memory, space, H5P_DEFAULT, first));
        H5Sclose(memory);
        H5Pclose(dcpl);
        H5Sclose(space);
    }
    const Group root = File::open(path).root();
    CHECK(array_equal(root.find_dataset("plain")->read(), ramp(Shape{5, 7, 3})));
    CHECK(array_equal(root.find_dataset("filtered")->read(), ramp(Shape{5, 7, 3})));
    CHECK(array_equal(root.find_dataset("vector")->read(), ramp(Shape{1000})));
    CHECK(array_equal(root.find_dataset("sparse")->read(),
                      Tensor({1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, Shape{4, 4})));
}

TEST_CASE("hdf5 reader: the 1.10 format's single-chunk index is read, its other chunk indexes are refused by name") {
    TempDir dir;
    const std::string path = dir.path("latest_chunks.h5");
    {
        raw::Obj f(create(path, Format::latest));
        chunked(f, "single", {3, 4}, {3, 4}, true);  // one chunk covering the dataset
        chunked(f, "fixed_array", {8, 4}, {2, 2}, false);
    }
    const Group root = File::open(path).root();
    CHECK(array_equal(root.find_dataset("single")->read(), ramp(Shape{3, 4})));
    CHECK(root.find_dataset("fixed_array")->shape() == Shape{8, 4});
    CHECK_THROWS_WITH_AS(root.find_dataset("fixed_array")->read(), doctest::Contains("chunk index type 3 of the 1.10 format"),
                         IOError);
}

TEST_CASE("hdf5 reader: every integer and float type in either byte order, compact storage, a user block") {
    TempDir dir;
    const std::string path = dir.path("types.h5");
    const std::vector<double> values{-3, 0, 1.5, 250};
    {
        raw::Obj f(create(path, Format::earliest, 512));
        raw::dataset(f, "f64be", {4}, values, H5T_IEEE_F64BE);
        raw::dataset(f, "f32be", {4}, values, H5T_IEEE_F32BE);
        raw::dataset(f, "i8", {4}, {-3, 0, 1, 127}, H5T_STD_I8LE);
        raw::dataset(f, "u16be", {4}, {3, 0, 1, 65535}, H5T_STD_U16BE);
        raw::dataset(f, "i32", {4}, {-3, 0, 1, -2000000}, H5T_STD_I32LE);
        raw::dataset(f, "u64", {4}, {3, 0, 1, 4096}, H5T_STD_U64LE);
        raw::dataset(f, "i64be", {4}, {-3, 0, 1, -4096}, H5T_STD_I64BE);
        // IEEE half precision, as NumPy's float16 is stored.
        const hid_t half = H5Tcopy(H5T_IEEE_F32LE);
        raw::check(H5Tset_fields(half, 15, 10, 5, 0, 10));
        raw::check(H5Tset_size(half, 2));
        raw::check(H5Tset_ebias(half, 15));
        raw::dataset(f, "f16", {4}, values, half);
        H5Tclose(half);
        const hsize_t dims[1] = {4};
        const hid_t space = H5Screate_simple(1, dims, nullptr);
        const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
        raw::check(H5Pset_layout(dcpl, H5D_COMPACT));
        const raw::Obj d(H5Dcreate2(f, "compact", H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT));
        raw::check(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()));
        H5Pclose(dcpl);
        H5Sclose(space);
    }
    const Group root = File::open(path).root();
    const Tensor expected({-3, 0, 1.5f, 250}, Shape{4});
    for (const char* name : {"f64be", "f32be", "f16", "compact"}) {
        CAPTURE(name);
        CHECK(array_equal(root.find_dataset(name)->read(), expected));
    }
    CHECK(array_equal(root.find_dataset("i8")->read(), Tensor({-3, 0, 1, 127}, Shape{4})));
    CHECK(array_equal(root.find_dataset("u16be")->read(), Tensor({3, 0, 1, 65535}, Shape{4})));
    CHECK(array_equal(root.find_dataset("i32")->read(), Tensor({-3, 0, 1, -2000000}, Shape{4})));
    CHECK(array_equal(root.find_dataset("u64")->read(), Tensor({3, 0, 1, 4096}, Shape{4})));
    CHECK(array_equal(root.find_dataset("i64be")->read(), Tensor({-3, 0, 1, -4096}, Shape{4})));
    CHECK(root.find_dataset("f16")->dtype() == "float16");
    CHECK(root.find_dataset("u16be")->dtype() == "uint16");
}

TEST_CASE("hdf5 reader: a hard link back to an ancestor does not make the walk loop, and each dataset is listed once") {
    TempDir dir;
    const std::string path = dir.path("loop.h5");
    {
        raw::Obj f(create(path, Format::earliest));
        raw::dataset(f, "a/b/kernel", {1}, {1});
        raw::check(H5Lcreate_hard(f, "/", f, "a/b/up", H5P_DEFAULT, H5P_DEFAULT));
        raw::check(H5Lcreate_hard(f, "/a/b/kernel", f, "a/alias", H5P_DEFAULT, H5P_DEFAULT));
    }
    const Group root = File::open(path).root();
    CHECK(root.dataset_paths() == Strings{"a/alias", "a/b/kernel"});
    CHECK(root.find_dataset("a/b/up/a/b/kernel").has_value());  // explicit paths may go round
}

TEST_CASE("hdf5 reader: every truncation and every damaged byte of real files raises kiln errors only") {
    const Strings attributes{"name", "names", "long"};
    for (const Format format : {Format::earliest, Format::latest}) {
        CAPTURE(static_cast<int>(format));
        TempDir dir;
        const std::string path = dir.path("sample.h5");
        {
            raw::Obj f(create(path, format));
            raw::Obj layer(raw::group(f, "layers/dense"));
            raw::vlen_strings(layer, "name", {"dense"}, true, true);
            raw::fixed_strings(layer, "names", {"kernel", "bias"}, 8);
            for (int i = 0; i < 10; ++i) raw::Obj g(raw::group(layer, cat("g", i)));  // dense in the 1.8 format
            raw::dataset(layer, "vars/0", {2, 3}, {1, 2, 3, 4, 5, 6});
            // Several chunks in a v1 B-tree; the 1.10 format would index those by a fixed array, so one chunk.
            chunked(layer, "vars/1", {6, 5}, format == Format::earliest ? std::vector<hsize_t>{4, 2} : std::vector<hsize_t>{6, 5}, true);
        }
        const std::string bytes = serialization::detail::read_file_bytes(path);
        REQUIRE_NOTHROW(read_everything(File::open_image(bytes, "intact").root(), attributes));
        // About 2000 places each (every byte of the first 512, then evenly spread), to keep the suite fast; the
        // fuzz target weights_h5 explores further.
        const auto place = [&](size_t n) { return n < 512 ? n : 512 + (n - 512) * (bytes.size() / 1500 + 1); };
        const int truncations = damaged_copies_raise_only_kiln_errors(bytes, attributes, [&](size_t n, std::string& b) {
            if (place(n) >= b.size()) return false;
            b.resize(place(n));
            return true;
        });
        CHECK(truncations > 1000);
        const int flips = damaged_copies_raise_only_kiln_errors(bytes, attributes, [&](size_t n, std::string& b) {
            if (place(n) >= b.size()) return false;
            b[place(n)] = static_cast<char>(b[place(n)] ^ 0xff);
            return true;
        });
        CHECK(flips > 100);
    }
}
