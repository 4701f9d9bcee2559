// kiln's HDF5 reader on the files Keras writes (every string attribute form, numeric datasets with conversion,
// hard-link-only navigation, errors naming the file and object) and the libhdf5 writer of in-memory images.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

#include "kiln/serialization/detail/file_io.hpp"
#include "kiln/serialization/detail/h5read/reader.hpp"
#include "kiln/serialization/detail/hdf5.hpp"
#include "serialization/raw_h5.hpp"

using namespace kiln;
using kiln::serialization::detail::h5read::File;
using kiln::serialization::detail::h5read::Kind;
using Writer = kiln::serialization::detail::h5::File;
using kiln::testing::TempDir;
namespace raw = kiln::testing::raw;

using Strings = std::vector<std::string>;

TEST_CASE("hdf5: string attributes in every form Keras files hold") {
    TempDir dir;
    const std::string path = dir.path("strings.h5");
    {
        raw::Obj f(raw::create_file(path));
        raw::fixed_strings(f, "fixed", {"conv2d", "batch_normalization"}, 19);  // NumPy S19, NULL-padded
        raw::fixed_strings(f, "fixed_full", {"abc", "xyz"}, 3);                 // no padding left at all
        raw::fixed_strings(f, "nullterm", {"dense"}, 8, H5T_STR_NULLTERM, true);
        raw::fixed_strings(f, "spaces", {"dense", "bn"}, 8, H5T_STR_SPACEPAD);
        raw::vlen_strings(f, "vlen_ascii", {"ftr0/kernel:0", "ftr0/bias:0"});
        raw::vlen_strings(f, "vlen_utf8", {"d\xc3\xa9nse", ""}, true);
        raw::vlen_strings(f, "scalar", {"{\"class_name\": \"Sequential\"}"}, false, true);
        raw::empty_float64(f, "empty");
        raw::vlen_strings(f, "names0", {"a", "b"});
        raw::fixed_strings(f, "names1", {"c"}, 4);
        raw::vlen_strings(f, "both", {"whole"});
        raw::vlen_strings(f, "both0", {"chunk"});
    }
    const File file = File::open(path);
    const auto root = file.root();
    CHECK(root.read_strings("fixed") == Strings{"conv2d", "batch_normalization"});
    CHECK(root.read_strings("fixed_full") == Strings{"abc", "xyz"});
    CHECK(root.read_strings("nullterm") == Strings{"dense"});
    CHECK(root.read_strings("spaces") == Strings{"dense", "bn"});
    CHECK(root.read_strings("vlen_ascii") == Strings{"ftr0/kernel:0", "ftr0/bias:0"});
    CHECK(root.read_strings("vlen_utf8") == Strings{"d\xc3\xa9nse", ""});
    CHECK(root.read_string("scalar") == "{\"class_name\": \"Sequential\"}");
    CHECK(root.read_strings("empty").empty());
    CHECK(root.read_chunked_strings("names") == Strings{"a", "b", "c"});
    CHECK(root.read_chunked_strings("both") == Strings{"whole"});
    CHECK_FALSE(root.read_chunked_strings("absent").has_value());
    CHECK(root.has_attribute("fixed"));
    CHECK_FALSE(root.has_attribute("absent"));
}

TEST_CASE("hdf5: attributes that are not what is asked for raise IOError naming the file, object and attribute") {
    TempDir dir;
    const std::string path = dir.path("bad_attrs.h5");
    {
        raw::Obj f(raw::create_file(path));
        raw::Obj g(raw::group(f, "layer"));
        raw::vlen_strings(g, "two", {"a", "b"});
        const hsize_t dims[1] = {2};
        const hid_t space = H5Screate_simple(1, dims, nullptr);
        const double values[2] = {1.0, 2.0};
        raw::write_attribute(g, "numbers", H5T_IEEE_F64LE, space, values);
        H5Sclose(space);
    }
    const File file = File::open(path);
    const auto layer = file.root().group("layer");
    CHECK_THROWS_WITH_AS(layer.read_string("two"),
                         doctest::Contains("/layer: the attribute 'two' should hold one string, it holds 2"), IOError);
    CHECK_THROWS_WITH_AS(layer.read_strings("numbers"), doctest::Contains("'numbers' does not hold strings"), IOError);
    CHECK_THROWS_WITH_AS(layer.read_strings("missing"), doctest::Contains(path.c_str()), IOError);
    CHECK_THROWS_WITH_AS(layer.read_strings("missing"), doctest::Contains("/layer: has no attribute 'missing'"),
                         IOError);
}

