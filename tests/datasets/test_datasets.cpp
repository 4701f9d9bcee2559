// Toy dataset generators (geometry by formula, class balance, seeding, validation), train_test_split and
// Standardizer. Expected values come from the definitions written out in each test, not from kiln's output.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>
#include <vector>

#include <kiln/kiln.hpp>

using namespace kiln;
using namespace kiln::datasets;

namespace {

constexpr double kPi = std::numbers::pi;

// How many rows carry each label.
std::map<int64_t, int64_t> label_counts(const Tensor& y) {
    std::map<int64_t, int64_t> counts;
    for (int64_t label : y.to_labels()) ++counts[label];
    return counts;
}

// The 2-D points of class `label`.
std::vector<std::pair<double, double>> points_of(const Dataset& d, int64_t label) {
    std::vector<std::pair<double, double>> points;
    for (int64_t i = 0; i < d.x.dim(0); ++i) {
        if (d.y.at({i}) == static_cast<float>(label)) points.emplace_back(d.x.at({i, 0}), d.x.at({i, 1}));
    }
    return points;
}

// Checks that `values`, sorted, are start + i * step for i = 0, 1, ...
void check_evenly_spaced(std::vector<double> values, double start, double step) {
    std::sort(values.begin(), values.end());
    for (size_t i = 0; i < values.size(); ++i) CHECK(values[i] == doctest::Approx(start + step * i).epsilon(1e-5));
}

}  // namespace

TEST_CASE("datasets: make_moons without noise lies exactly on the two half circles") {
    const Dataset d = make_moons(101, 0.0, 7);
    REQUIRE(d.x.shape() == Shape{101, 2});
    REQUIRE(d.y.shape() == Shape{101});
    CHECK(label_counts(d.y) == std::map<int64_t, int64_t>{{0, 50}, {1, 51}});  // class 0 gets n / 2, rounded down
    // Class 0: (cos t, sin t); class 1: (1 - cos t, 1/2 - sin t); t evenly spaced over [0, pi], ends included.
    std::vector<double> t_upper, t_lower;
    for (auto [x, y] : points_of(d, 0)) {
        CHECK(x * x + y * y == doctest::Approx(1.0).epsilon(1e-6));
        CHECK(y >= -1e-7);
        t_upper.push_back(std::atan2(y, x));
    }
    for (auto [x, y] : points_of(d, 1)) {
        CHECK((1 - x) * (1 - x) + (0.5 - y) * (0.5 - y) == doctest::Approx(1.0).epsilon(1e-6));
        CHECK(y <= 0.5 + 1e-7);
        t_lower.push_back(std::atan2(0.5 - y, 1 - x));
    }
    check_evenly_spaced(t_upper, 0.0, kPi / 49);
    check_evenly_spaced(t_lower, 0.0, kPi / 50);
}

TEST_CASE("datasets: make_moons noise moves points off the curve by the requested spread") {
    // For isotropic noise of standard deviation s much smaller than the radius, the radial offset is close to
    // N(0, s^2), whose mean absolute value is s * sqrt(2 / pi).
    const double s = 0.02;
    const Dataset d = make_moons(4000, s, 3);
    double total = 0;
    const auto upper = points_of(d, 0);
    for (auto [x, y] : upper) total += std::abs(std::hypot(x, y) - 1.0);
    CHECK(total / upper.size() == doctest::Approx(s * std::sqrt(2 / kPi)).epsilon(0.08));
}

