// The preprocessing layers at work: Rescaling by hand; RandomFlip, RandomRotation, RandomTranslation and
// RandomZoom as the identity at inference and, in training, with factors whose draw is known (a range of one
// value) checked against images written out by hand; seeds, single images, channels_first and gradients.
#include <doctest/doctest.h>

#include <algorithm>
#include <functional>

#include <kiln/kiln.hpp>

#include "support/gradcheck.hpp"

using namespace kiln;
using namespace kiln::layers;

namespace {

// A [rows, cols, 1] image (or [1, rows, cols, 1] with `batch`) holding `values` row by row.
Tensor image(std::vector<float> values, int64_t rows, int64_t cols, bool batch = true) {
    return batch ? Tensor(std::move(values), Shape{1, rows, cols, 1}) : Tensor(std::move(values), Shape{rows, cols, 1});
}

const Tensor k3x3 = image({1, 2, 3, 4, 5, 6, 7, 8, 9}, 3, 3);

// Image n of an NHWC batch, mirrored as asked, by index: out[y][x] = in[vertical ? H-1-y : y][horizontal ? W-1-x : x].
Tensor mirrored(const Tensor& x, int64_t n, bool horizontal, bool vertical) {
    const int64_t H = x.dim(1), W = x.dim(2), C = x.dim(3);
    Tensor out = Tensor::empty({1, H, W, C});
    for (int64_t y = 0; y < H; ++y)
        for (int64_t w = 0; w < W; ++w)
            for (int64_t c = 0; c < C; ++c)
                out.at({0, y, w, c}) = x.at({n, vertical ? H - 1 - y : y, horizontal ? W - 1 - w : w, c});
    return out;
}

// For each image of y (from x), which of the four mirrors it is, as 2 * vertical + horizontal; -1 for none.
std::vector<int> mirror_kinds(const Tensor& x, const Tensor& y) {
    std::vector<int> kinds;
    for (int64_t n = 0; n < x.dim(0); ++n) {
        int kind = -1;
        for (int k = 0; k < 4 && kind < 0; ++k)
            if (array_equal(y.slice(n, n + 1), mirrored(x, n, k & 1, k & 2))) kind = k;
        kinds.push_back(kind);
    }
    return kinds;
}

}  // namespace

TEST_CASE("Rescaling: x * scale + offset in training and at inference, per channel too") {
    const Tensor x({0.0f, 51.0f, 255.0f, 127.5f}, Shape{2, 2});
    Rescaling to_unit({.scale = 1.0 / 255.0});
    CHECK(allclose(to_unit(x), Tensor({0.0f, 0.2f, 1.0f, 0.5f}, Shape{2, 2})));
    Rescaling to_signed({.scale = 1.0 / 127.5, .offset = -1.0});
    const Tensor expected({-1.0f, -0.6f, 1.0f, 0.0f}, Shape{2, 2});
    CHECK(allclose(to_signed(x), expected, 1e-6f, 1e-6f));
    CHECK(allclose(to_signed(x, true), expected, 1e-6f, 1e-6f));

    // Per channel along the last axis: [[1, 2, 3], [4, 5, 6]] * [1, 10, 100] + [0, 0, 1].
    Rescaling channels({.scale = {1.0, 10.0, 100.0}, .offset = {0.0, 0.0, 1.0}});
    CHECK(
        array_equal(channels(Tensor({1, 2, 3, 4, 5, 6}, Shape{2, 3})), Tensor({1, 20, 301, 4, 50, 601}, Shape{2, 3})));
    Rescaling wrong({.name = "resc", .scale = {1.0, 2.0}});
    CHECK_THROWS_WITH_AS(
        wrong(Tensor::zeros({2, 3})),
        "Rescaling 'resc': scale has 2 values but the input's last axis has size 3 (input shape [2,3])", ShapeError);

    kiln::testing::check_gradients("rescaling", [&](const std::vector<Tensor>& v) { return channels(v[0]); },
                                   {kiln::testing::random_input({2, 3}, 1)});
}

TEST_CASE("Random image layers: inference (training false or unset) returns the input bit for bit") {
    const Tensor x = Tensor::random_normal({2, 5, 4, 3}, 0.0f, 1.0f, 3);
    const std::vector<LayerPtr> all = {RandomFlip({.seed = 1}), RandomRotation({.factor = 0.4, .seed = 1}),
                                       RandomTranslation({.height_factor = 0.5, .width_factor = 0.5, .seed = 1}),
                                       RandomZoom({.height_factor = 0.5, .seed = 1})};
    for (const LayerPtr& layer : all) {
        CAPTURE(layer->describe());
        CHECK(array_equal((*layer)(x), x));
        CHECK(array_equal((*layer)(x, false), x));
        CHECK_FALSE(array_equal((*layer)(x, true), x));
    }
}

