// Tests for conv2d: values against hand computation and a naive direct convolution written here (both data
// formats, strides, padding, dilation, groups, channel counts that are not whole vectors, several chunks of
// images), empty batches, validation errors, and gradients (finite differences, the naive adjoint, and the
// refusal of second order).
#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include <kiln/kiln.hpp>

#include "support/gradcheck.hpp"

using namespace kiln;

namespace {

Tensor random(const Shape& shape, uint64_t seed) { return Tensor::random_uniform(shape, -1.0f, 1.0f, seed); }

// Output size and leading padding along one axis, TensorFlow's rule: "same" gives ceil(in / stride) outputs
// and pads (out - 1) * stride + span - in in total, the smaller half before.
struct Axis {
    int64_t out, pad_before;
};
Axis naive_axis(int64_t in, int64_t kernel, int64_t stride, int64_t dilation, Padding padding) {
    const int64_t span = (kernel - 1) * dilation + 1;
    if (padding == Padding::valid) return {(in - span) / stride + 1, 0};
    const int64_t out = (in + stride - 1) / stride;
    return {out, std::max<int64_t>(0, (out - 1) * stride + span - in) / 2};
}

// y's NHWC shape for NHWC x and kernel [kh,kw,C/groups,F].
Shape naive_output_shape(const Shape& xs, const Shape& ks, const Conv2DOptions& o) {
    return Shape{xs[0], naive_axis(xs[1], ks[0], o.strides[0], o.dilation[0], o.padding).out,
                 naive_axis(xs[2], ks[1], o.strides[1], o.dilation[1], o.padding).out, ks[3]};
}

// Calls f(y_index, x_index, kernel_index) for every product x * kernel that contributes to y, with x and y
// NHWC and kernel [kh,kw,C/groups,F]; taps in the padding are skipped.
template <class F>
void for_each_product(const Shape& xs, const Shape& ks, const Conv2DOptions& o, F f) {
    const int64_t batch = xs[0], h = xs[1], w = xs[2], c = xs[3];
    const int64_t kh = ks[0], kw = ks[1], group_c = ks[2], filters = ks[3];
    const int64_t group_f = filters / o.groups;
    const Axis rows = naive_axis(h, kh, o.strides[0], o.dilation[0], o.padding);
    const Axis cols = naive_axis(w, kw, o.strides[1], o.dilation[1], o.padding);
    for (int64_t n = 0; n < batch; ++n)
        for (int64_t oh = 0; oh < rows.out; ++oh)
            for (int64_t ow = 0; ow < cols.out; ++ow)
                for (int64_t fi = 0; fi < filters; ++fi)
                    for (int64_t i = 0; i < kh; ++i)
                        for (int64_t j = 0; j < kw; ++j)
                            for (int64_t ci = 0; ci < group_c; ++ci) {
                                const int64_t ih = oh * o.strides[0] + i * o.dilation[0] - rows.pad_before;
                                const int64_t iw = ow * o.strides[1] + j * o.dilation[1] - cols.pad_before;
                                if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                                const int64_t channel = (fi / group_f) * group_c + ci;
                                f(((n * rows.out + oh) * cols.out + ow) * filters + fi,
                                  ((n * h + ih) * w + iw) * c + channel, ((i * kw + j) * group_c + ci) * filters + fi);
                            }
}

// Doubles rounded to a float tensor.
Tensor to_tensor(const std::vector<double>& values, const Shape& shape) {
    return Tensor(std::vector<float>(values.begin(), values.end()), shape);
}

// The direct convolution of NHWC x, summed in double.
Tensor naive_conv(const Tensor& x, const Tensor& k, const Conv2DOptions& o) {
    const Shape shape = naive_output_shape(x.shape(), k.shape(), o);
    std::vector<double> y(static_cast<size_t>(shape.numel()));
    for_each_product(x.shape(), k.shape(), o, [&](int64_t yi, int64_t xi, int64_t ki) {
        y[yi] += static_cast<double>(x.data()[xi]) * k.data()[ki];
    });
    return to_tensor(y, shape);
}

// The gradients of L = sum(conv(x, k) * w) with respect to x and k, as the adjoint sums over the same products
// (in double).
std::pair<Tensor, Tensor> naive_gradients(const Tensor& x, const Tensor& k, const Conv2DOptions& o, const Tensor& w) {
    std::vector<double> dx(static_cast<size_t>(x.size())), dk(static_cast<size_t>(k.size()));
    for_each_product(x.shape(), k.shape(), o, [&](int64_t yi, int64_t xi, int64_t ki) {
        dx[xi] += static_cast<double>(w.data()[yi]) * k.data()[ki];
        dk[ki] += static_cast<double>(w.data()[yi]) * x.data()[xi];
    });
    return {to_tensor(dx, x.shape()), to_tensor(dk, k.shape())};
}

// conv2d's gradients of sum(conv2d(x, k) * w).
std::vector<Tensor> conv_gradients(const Tensor& x, const Tensor& k, const Conv2DOptions& o, const Tensor& w) {
    GradientTape tape;
    tape.watch(x);
    tape.watch(k);
    const Tensor y = conv2d(x, k, o);
    return tape.gradient(sum(mul(y, w)), std::vector<Tensor>{x, k});
}

// NHWC -> NCHW by index arithmetic.
Tensor to_nchw(const Tensor& t) {
    const int64_t n = t.dim(0), h = t.dim(1), w = t.dim(2), c = t.dim(3);
    Tensor out = Tensor::zeros(Shape{n, c, h, w});
    for (int64_t a = 0; a < n; ++a)
        for (int64_t b = 0; b < h; ++b)
            for (int64_t d = 0; d < w; ++d)
                for (int64_t e = 0; e < c; ++e) out.at({a, e, b, d}) = t.at({a, b, d, e});
    return out;
}

bool close(const Tensor& got, const Tensor& want) { return allclose(got, want, 1e-4f, 1e-4f); }

Conv2DOptions options(std::array<int64_t, 2> strides, Padding padding, std::array<int64_t, 2> dilation = {1, 1},
                      int64_t groups = 1) {
    Conv2DOptions o;
    o.strides = strides;
    o.padding = padding;
    o.dilation = dilation;
    o.groups = groups;
    return o;
}

Conv2DOptions channels_first(Conv2DOptions o) {
    o.data_format = DataFormat::channels_first;
    return o;
}

}  // namespace