TEST_CASE("datasets: make_circles puts class 0 on the unit circle and class 1 on radius factor") {
    for (double factor : {0.8, 0.3}) {
        const Dataset d = factor == 0.8 ? make_circles(60, 0.0) : make_circles(60, 0.0, factor, 1);
        REQUIRE(d.x.shape() == Shape{60, 2});
        CHECK(label_counts(d.y) == std::map<int64_t, int64_t>{{0, 30}, {1, 30}});
        const double radii[2] = {1.0, factor};
        for (int64_t c = 0; c < 2; ++c) {
            std::vector<double> angles;
            for (auto [x, y] : points_of(d, c)) {
                CHECK(std::hypot(x, y) == doctest::Approx(radii[c]).epsilon(1e-6));
                angles.push_back(std::fmod(std::atan2(y, x) + 2 * kPi + 1e-9, 2 * kPi) - 1e-9);
            }
            check_evenly_spaced(angles, 0.0, 2 * kPi / 30);  // angles 2 pi i / 30, i < 30
        }
    }
    CHECK(label_counts(make_circles(7, 0.0, 0.5, 1).y) == std::map<int64_t, int64_t>{{0, 3}, {1, 4}});
}

TEST_CASE("datasets: make_spirals puts arm c at radius r and angle 2 pi c / k + 3 pi r") {
    const Dataset d = make_spirals(301, 3, 0.0, 5);
    REQUIRE(d.x.shape() == Shape{301, 2});
    CHECK(label_counts(d.y) == std::map<int64_t, int64_t>{{0, 101}, {1, 100}, {2, 100}});
    for (int64_t c = 0; c < 3; ++c) {
        const auto points = points_of(d, c);
        std::vector<double> radii;
        for (auto [x, y] : points) {
            const double r = std::hypot(x, y);
            const double angle = 2 * kPi * c / 3 + 3 * kPi * r;
            CHECK(x == doctest::Approx(r * std::cos(angle)).epsilon(1e-5));
            CHECK(y == doctest::Approx(r * std::sin(angle)).epsilon(1e-5));
            radii.push_back(r);
        }
        const double step = 1.0 / static_cast<double>(points.size());
        check_evenly_spaced(radii, step, step);  // r = (i + 1) / count
    }
    CHECK(label_counts(make_spirals(10, 4, 0.1, 1).y) == std::map<int64_t, int64_t>{{0, 3}, {1, 3}, {2, 2}, {3, 2}});
}

TEST_CASE("datasets: make_blobs points gather around the given centers with the given spread") {
    const Tensor centers({0, 0, 10, 10, -10, 5}, {3, 2});
    const double s = 0.5;
    const Dataset d = make_blobs(3000, centers, s, 11);
    REQUIRE(d.x.shape() == Shape{3000, 2});
    CHECK(label_counts(d.y) == std::map<int64_t, int64_t>{{0, 1000}, {1, 1000}, {2, 1000}});
    for (int64_t c = 0; c < 3; ++c) {
        const auto points = points_of(d, c);
        double mx = 0, my = 0, sq = 0;
        for (auto [x, y] : points) mx += x, my += y;
        mx /= points.size();
        my /= points.size();
        for (auto [x, y] : points) {
            CHECK(std::abs(x - centers.at({c, 0})) < 6 * s);
            CHECK(std::abs(y - centers.at({c, 1})) < 6 * s);
            sq += (x - mx) * (x - mx) + (y - my) * (y - my);
        }
        // Means within 4 standard errors (s / sqrt(1000) = 0.016); the spread within 6 %.
        CHECK(std::abs(mx - centers.at({c, 0})) < 0.065);
        CHECK(std::abs(my - centers.at({c, 1})) < 0.065);
        CHECK(std::sqrt(sq / (2 * points.size())) == doctest::Approx(s).epsilon(0.06));
    }
    // Any number of features: the points take the centers' width.
    CHECK(make_blobs(5, Tensor({1, 2, 3}, {1, 3}), 0.1, 1).x.shape() == Shape{5, 3});
}

TEST_CASE("datasets: make_blobs with a count draws 2-D centers in the box from -10 to 10") {
    const Dataset d = make_blobs(31, 3, 0.0, 2);
    REQUIRE(d.x.shape() == Shape{31, 2});
    CHECK(label_counts(d.y) == std::map<int64_t, int64_t>{{0, 11}, {1, 10}, {2, 10}});
    // With cluster_std 0 each class is one repeated point, inside the box, and the classes differ.
    std::vector<std::pair<double, double>> firsts;
    for (int64_t c = 0; c < 3; ++c) {
        const auto points = points_of(d, c);
        for (auto p : points) CHECK(p == points.front());
        CHECK(points.front().first >= -10.0);
        CHECK(points.front().first < 10.0);
        CHECK(points.front().second >= -10.0);
        CHECK(points.front().second < 10.0);
        firsts.push_back(points.front());
    }
    CHECK(firsts[0] != firsts[1]);
    CHECK(firsts[1] != firsts[2]);
}