TEST_CASE("RandomFlip: each image is the original or its mirror, as the mode allows") {
    const Tensor x = Tensor::random_normal({24, 3, 4, 2}, 0.0f, 1.0f, 5);
    auto counts = [&](const std::string& mode) {
        const std::vector<int> kinds = mirror_kinds(x, RandomFlip({.mode = mode, .seed = 8})(x, true));
        std::vector<int> count(4, 0);
        for (int k : kinds) {
            REQUIRE(k >= 0);
            ++count[static_cast<size_t>(k)];
        }
        return count;
    };
    // 24 fair draws: seeing each allowed outcome at least once is near certain, and the seed fixes it.
    const auto horizontal = counts("horizontal");
    CHECK((horizontal[0] > 0 && horizontal[1] > 0 && horizontal[2] == 0 && horizontal[3] == 0));
    const auto vertical = counts("vertical");
    CHECK((vertical[0] > 0 && vertical[1] == 0 && vertical[2] > 0 && vertical[3] == 0));
    const auto both = counts("horizontal_and_vertical");
    CHECK((both[0] > 0 && both[1] > 0 && both[2] > 0 && both[3] > 0));
}

TEST_CASE("Random image layers: a seed fixes the sequence of draws, other seeds and later calls differ") {
    const Tensor x = Tensor::random_normal({6, 5, 5, 2}, 0.0f, 1.0f, 6);
    auto rotation = [](uint64_t seed) { return RandomRotation({.factor = 0.5, .seed = seed}); };
    RandomRotation a = rotation(3), b = rotation(3);
    const Tensor a1 = a(x, true), a2 = a(x, true);
    CHECK(array_equal(a1, b(x, true)));
    CHECK(array_equal(a2, b(x, true)));
    CHECK_FALSE(array_equal(a1, a2));
    CHECK_FALSE(array_equal(a1, rotation(4)(x, true)));

    auto zoom = [](uint64_t seed) { return RandomZoom({.height_factor = 0.3, .width_factor = 0.3, .seed = seed}); };
    CHECK(array_equal(zoom(5)(x, true), zoom(5)(x, true)));
    CHECK_FALSE(array_equal(zoom(5)(x, true), zoom(6)(x, true)));
    auto shift = [](uint64_t seed) {
        return RandomTranslation({.height_factor = 0.3, .width_factor = 0.3, .seed = seed});
    };
    CHECK(array_equal(shift(5)(x, true), shift(5)(x, true)));
    CHECK_FALSE(array_equal(shift(5)(x, true), shift(6)(x, true)));

    set_random_seed(11);
    const Tensor u = RandomFlip()(x, true);
    set_random_seed(11);
    CHECK(array_equal(RandomFlip()(x, true), u));
}

TEST_CASE("RandomRotation: factor (0.25, 0.25) turns a quarter counter-clockwise, (-0.25, -0.25) clockwise") {
    // Counter-clockwise the right column becomes the top row: the transposed image flipped top-bottom.
    const Tensor ccw = image({3, 6, 9, 2, 5, 8, 1, 4, 7}, 3, 3);
    const Tensor cw = image({7, 4, 1, 8, 5, 2, 9, 6, 3}, 3, 3);
    CHECK(array_equal(RandomRotation({.factor = {0.25, 0.25}, .interpolation = "nearest"})(k3x3, true), ccw));
    CHECK(array_equal(RandomRotation({.factor = {-0.25, -0.25}, .interpolation = "nearest"})(k3x3, true), cw));
    CHECK(allclose(RandomRotation({.factor = {0.25, 0.25}})(k3x3, true), ccw, 1e-6f, 1e-6f));
    // Factors are sorted as Keras sorts them; a single negative number is its absolute value.
    CHECK(RandomRotation({.factor = {0.3, -0.1}})->options().factor.range() == std::array<double, 2>{-0.1, 0.3});
    CHECK(RandomRotation({.factor = -0.2})->options().factor.range() == std::array<double, 2>{-0.2, 0.2});
}