TEST_CASE("hdf5: numeric datasets are read as float32 from float32, float64 and int64") {
    TempDir dir;
    const std::string path = dir.path("numbers.h5");
    {
        raw::Obj f(raw::create_file(path));
        raw::dataset(f, "g/f32", {2, 3}, {1, 2, 3, 4, 5, -6.5});
        raw::dataset(f, "g/f64", {2}, {0.25, 1e30}, H5T_IEEE_F64LE);
        raw::dataset(f, "g/i64", {}, {42}, H5T_STD_I64LE);
        raw::dataset(f, "g/empty", {0, 4}, {});
        raw::string_dataset(f, "g/text", 4, 1);
    }
    const File file = File::open(path);
    const auto g = file.root().group("g");
    const auto f32 = g.find_dataset("f32");
    REQUIRE(f32);
    CHECK(f32->shape() == Shape{2, 3});
    CHECK(f32->dtype() == "float32");
    CHECK(array_equal(f32->read(), Tensor({1, 2, 3, 4, 5, -6.5f}, Shape{2, 3})));
    const auto f64 = g.find_dataset("f64");
    CHECK(f64->dtype() == "float64");
    CHECK(array_equal(f64->read(), Tensor({0.25f, 1e30f}, Shape{2})));
    const auto i64 = file.root().find_dataset("g/i64");
    CHECK(i64->dtype() == "int64");
    CHECK(i64->shape() == Shape{});
    CHECK(i64->read().item() == 42.0f);
    CHECK(g.find_dataset("empty")->read().shape() == Shape{0, 4});
    const auto text = g.find_dataset("text");
    CHECK(text->dtype() == "string");
    CHECK_THROWS_WITH_AS(text->read(), doctest::Contains("/g/text: holds string data, not numbers"), IOError);
}

TEST_CASE("hdf5: navigation by hard links only: soft and external links are neither followed nor listed") {
    TempDir dir;
    const std::string other = dir.path("other.h5");
    const std::string path = dir.path("links.h5");
    {
        raw::Obj o(raw::create_file(other));
        raw::dataset(o, "secret", {1}, {7});
    }
    {
        raw::Obj f(raw::create_file(path));
        raw::dataset(f, "a/b/real", {1}, {1});
        raw::check(H5Lcreate_soft("/a/b/real", f, "soft", H5P_DEFAULT, H5P_DEFAULT));
        raw::check(H5Lcreate_external(other.c_str(), "/secret", f, "a/external", H5P_DEFAULT, H5P_DEFAULT));
    }
    const File file = File::open(path);
    const auto root = file.root();
    CHECK(root.kind("a") == Kind::group);
    CHECK(root.kind("soft") == Kind::other);
    CHECK(root.kind("nothing") == Kind::missing);
    CHECK(root.find_dataset("a/b/real").has_value());
    CHECK_FALSE(root.find_dataset("soft").has_value());
    CHECK_FALSE(root.find_dataset("a/external").has_value());
    CHECK_FALSE(root.find_group("a/real").has_value());
    CHECK(root.dataset_paths() == Strings{"a/b/real"});
    CHECK(root.children() == Strings{"a", "soft"});
    CHECK(root.group("a").children() == Strings{"b", "external"});
}