TEST_CASE("datasets: make_xor labels the corners of the unit square by XOR, and the truth table is exact") {
    const Dataset d = make_xor(8, 0.0, 4);
    REQUIRE(d.x.shape() == Shape{8, 2});
    std::map<std::pair<double, double>, int64_t> corners;
    for (int64_t i = 0; i < 8; ++i) {
        const double a = d.x.at({i, 0}), b = d.x.at({i, 1});
        CHECK((a == 0.0 || a == 1.0));
        CHECK((b == 0.0 || b == 1.0));
        CHECK(d.y.at({i}) == ((a != b) ? 1.0f : 0.0f));
        ++corners[{a, b}];
    }
    CHECK(corners == std::map<std::pair<double, double>, int64_t>{{{0, 0}, 2}, {{0, 1}, 2}, {{1, 0}, 2}, {{1, 1}, 2}});

    // With noise each coordinate is its corner plus N(0, s^2); for small s the nearest corner is the right one.
    const double s = 0.05;
    const Dataset noisy = make_xor(4000, s, 9);
    CHECK(label_counts(noisy.y) == std::map<int64_t, int64_t>{{0, 2000}, {1, 2000}});
    double sq = 0;
    for (int64_t i = 0; i < 4000; ++i) {
        const double a = noisy.x.at({i, 0}), b = noisy.x.at({i, 1});
        const double ca = std::round(a), cb = std::round(b);
        CHECK(noisy.y.at({i}) == ((ca != cb) ? 1.0f : 0.0f));
        sq += (a - ca) * (a - ca) + (b - cb) * (b - cb);
    }
    CHECK(std::sqrt(sq / 8000) == doctest::Approx(s).epsilon(0.05));

    const Dataset table = xor_truth_table();
    CHECK(array_equal(table.x, Tensor({0, 0, 0, 1, 1, 0, 1, 1}, {4, 2})));
    CHECK(array_equal(table.y, Tensor{0, 1, 1, 0}));
}

TEST_CASE("datasets: generators are reproducible by seed and by set_random_seed") {
    const std::vector<Dataset (*)(uint64_t)> generators = {
        [](uint64_t seed) { return make_moons(50, 0.1, seed); },
        [](uint64_t seed) { return make_circles(50, 0.1, 0.5, seed); },
        [](uint64_t seed) { return make_spirals(50, 3, 0.1, seed); },
        [](uint64_t seed) { return make_blobs(50, 4, 1.0, seed); },
        [](uint64_t seed) { return make_blobs(50, Tensor({0, 0, 3, 3}, {2, 2}), 1.0, seed); },
        [](uint64_t seed) { return make_xor(50, 0.1, seed); },
    };
    for (auto generate : generators) {
        const Dataset a = generate(123), b = generate(123), c = generate(124);
        CHECK(array_equal(a.x, b.x));
        CHECK(array_equal(a.y, b.y));
        CHECK_FALSE(array_equal(a.x, c.x));
    }
    // Rows come shuffled, not grouped by class.
    const std::vector<int64_t> labels = make_moons(40, 0.0, 1).y.to_labels();
    CHECK_FALSE(std::is_sorted(labels.begin(), labels.end()));
    // Unseeded calls draw from next_random_seed(): set_random_seed makes a sequence of them repeat.
    set_random_seed(77);
    const Dataset first = make_moons(30, 0.1);
    const Dataset second = make_moons(30, 0.1);
    set_random_seed(77);
    CHECK(array_equal(make_moons(30, 0.1).x, first.x));
    CHECK(array_equal(make_moons(30, 0.1).x, second.x));
    CHECK_FALSE(array_equal(first.x, second.x));
}