TEST_CASE("conv2d: hand-computed 3x3 input with a 2x2 kernel") {
    // x = [[1,2,3],[4,5,6],[7,8,9]], kernel = [[1,2],[3,4]] (one channel, one filter).
    const Tensor x({1, 2, 3, 4, 5, 6, 7, 8, 9}, Shape{1, 3, 3, 1});
    const Tensor k({1, 2, 3, 4}, Shape{2, 2, 1, 1});
    // valid: 1+4+12+20, 2+6+15+24, 4+10+21+32, 5+12+24+36.
    CHECK(array_equal(conv2d(x, k), Tensor({37, 47, 67, 77}, Shape{1, 2, 2, 1})));
    // same: one padding row and column in total, both after; the last row/column only see the kernel's top-left.
    // Row 2: 7+2*8, 8+2*9, 9. Column 2 above it: 3+3*6, 6+3*9.
    CHECK(array_equal(conv2d(x, k, options({1, 1}, Padding::same)),
                      Tensor({37, 47, 21, 67, 77, 33, 23, 26, 9}, Shape{1, 3, 3, 1})));
    // same with stride 2: output 2x2, total padding (2-1)*2+2-3 = 1, after. Taps at rows/columns 0 and 2.
    CHECK(array_equal(conv2d(x, k, options({2, 2}, Padding::same)), Tensor({37, 21, 23, 9}, Shape{1, 2, 2, 1})));
}

