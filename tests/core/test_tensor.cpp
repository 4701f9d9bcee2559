// Tensor creation, element access, views, copies, integer labels and the comparison helpers.
#include <doctest/doctest.h>

#include <kiln/kiln.hpp>

using namespace kiln;

TEST_CASE("tensor: creation by shape and fill value") {
    Tensor z = Tensor::zeros({2, 3});
    CHECK(z.shape() == Shape{2, 3});
    CHECK(z.size() == 6);
    CHECK(z.rank() == 2);
    for (float v : z.to_vector()) CHECK(v == 0.0f);
    for (float v : Tensor::ones({4}).to_vector()) CHECK(v == 1.0f);
    for (float v : Tensor::full({2, 2}, 2.5f).to_vector()) CHECK(v == 2.5f);
    Tensor s = Tensor::scalar(3.0f);
    CHECK(s.rank() == 0);
    CHECK(s.size() == 1);
    CHECK(s.item() == 3.0f);
    CHECK(Tensor::zeros({0, 5}).size() == 0);
}

TEST_CASE("tensor: from values with a shape, and 1-D initializer lists") {
    Tensor t({1, 2, 3, 4, 5, 6}, {2, 3});
    CHECK(t.at({0, 0}) == 1.0f);
    CHECK(t.at({0, 2}) == 3.0f);
    CHECK(t.at({1, 0}) == 4.0f);
    CHECK(t.at({-1, -1}) == 6.0f);
    Tensor v{1.5f, -2.0f};
    CHECK(v.shape() == Shape{2});
    CHECK(v.at({1}) == -2.0f);
    CHECK_THROWS_WITH_AS(Tensor({1, 2, 3}, {2, 2}), doctest::Contains("3 values do not fill shape [2,2]"),
                         ShapeError);
    CHECK_THROWS_WITH_AS(Tensor::zeros({2, -1}), doctest::Contains("negative dimension in shape [2,-1]"),
                         ValueError);
}

TEST_CASE("tensor: element access is bounds-checked and writable") {
    Tensor t = Tensor::zeros({2, 2});
    t.at({1, 0}) = 7.0f;
    CHECK(t.data()[2] == 7.0f);
    CHECK_THROWS_WITH_AS(t.at({2, 0}), doctest::Contains("index 2 is out of range for axis 0 of shape [2,2]"),
                         ValueError);
    CHECK_THROWS_WITH_AS(t.at({0}), doctest::Contains("index has 1 entries for shape [2,2]"), ShapeError);
    CHECK_THROWS_WITH_AS(t.item(), doctest::Contains("item: needs exactly one element, shape is [2,2]"), ShapeError);
    CHECK_THROWS_AS(Tensor().shape(), StateError);
}

TEST_CASE("tensor: arange follows NumPy") {
    CHECK(Tensor::arange(4).to_vector() == std::vector<float>{0, 1, 2, 3});
    CHECK(Tensor::arange(1.0f, 2.0f, 0.25f).to_vector() == std::vector<float>{1.0f, 1.25f, 1.5f, 1.75f});
    CHECK(Tensor::arange(3.0f, 0.0f, -1.0f).to_vector() == std::vector<float>{3, 2, 1});
    CHECK(Tensor::arange(2.0f, 1.0f).size() == 0);
    CHECK_THROWS_WITH_AS(Tensor::arange(0.0f, 1.0f, 0.0f), doctest::Contains("arange: invalid arguments"),
                         ValueError);
}

TEST_CASE("tensor: seeded random tensors are reproducible and have the requested distribution") {
    Tensor a = Tensor::random_normal({10000}, 2.0f, 3.0f, 42);
    Tensor b = Tensor::random_normal({10000}, 2.0f, 3.0f, 42);
    Tensor c = Tensor::random_normal({10000}, 2.0f, 3.0f, 43);
    CHECK(array_equal(a, b));
    CHECK_FALSE(array_equal(a, c));
    double m = 0, m2 = 0;
    for (float v : a.to_vector()) m += v;
    m /= a.size();
    for (float v : a.to_vector()) m2 += (v - m) * (v - m);
    const double sd = std::sqrt(m2 / a.size());
    CHECK(m == doctest::Approx(2.0).epsilon(0.05));  // standard error 0.03
    CHECK(sd == doctest::Approx(3.0).epsilon(0.03));
    Tensor u = Tensor::random_uniform({10000}, -1.0f, 3.0f, 1);
    float lo = 10, hi = -10;
    double um = 0;
    for (float v : u.to_vector()) lo = std::min(lo, v), hi = std::max(hi, v), um += v;
    CHECK(lo >= -1.0f);
    CHECK(hi < 3.0f);
    CHECK(um / u.size() == doctest::Approx(1.0).epsilon(0.05));
    CHECK_THROWS_AS(Tensor::random_uniform({2}, 1.0f, 0.0f, 1), ValueError);
    CHECK_THROWS_AS(Tensor::random_normal({2}, 0.0f, -1.0f, 1), ValueError);
}