TEST_CASE("datasets: generators reject invalid arguments, naming the function and the value") {
    CHECK_THROWS_WITH_AS(make_moons(0), "make_moons: n must be >= 1, got 0", ValueError);
    CHECK_THROWS_WITH_AS(make_moons(10, -0.5), "make_moons: noise must be finite and >= 0, got -0.5", ValueError);
    CHECK_THROWS_WITH_AS(make_moons(10, std::nan("")), doctest::Contains("make_moons: noise must be finite"),
                         ValueError);
    CHECK_THROWS_WITH_AS(make_circles(-3), "make_circles: n must be >= 1, got -3", ValueError);
    CHECK_THROWS_WITH_AS(make_circles(10, 0.0, 1.0), "make_circles: factor must be in [0, 1), got 1", ValueError);
    CHECK_THROWS_WITH_AS(make_circles(10, 0.0, -0.1), "make_circles: factor must be in [0, 1), got -0.1",
                         ValueError);
    CHECK_THROWS_WITH_AS(make_spirals(10, 0), "make_spirals: classes must be >= 1, got 0", ValueError);
    CHECK_THROWS_WITH_AS(make_spirals(10, 2, -1.0), "make_spirals: noise must be finite and >= 0, got -1",
                         ValueError);
    CHECK_THROWS_WITH_AS(make_blobs(10, 0), "make_blobs: centers must be >= 1, got 0", ValueError);
    CHECK_THROWS_WITH_AS(make_blobs(10, 3, -2.0), "make_blobs: cluster_std must be finite and >= 0, got -2",
                         ValueError);
    CHECK_THROWS_WITH_AS(make_blobs(10, Tensor{1, 2}), "make_blobs: centers must have shape [k >= 1, features >= 1], "
                                                       "got [2]",
                         ValueError);
    CHECK_THROWS_WITH_AS(make_blobs(10, Tensor::zeros({0, 2})), doctest::Contains("got [0,2]"), ValueError);
    CHECK_THROWS_WITH_AS(make_xor(0), "make_xor: n must be >= 1, got 0", ValueError);
    CHECK_THROWS_WITH_AS(make_xor(4, INFINITY), "make_xor: noise must be finite and >= 0, got inf", ValueError);
}

