// The affine sampling kernel: forward gathers up to four weighted input pixels per output pixel, backward
// scatters the output gradient back along the same taps. Both walk the taps with one function.
#include "kiln/layers/preprocessing/detail/affine.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "kiln/core/detail/parallel.hpp"
#include "kiln/core/errors.hpp"
#include "kiln/core/tape.hpp"

namespace kiln::layers::detail {
namespace {

// One input pixel an output pixel reads: `pixel` = row * width + column, or -1 for the fill value.
struct Tap {
    int64_t pixel = -1;
    float weight = 0.0f;
};

// Where the elements of a rank-4 image batch lie: element (n, pixel, c) is at n * image + pixel * pixel_step +
// c * channel_step.
struct Layout {
    int64_t batch = 0, height = 0, width = 0, channels = 0;
    int64_t image = 0, pixel_step = 0, channel_step = 0;
};

Layout layout_of(const Shape& s, DataFormat format) {
    const bool last = format == DataFormat::channels_last;
    Layout l;
    l.batch = s[0];
    l.height = s[last ? 1 : 2];
    l.width = s[last ? 2 : 3];
    l.channels = s[last ? 3 : 1];
    l.image = l.height * l.width * l.channels;
    l.pixel_step = last ? l.channels : 1;
    l.channel_step = last ? 1 : l.height * l.width;
    return l;
}

int64_t pixel_of(int64_t row, int64_t col, int64_t width) { return row < 0 || col < 0 ? -1 : row * width + col; }

// The taps of output pixel (x, y); returns how many were written (zero-weight taps are dropped, so whole
// coordinates read exactly one pixel).
int taps_of(const AffineTransform& t, int64_t x, int64_t y, const Layout& l, const Sampling& s,
            std::array<Tap, 4>& taps) {
    const double xs = static_cast<double>(x), ys = static_cast<double>(y);
    const double xi = t.a0 * xs + t.a1 * ys + t.a2;
    const double yi = t.b0 * xs + t.b1 * ys + t.b2;
    if (s.interpolation == Interpolation::nearest) {
        const int64_t col = fill_index(static_cast<int64_t>(std::round(xi)), l.width, s.fill_mode);
        const int64_t row = fill_index(static_cast<int64_t>(std::round(yi)), l.height, s.fill_mode);
        taps[0] = {pixel_of(row, col, l.width), 1.0f};
        return 1;
    }
    const double x0 = std::floor(xi), y0 = std::floor(yi);
    const double fx = xi - x0, fy = yi - y0;
    const int64_t cx = static_cast<int64_t>(x0), cy = static_cast<int64_t>(y0);
    int count = 0;
    for (int dy = 0; dy < 2; ++dy)
        for (int dx = 0; dx < 2; ++dx) {
            const double w = (dx ? fx : 1.0 - fx) * (dy ? fy : 1.0 - fy);
            if (w == 0.0) continue;
            const int64_t col = fill_index(cx + dx, l.width, s.fill_mode);
            const int64_t row = fill_index(cy + dy, l.height, s.fill_mode);
            taps[count++] = {pixel_of(row, col, l.width), static_cast<float>(w)};
        }
    return count;
}

// Calls f(n, output pixel, taps, count) for every output pixel, parallel over image rows. Each call owns
// its output pixel, so the forward may write without races.
template <class F>
void for_each_output_pixel(const Layout& l, const std::vector<AffineTransform>& transforms, const Sampling& s, F&& f) {
    const int64_t cost = l.width * l.channels * 4;
    kiln::detail::parallel_for(l.batch * l.height, kiln::detail::grain_for_cost(cost), [&](int64_t b, int64_t e) {
        std::array<Tap, 4> taps;
        for (int64_t r = b; r < e; ++r) {
            const int64_t n = r / l.height, y = r % l.height;
            for (int64_t x = 0; x < l.width; ++x) f(n, y * l.width + x, taps, taps_of(transforms[n], x, y, l, s, taps));
        }
    });
}

// The gradient of the input: each output gradient value is added to the pixels its taps read. Parallel over
// images, whose gradients are disjoint.
Tensor scatter_gradient(const Tensor& grad, const Shape& input_shape, const std::vector<AffineTransform>& transforms,
                        const Sampling& s) {
    const Layout l = layout_of(input_shape, s.data_format);
    Tensor out = Tensor::zeros(input_shape);
    const float* pg = grad.data();
    float* po = out.data();
    kiln::detail::parallel_for(l.batch, kiln::detail::grain_for_cost(l.image * 4), [&](int64_t b, int64_t e) {
        std::array<Tap, 4> taps;
        for (int64_t n = b; n < e; ++n)
            for (int64_t y = 0; y < l.height; ++y)
                for (int64_t x = 0; x < l.width; ++x) {
                    const int count = taps_of(transforms[n], x, y, l, s, taps);
                    const float* g = pg + n * l.image + (y * l.width + x) * l.pixel_step;
                    for (int k = 0; k < count; ++k) {
                        if (taps[k].pixel < 0) continue;
                        float* to = po + n * l.image + taps[k].pixel * l.pixel_step;
                        for (int64_t c = 0; c < l.channels; ++c)
                            to[c * l.channel_step] += taps[k].weight * g[c * l.channel_step];
                    }
                }
    });
    return out;
}

}  // namespace

FillMode parse_fill_mode(std::string_view text, std::string_view who) {
    if (text == "reflect") return FillMode::reflect;
    if (text == "wrap") return FillMode::wrap;
    if (text == "constant") return FillMode::constant;
    if (text == "nearest") return FillMode::nearest;
    throw ValueError(cat(who, ": fill_mode must be 'reflect', 'wrap', 'constant' or 'nearest', got '", text, "'"));
}

Interpolation parse_interpolation(std::string_view text, std::string_view who) {
    if (text == "nearest") return Interpolation::nearest;
    if (text == "bilinear") return Interpolation::bilinear;
    throw ValueError(cat(who, ": interpolation must be 'nearest' or 'bilinear', got '", text, "'"));
}

AffineTransform rotation_transform(double angle, int64_t height, int64_t width) {
    // (x_in - cx, y_in - cy) = R(angle) (x - cx, y - cy): with rows growing downwards a positive angle turns
    // the picture counter-clockwise on screen.
    const double c = std::cos(angle), s = std::sin(angle);
    const double cx = 0.5 * static_cast<double>(width - 1), cy = 0.5 * static_cast<double>(height - 1);
    return {c, -s, cx - c * cx + s * cy, s, c, cy - s * cx - c * cy};
}

AffineTransform translation_transform(double dx, double dy) { return {1.0, 0.0, -dx, 0.0, 1.0, -dy}; }

AffineTransform zoom_transform(double zoom_x, double zoom_y, int64_t height, int64_t width) {
    const double cx = 0.5 * static_cast<double>(width - 1), cy = 0.5 * static_cast<double>(height - 1);
    return {zoom_x, 0.0, cx * (1.0 - zoom_x), 0.0, zoom_y, cy * (1.0 - zoom_y)};
}

AffineTransform flip_transform(bool horizontal, bool vertical, int64_t height, int64_t width) {
    AffineTransform t;
    if (horizontal) t.a0 = -1.0, t.a2 = static_cast<double>(width - 1);
    if (vertical) t.b1 = -1.0, t.b2 = static_cast<double>(height - 1);
    return t;
}

int64_t fill_index(int64_t i, int64_t size, FillMode mode) {
    if (i >= 0 && i < size) return i;
    switch (mode) {
        case FillMode::constant:
            return -1;
        case FillMode::nearest:
            return std::clamp<int64_t>(i, 0, size - 1);
        case FillMode::wrap:
            return ((i % size) + size) % size;
        case FillMode::reflect: {
            // Mirrored copies alternate, so the pattern repeats every 2 * size.
            const int64_t period = 2 * size;
            const int64_t m = ((i % period) + period) % period;
            return m < size ? m : period - 1 - m;
        }
    }
    return -1;
}

Tensor affine_transform(const Tensor& images, const std::vector<AffineTransform>& transforms, const Sampling& sampling,
                        std::string_view who) {
    if (images.rank() != 4)
        throw ShapeError(cat(who, ": expected a rank-4 batch of images, got shape ", images.shape()));
    if (static_cast<int64_t>(transforms.size()) != images.dim(0))
        throw ValueError(cat(who, ": ", transforms.size(), " transforms for a batch of ", images.dim(0)));
    const Layout l = layout_of(images.shape(), sampling.data_format);
    Tensor out = Tensor::empty(images.shape());
    const float* pi = images.data();
    float* po = out.data();
    for_each_output_pixel(
        l, transforms, sampling, [&](int64_t n, int64_t p, const std::array<Tap, 4>& taps, int count) {
            const float* image = pi + n * l.image;
            float* o = po + n * l.image + p * l.pixel_step;
            auto term = [&](int k, int64_t c) {
                const Tap& t = taps[k];
                return t.weight *
                       (t.pixel < 0 ? sampling.fill_value : image[t.pixel * l.pixel_step + c * l.channel_step]);
            };
            for (int64_t c = 0; c < l.channels; ++c) {
                float v = term(0, c);  // not 0 + ...: a single tap copies the pixel bit for bit (even -0.0)
                for (int k = 1; k < count; ++k) v += term(k, c);
                o[c * l.channel_step] = v;
            }
        });
    if (autograd::is_recording()) {
        const Shape shape = images.shape();
        autograd::record(
            "affine_transform", {images}, out,
            [shape, transforms, sampling](const Tensor& grad, const std::vector<bool>&) {
                return std::vector<Tensor>{scatter_gradient(grad, shape, transforms, sampling)};
            },
            /*backward_is_differentiable=*/false);
    }
    return out;
}

}  // namespace kiln::layers::detail