TEST_CASE("conv2d: matches a naive direct convolution in both data formats") {
    struct Config {
        const char* name;
        Shape x, k;
        Conv2DOptions o;
    };
    const std::vector<Config> configs = {
        {"stride 1 valid", {2, 5, 6, 3}, {3, 3, 3, 4}, options({1, 1}, Padding::valid)},
        {"stride 2 valid", {2, 7, 8, 3}, {3, 2, 3, 2}, options({2, 2}, Padding::valid)},
        {"stride 1 same, even total padding", {2, 5, 6, 2}, {3, 3, 2, 3}, options({1, 1}, Padding::same)},
        {"stride 1 same, odd total padding", {2, 5, 6, 2}, {2, 4, 2, 3}, options({1, 1}, Padding::same)},
        {"stride 2 same, odd and even totals", {1, 8, 7, 2}, {3, 3, 2, 2}, options({2, 2}, Padding::same)},
        {"mixed strides", {1, 7, 9, 2}, {3, 2, 2, 3}, options({2, 1}, Padding::same)},
        {"dilation 2 valid", {1, 7, 8, 2}, {3, 3, 2, 3}, options({1, 1}, Padding::valid, {2, 2})},
        {"dilation 2 same, stride 2", {2, 7, 8, 2}, {3, 2, 2, 3}, options({2, 2}, Padding::same, {2, 2})},
        {"mixed dilation", {1, 6, 7, 2}, {2, 3, 2, 2}, options({1, 1}, Padding::same, {1, 2})},
        {"groups 2", {2, 5, 5, 4}, {3, 3, 2, 6}, options({1, 1}, Padding::valid, {1, 1}, 2)},
        {"groups 2 same stride 2", {2, 6, 5, 4}, {3, 3, 2, 4}, options({2, 2}, Padding::same, {1, 1}, 2)},
        {"depthwise", {2, 5, 5, 3}, {3, 3, 1, 3}, options({1, 1}, Padding::same, {1, 1}, 3)},
        {"depthwise, multiplier 2", {1, 6, 6, 3}, {3, 3, 1, 6}, options({2, 2}, Padding::valid, {1, 1}, 3)},
        {"1x1 kernel", {2, 4, 3, 5}, {1, 1, 5, 2}, options({1, 1}, Padding::valid)},
        // Channel and filter counts that are not whole vectors, several vectors, and many output pixels per row.
        {"37 channels, 70 filters", {2, 6, 29, 37}, {3, 3, 37, 70}, options({1, 1}, Padding::same)},
        {"stride 3x2, dilation 2x1, odd counts", {1, 11, 13, 19}, {3, 3, 19, 21},
         options({3, 2}, Padding::same, {2, 1})},
        {"stride larger than the kernel", {1, 9, 10, 3}, {2, 2, 3, 5}, options({3, 3}, Padding::valid)},
        {"one input channel", {2, 8, 30, 1}, {3, 3, 1, 32}, options({1, 1}, Padding::same)},
        {"one filter", {2, 5, 6, 20}, {3, 3, 20, 1}, options({2, 2}, Padding::same)},
        // Several chunks of images in the kernel gradient's reduction.
        {"a batch of 32x32 images", {5, 32, 32, 32}, {3, 3, 32, 8}, options({1, 1}, Padding::same)},
    };
    uint64_t seed = 100;
    for (const Config& config : configs) {
        CAPTURE(config.name);
        const Tensor x = random(config.x, ++seed);
        const Tensor k = random(config.k, ++seed);
        const Tensor want = naive_conv(x, k, config.o);
        const Tensor got = conv2d(x, k, config.o);
        REQUIRE(got.shape() == want.shape());
        CHECK(close(got, want));
        CHECK(close(conv2d(to_nchw(x), k, channels_first(config.o)), to_nchw(want)));
        const Tensor w = random(want.shape(), ++seed);
        const auto [dx, dk] = naive_gradients(x, k, config.o, w);
        const auto grads = conv_gradients(x, k, config.o, w);
        CHECK(close(grads[0], dx));
        CHECK(allclose(grads[1], dk, 1e-4f, 1e-3f));
    }
}

TEST_CASE("conv2d: a grouped convolution whose batch spans several column-buffer chunks") {
    // One image unrolls to 16*16 pixels x 3*3*64 floats = 576 KiB of columns, so a 2 MiB buffer holds three
    // images and a batch of eight needs two full chunks and a partial one.
    const Conv2DOptions o = options({1, 1}, Padding::same, {1, 1}, 2);
    const Tensor x = random(Shape{8, 16, 16, 64}, 1);
    const Tensor k = random(Shape{3, 3, 32, 4}, 2);
    CHECK(close(conv2d(x, k, o), naive_conv(x, k, o)));
    const Tensor w = random(naive_output_shape(x.shape(), k.shape(), o), 3);
    const auto [dx, dk] = naive_gradients(x, k, o, w);
    const auto grads = conv_gradients(x, k, o, w);
    CHECK(close(grads[0], dx));
    CHECK(allclose(grads[1], dk, 1e-4f, 1e-3f));
}

TEST_CASE("conv2d: empty batch") {
    const Tensor k = random(Shape{3, 3, 2, 4}, 1);
    CHECK(conv2d(Tensor::zeros(Shape{0, 6, 5, 2}), k, options({2, 2}, Padding::same)).shape() == Shape{0, 3, 3, 4});
    CHECK(conv2d(Tensor::zeros(Shape{0, 2, 6, 5}), k, channels_first(options({1, 1}, Padding::valid))).shape() ==
          Shape{0, 4, 4, 3});
    Tensor x = Tensor::zeros(Shape{0, 6, 5, 2});
    GradientTape tape;
    tape.watch(x);
    tape.watch(k);
    const auto grads = tape.gradient(sum(conv2d(x, k)), std::vector<Tensor>{x, k});
    CHECK(grads[0].shape() == x.shape());
    CHECK(array_equal(grads[1], Tensor::zeros(k.shape())));
}