TEST_CASE("datasets: train_test_split keeps every row exactly once and is reproducible") {
    // Row i is x [2i, 2i + 1], y i: a row can be traced through the split by its label.
    const Dataset data{Tensor::arange(20).reshape({10, 2}), Tensor::arange(10)};
    const TrainTest a = train_test_split(data, 0.3, 5);
    REQUIRE(a.train.x.shape() == Shape{7, 2});
    REQUIRE(a.train.y.shape() == Shape{7});
    REQUIRE(a.test.x.shape() == Shape{3, 2});
    REQUIRE(a.test.y.shape() == Shape{3});
    std::vector<int64_t> seen;
    for (const Dataset* part : {&a.train, &a.test}) {
        for (int64_t i = 0; i < part->y.dim(0); ++i) {
            const float label = part->y.at({i});
            CHECK(part->x.at({i, 0}) == 2 * label);
            CHECK(part->x.at({i, 1}) == 2 * label + 1);
            seen.push_back(static_cast<int64_t>(label));
        }
    }
    std::vector<int64_t> sorted = seen;
    std::sort(sorted.begin(), sorted.end());
    CHECK(sorted == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    CHECK_FALSE(std::is_sorted(seen.begin(), seen.end()));

    const TrainTest again = train_test_split(data, 0.3, 5);
    CHECK(array_equal(again.train.x, a.train.x));
    CHECK(array_equal(again.test.y, a.test.y));
    CHECK_FALSE(array_equal(train_test_split(data, 0.3, 6).train.y, a.train.y));
    CHECK_FALSE(a.train.x.shares_storage_with(data.x));

    // The test part has ceil(fraction * N) rows: 2.5 rounds up to 3.
    CHECK(train_test_split(data, 0.25, 1).test.y.size() == 3);
    // Without shuffling the test rows are the last ones, in order.
    const TrainTest ordered = train_test_split(data, 0.2, std::nullopt, false);
    CHECK(array_equal(ordered.train.y, Tensor::arange(8)));
    CHECK(array_equal(ordered.test.y, Tensor{8, 9}));
    CHECK(array_equal(ordered.test.x, Tensor({16, 17, 18, 19}, {2, 2})));
}

TEST_CASE("datasets: train_test_split rejects bad fractions and mismatched data") {
    const Dataset data{Tensor::zeros({4, 2}), Tensor::zeros({4})};
    CHECK_THROWS_WITH_AS(train_test_split(data, 0.0), "train_test_split: test_fraction must be in (0, 1), got 0",
                         ValueError);
    CHECK_THROWS_WITH_AS(train_test_split(data, 1.0), "train_test_split: test_fraction must be in (0, 1), got 1",
                         ValueError);
    CHECK_THROWS_WITH_AS(train_test_split({Tensor::zeros({1, 2}), Tensor::zeros({1})}, 0.5),
                         "train_test_split: test_fraction 0.5 of 1 rows leaves no training rows", ValueError);
    CHECK_THROWS_WITH_AS(train_test_split({Tensor::zeros({4, 2}), Tensor::zeros({3})}, 0.5),
                         "train_test_split: x and y need the same size along axis 0, got x [4,2] and y [3]",
                         ShapeError);
}

TEST_CASE("datasets: Standardizer by hand, with a constant feature") {
    // Feature 0: 1, 3, 5 has mean 3 and population variance (4 + 0 + 4) / 3; feature 1 is constant (std -> 1).
    const Tensor x({1, 10, 3, 10, 5, 10}, {3, 2});
    Standardizer s;
    const Tensor z = s.fit_transform(x);
    const float sd = std::sqrt(8.0f / 3.0f);
    CHECK(allclose(s.mean, Tensor{3, 10}));
    CHECK(allclose(s.stddev, Tensor{sd, 1}));
    CHECK(allclose(z, Tensor({-2 / sd, 0, 0, 0, 2 / sd, 0}, {3, 2})));
    // New data uses the fitted statistics.
    CHECK(allclose(s.transform(Tensor({3 + sd, 11}, {1, 2})), Tensor({1, 1}, {1, 2})));
    CHECK_THROWS_WITH_AS(s.transform(Tensor::zeros({2, 3})),
                         "Standardizer.transform: x needs rows of shape [2] as fitted, got [2,3]", ShapeError);
    CHECK_THROWS_WITH_AS(Standardizer().transform(x), "Standardizer.transform: called before fit", StateError);
    CHECK_THROWS_WITH_AS(Standardizer().fit(Tensor::zeros({0, 2})),
                         "Standardizer.fit: x needs at least one row along axis 0, got [0,2]", ShapeError);
}

TEST_CASE("datasets: Standardizer gives every feature mean 0 and std 1 on the data it was fitted on") {
    // Features of any shape after axis 0, with very different scales and offsets.
    const Tensor x = add(mul(Tensor::random_normal({500, 2, 3}, 0, 1, 8),
                             Tensor({1, 10, 100, 0.1f, 5, 2}, {2, 3})),
                         Tensor({1000, -5, 0, 3, 7, 42}, {2, 3}));
    Standardizer s;
    const Tensor z = s.fit_transform(x);
    REQUIRE(z.shape() == x.shape());
    CHECK(s.mean.shape() == Shape{2, 3});
    for (int64_t f = 0; f < 6; ++f) {
        double m = 0, m2 = 0;
        for (int64_t i = 0; i < 500; ++i) m += z.data()[i * 6 + f];
        m /= 500;
        for (int64_t i = 0; i < 500; ++i) m2 += (z.data()[i * 6 + f] - m) * (z.data()[i * 6 + f] - m);
        CHECK(std::abs(m) < 1e-4);
        CHECK(std::sqrt(m2 / 500) == doctest::Approx(1.0).epsilon(1e-4));
    }
}