TEST_CASE("hdf5: an in-memory image holds what was written, readable by the HDF5 library itself") {
    Writer created = Writer::create_image("test image");
    {
        const auto root = created.root();
        const auto vars = root.require_group("layers/dense/vars");
        vars.write_string("name", "d\xc3\xa9nse");
        vars.write_tensor("0", Tensor({1, 2, 3, 4, 5, 6}, Shape{2, 3}));
        vars.write_tensor("1", Tensor::scalar(0.5f));
        vars.write_int64("2", 1234567890123);
        root.require_group("layers/dense/vars");  // an existing group is reused
    }
    const std::string bytes = created.take_image();
    REQUIRE(bytes.size() > 8);
    CHECK(bytes.substr(0, 8) == std::string("\x89HDF\r\n\x1a\n", 8));

    // Through kiln's reader, from the bytes.
    const File image = File::open_image(bytes, "again");
    CHECK(image.root().group("layers/dense").children() == Strings{"vars"});
    const auto vars = image.root().group("layers/dense/vars");
    CHECK(vars.read_string("name") == "d\xc3\xa9nse");
    CHECK(array_equal(vars.find_dataset("0")->read(), Tensor({1, 2, 3, 4, 5, 6}, Shape{2, 3})));
    CHECK(vars.find_dataset("1")->shape() == Shape{});

    // Through the C API, from a file: the types are the ones Keras writes.
    TempDir dir;
    const std::string path = dir.path("image.h5");
    serialization::detail::write_bytes_atomically(path, bytes);
    raw::Obj f(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
    raw::Obj kernel(H5Dopen2(f, "/layers/dense/vars/0", H5P_DEFAULT));
    const hid_t kernel_type = H5Dget_type(kernel);
    CHECK(H5Tequal(kernel_type, H5T_IEEE_F32LE) > 0);
    H5Tclose(kernel_type);
    float values[6] = {};
    raw::check(H5Dread(kernel, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values));
    CHECK(values[5] == 6.0f);
    raw::Obj counter(H5Dopen2(f, "/layers/dense/vars/2", H5P_DEFAULT));
    const hid_t counter_type = H5Dget_type(counter);
    CHECK(H5Tequal(counter_type, H5T_STD_I64LE) > 0);
    H5Tclose(counter_type);
    int64_t count = 0;
    raw::check(H5Dread(counter, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, &count));
    CHECK(count == 1234567890123);
    raw::Obj group(H5Gopen2(f, "/layers/dense/vars", H5P_DEFAULT));
    const hid_t attribute = H5Aopen(group, "name", H5P_DEFAULT);
    const hid_t name_type = H5Aget_type(attribute);
    CHECK(H5Tis_variable_str(name_type) > 0);
    CHECK(H5Tget_cset(name_type) == H5T_CSET_UTF8);
    H5Tclose(name_type);
    H5Aclose(attribute);
}

TEST_CASE("hdf5: taking the image while a group is still open is refused") {
    Writer created = Writer::create_image("busy");
    {
        const auto root = created.root();
        CHECK_THROWS_WITH_AS(created.take_image(), doctest::Contains("is a group or dataset still open?"), IOError);
    }
    const std::string bytes = created.take_image();
    CHECK(File::open_image(bytes, "closed").root().children().empty());
}

TEST_CASE("hdf5: missing files, other files and empty data raise IOError naming them") {
    TempDir dir;
    CHECK_THROWS_WITH_AS(File::open(dir.path("absent.h5")), doctest::Contains("absent.h5"), IOError);
    const std::string text = dir.path("text.h5");
    serialization::detail::write_bytes_atomically(text, "just some text, not HDF5");
    CHECK_THROWS_WITH_AS(File::open(text), doctest::Contains("text.h5': not an HDF5 file (no superblock signature)"),
                         IOError);
    CHECK_THROWS_WITH_AS(File::open_image("not HDF5 either", "memory"),
                         doctest::Contains("HDF5 file 'memory': not an HDF5 file"), IOError);
    CHECK_THROWS_WITH_AS(File::open_image("", "nothing"), doctest::Contains("HDF5 file 'nothing': not an HDF5 file"),
                         IOError);
}