TEST_CASE("conv2d: validation errors name conv2d and the values") {
    const Tensor x = Tensor::ones(Shape{1, 5, 5, 6});
    const Tensor k = Tensor::ones(Shape{3, 3, 6, 2});
    CHECK_THROWS_WITH_AS(conv2d(Tensor::ones(Shape{5, 5, 6}), k),
                         doctest::Contains("conv2d: input must have rank 4 ([N,H,W,C] for channels_last), got [5,5,6]"),
                         ShapeError);
    CHECK_THROWS_WITH_AS(
        conv2d(Tensor::ones(Shape{6, 5, 5}), k, channels_first({})),
        doctest::Contains("conv2d: input must have rank 4 ([N,C,H,W] for channels_first), got [6,5,5]"), ShapeError);
    CHECK_THROWS_WITH_AS(conv2d(x, Tensor::ones(Shape{3, 3, 6})),
                         doctest::Contains("conv2d: kernel must have rank 4 ([kh,kw,C/groups,filters]), got [3,3,6]"),
                         ShapeError);
    CHECK_THROWS_WITH_AS(conv2d(x, Tensor::ones(Shape{3, 3, 1, 4}), options({1, 1}, Padding::valid, {1, 1}, 4)),
                         doctest::Contains("conv2d: input channels 6 are not divisible by groups 4; input [1,5,5,6]"),
                         ShapeError);
    CHECK_THROWS_WITH_AS(conv2d(x, Tensor::ones(Shape{3, 3, 3, 3}), options({1, 1}, Padding::valid, {1, 1}, 2)),
                         doctest::Contains("conv2d: filters 3 are not divisible by groups 2; kernel [3,3,3,3]"),
                         ShapeError);
    CHECK_THROWS_WITH_AS(conv2d(x, Tensor::ones(Shape{3, 3, 4, 8})),
                         doctest::Contains("conv2d: kernel [3,3,4,8] expects 4 input channels per group, but input "
                                           "[1,5,5,6] with groups 1 has 6"),
                         ShapeError);
    CHECK_THROWS_WITH_AS(conv2d(x, Tensor::ones(Shape{3, 3, 6, 2}), options({1, 1}, Padding::valid, {1, 1}, 2)),
                         doctest::Contains("conv2d: kernel [3,3,6,2] expects 6 input channels per group, but input "
                                           "[1,5,5,6] with groups 2 has 3"),
                         ShapeError);
    CHECK_THROWS_WITH_AS(conv2d(x, k, options({0, 1}, Padding::valid)),
                         doctest::Contains("conv2d: strides must be >= 1, got [0,1]"), ValueError);
    CHECK_THROWS_WITH_AS(conv2d(x, k, options({1, 1}, Padding::valid, {1, -1})),
                         doctest::Contains("conv2d: dilation must be >= 1, got [1,-1]"), ValueError);
    CHECK_THROWS_WITH_AS(conv2d(x, k, options({1, 1}, Padding::valid, {1, 1}, 0)),
                         doctest::Contains("conv2d: groups must be >= 1, got 0"), ValueError);
    CHECK_THROWS_WITH_AS(conv2d(x, k, options({1, 1}, Padding::valid, {3, 1})),
                         doctest::Contains("conv2d: window of size 7 (kernel 3, dilation 3) does not fit input size 5"),
                         ShapeError);
}

TEST_CASE("conv2d: gradients match finite differences") {
    const auto conv = [](Conv2DOptions o) {
        return [o](const std::vector<Tensor>& in) { return conv2d(in[0], in[1], o); };
    };
    testing::check_gradients("conv2d NHWC", conv(options({1, 1}, Padding::valid)),
                             {random(Shape{2, 4, 4, 2}, 1), random(Shape{2, 2, 2, 3}, 2)});
    testing::check_gradients("conv2d NCHW", conv(channels_first(options({1, 1}, Padding::same))),
                             {random(Shape{2, 2, 4, 3}, 3), random(Shape{3, 2, 2, 2}, 4)});
    testing::check_gradients("conv2d stride 2 same", conv(options({2, 2}, Padding::same)),
                             {random(Shape{1, 5, 4, 2}, 5), random(Shape{3, 3, 2, 2}, 6)});
    testing::check_gradients("conv2d dilation 2", conv(options({1, 1}, Padding::same, {2, 2})),
                             {random(Shape{1, 5, 5, 2}, 7), random(Shape{2, 2, 2, 2}, 8)});
    testing::check_gradients("conv2d groups 2, NCHW", conv(channels_first(options({1, 1}, Padding::valid, {1, 1}, 2))),
                             {random(Shape{1, 4, 4, 4}, 9), random(Shape{2, 2, 2, 4}, 10)});
}

TEST_CASE("conv2d: a second-order gradient raises NotImplementedError") {
    Tensor x = random(Shape{1, 4, 4, 2}, 1);
    const Tensor k = random(Shape{2, 2, 2, 3}, 2);
    GradientTape outer;
    outer.watch(x);
    Tensor dx;
    {
        GradientTape inner;
        inner.watch(x);
        dx = inner.gradient(sum(square(conv2d(x, k))), x);
    }
    CHECK(dx.shape() == x.shape());
    CHECK_THROWS_AS(outer.gradient(sum(dx), x), NotImplementedError);
}