TEST_CASE("tensor: reshape is a view and infers one -1") {
    Tensor t = Tensor::arange(6);
    Tensor r = t.reshape({2, -1});
    CHECK(r.shape() == Shape{2, 3});
    CHECK(r.shares_storage_with(t));
    CHECK(r.id() != t.id());
    r.at({1, 1}) = 40.0f;
    CHECK(t.at({4}) == 40.0f);
    CHECK_THROWS_WITH_AS(t.reshape({4, -1}), doctest::Contains("reshape: cannot reshape [6] into [4,-1]"),
                         ShapeError);
    CHECK_THROWS_WITH_AS(t.reshape({5}), doctest::Contains("cannot reshape [6] (6 elements) into [5] (5 elements)"),
                         ShapeError);
    CHECK_THROWS_WITH_AS(t.reshape({-1, -1}), doctest::Contains("more than one -1"), ValueError);
    CHECK(Tensor::zeros({0, 3}).reshape({-1, 3}).shape() == Shape{0, 3});
}

TEST_CASE("tensor: slice along axis 0 is a view of whole rows") {
    Tensor t({1, 2, 3, 4, 5, 6}, {3, 2});
    Tensor s = t.slice(1, 3);
    CHECK(s.shape() == Shape{2, 2});
    CHECK(s.to_vector() == std::vector<float>{3, 4, 5, 6});
    CHECK(s.shares_storage_with(t));
    CHECK(t.slice(2, 2).shape() == Shape{0, 2});
    CHECK_THROWS_WITH_AS(t.slice(2, 4), doctest::Contains("slice: rows [2, 4) are out of range for shape [3,2]"),
                         ValueError);
    CHECK_THROWS_AS(Tensor::scalar(1).slice(0, 1), ShapeError);
}

TEST_CASE("tensor: copy owns its data, handle copies share it") {
    Tensor t{1, 2, 3};
    Tensor handle = t;
    Tensor deep = t.copy();
    t.at({0}) = 9.0f;
    CHECK(handle.at({0}) == 9.0f);
    CHECK(handle.id() == t.id());
    CHECK(deep.at({0}) == 1.0f);
    CHECK_FALSE(deep.shares_storage_with(t));
}

TEST_CASE("tensor: integer labels round trip and reject fractions") {
    std::vector<int64_t> labels{0, 3, 9};
    Tensor t = Tensor::from_labels(labels);
    CHECK(t.to_vector() == std::vector<float>{0, 3, 9});
    CHECK(t.to_labels() == labels);
    CHECK_THROWS_WITH_AS(Tensor{1.5f}.to_labels(), doctest::Contains("value 1.5 at flat index 0 is not a whole number"),
                         ValueError);
}

TEST_CASE("tensor: allclose and array_equal") {
    Tensor a{1.0f, 100.0f};
    CHECK(allclose(a, Tensor{1.0f, 100.0009f}, 1e-5f, 0.0f));
    CHECK_FALSE(allclose(a, Tensor{1.0f, 100.01f}, 1e-5f, 0.0f));
    CHECK(allclose(a, Tensor{1.05f, 100.0f}, 0.0f, 0.1f));
    CHECK_FALSE(allclose(a, Tensor{1.0f, 100.0f, 1.0f}));
    CHECK_FALSE(allclose(Tensor{NAN}, Tensor{NAN}));
    CHECK(allclose(Tensor{INFINITY}, Tensor{INFINITY}));
    CHECK(array_equal(a, Tensor{1.0f, 100.0f}));
    CHECK_FALSE(array_equal(a, a.reshape({2, 1})));
}