TEST_CASE("RandomTranslation: whole-pixel shifts with constant fill equal the shifted image") {
    // 4x4 image 1..16; height_factor 0.25 moves 1 row down, width_factor -0.5 moves 2 columns left.
    std::vector<float> v(16);
    for (int i = 0; i < 16; ++i) v[static_cast<size_t>(i)] = static_cast<float>(i + 1);
    const Tensor expected = image({9, 9, 9, 9, 3, 4, 9, 9, 7, 8, 9, 9, 11, 12, 9, 9}, 4, 4);
    RandomTranslation shift(
        {.height_factor = {0.25, 0.25}, .width_factor = {-0.5, -0.5}, .fill_mode = "constant", .fill_value = 9.0});
    CHECK(array_equal(shift(image(v, 4, 4), true), expected));
    // Reflect (the default) fills the top row with the first row mirrored: d c b a | a b c d.
    RandomTranslation reflect({.height_factor = {0.25, 0.25}, .width_factor = 0.0});
    CHECK(array_equal(reflect(image(v, 4, 4), true), image({1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 4, 4)));
}

TEST_CASE("RandomZoom: height_factor -0.5 without width_factor zooms 2x into the centre") {
    std::vector<float> v(16);
    for (int i = 0; i < 16; ++i) v[static_cast<size_t>(i)] = static_cast<float>(i + 1);
    // Output x reads 0.5 x + 0.75, rounding to 1, 1, 2, 2: the central 2x2 block, each pixel doubled.
    const Tensor expected = image({6, 6, 7, 7, 6, 6, 7, 7, 10, 10, 11, 11, 10, 10, 11, 11}, 4, 4);
    CHECK(array_equal(RandomZoom({.height_factor = {-0.5, -0.5}, .interpolation = "nearest"})(image(v, 4, 4), true),
                      expected));
    // A width_factor zooms the columns apart: width 0 keeps them, height -0.5 doubles the middle rows.
    RandomZoom rows_only({.height_factor = {-0.5, -0.5}, .width_factor = 0.0, .interpolation = "nearest"});
    CHECK(array_equal(rows_only(image(v, 4, 4), true),
                      image({5, 6, 7, 8, 5, 6, 7, 8, 9, 10, 11, 12, 9, 10, 11, 12}, 4, 4)));
}

TEST_CASE("Random image layers: single images and channels_first match batches and channels_last") {
    const Tensor x = Tensor::random_normal({1, 5, 6, 3}, 0.0f, 1.0f, 7);
    auto layer = [](const std::string& format) {
        return RandomRotation({.factor = 0.3, .fill_mode = "wrap", .seed = 2, .data_format = format});
    };
    const Tensor batch = layer("channels_last")(x, true);
    CHECK(array_equal(layer("channels_last")(x.reshape({5, 6, 3}), true), batch.reshape({5, 6, 3})));
    const Tensor first = layer("channels_first")(permute(x, {0, 3, 1, 2}), true);
    CHECK(array_equal(permute(first, {0, 2, 3, 1}), batch));
    const Tensor single_first = layer("channels_first")(permute(x, {0, 3, 1, 2}).reshape({3, 5, 6}), true);
    CHECK(array_equal(single_first.reshape({1, 3, 5, 6}), first));

    CHECK_THROWS_WITH_AS(RandomFlip({.name = "flip_rank"})(Tensor::zeros({4, 4})),
                         "RandomFlip 'flip_rank': expected a batch of images (rank 4) or one image (rank 3), got shape "
                         "[4,4]",
                         ShapeError);
}

TEST_CASE("Random image layers: finite-difference gradients in training with a fixed seed") {
    // A new layer with the same seed per evaluation: every evaluation draws the same transforms.
    const Tensor x = kiln::testing::random_input({2, 4, 5, 2}, 3);
    auto check = [&](const char* name, const std::function<LayerPtr()>& make) {
        kiln::testing::check_gradients(name, [&](const std::vector<Tensor>& v) { return (*make())(v[0], true); }, {x});
    };
    check("random_flip", [] { return RandomFlip({.seed = 1}); });
    check("random_rotation", [] { return RandomRotation({.factor = 0.2, .fill_mode = "constant", .seed = 2}); });
    check("random_translation", [] {
        return RandomTranslation({.height_factor = 0.3, .width_factor = 0.3, .fill_mode = "reflect", .seed = 3});
    });
    check("random_zoom",
          [] { return RandomZoom({.height_factor = 0.4, .width_factor = 0.3, .fill_mode = "wrap", .seed = 4}); });
    kiln::testing::check_gradients(
        "random_rotation single image",
        [](const std::vector<Tensor>& v) { return RandomRotation({.factor = 0.2, .seed = 5})(v[0], true); },
        {kiln::testing::random_input({4, 5, 2}, 6)});
}

TEST_CASE("Preprocessing layers in a model: predict leaves images alone, training=true augments") {
    const Tensor x = Tensor::random_normal({8, 4, 4, 1}, 0.0f, 1.0f, 12);
    Sequential model({Input({4, 4, 1}), RandomFlip({.mode = "horizontal", .seed = 3}), Rescaling({.scale = 0.5})});
    const Tensor halved = x * 0.5f;
    CHECK(array_equal(model.predict(x), halved));
    CHECK(array_equal(model(x), halved));
    const std::vector<int> kinds = mirror_kinds(halved, model(x, true));
    CHECK(std::count(kinds.begin(), kinds.end(), 0) > 0);
    CHECK(std::count(kinds.begin(), kinds.end(), 1) > 0);
    CHECK(std::count(kinds.begin(), kinds.end(), 0) + std::count(kinds.begin(), kinds.end(), 1) == 8);
}
