// Internal: the sampling kernel behind the image augmentation layers (RandomFlip, RandomRotation,
// RandomTranslation, RandomZoom). As Keras's ops.image.affine_transform, a transform maps each *output* pixel to
// the *input* point it reads; the input is extended beyond its edges by a fill mode and read at that point with
// nearest or bilinear interpolation. The result is linear in the input, so the gradient is exact.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "kiln/core/ops/spatial.hpp"
#include "kiln/core/tensor.hpp"

namespace kiln::layers::detail {

// How the input is extended beyond its edges (Keras's names; a b c d is one row):
// reflect (d c b a | a b c d | d c b a), wrap (a b c d | a b c d | a b c d),
// constant (k k k k | a b c d | k k k k) with k the fill value, nearest (a a a a | a b c d | d d d d).
enum class FillMode { reflect, wrap, constant, nearest };
// nearest: the closest pixel (halves rounded away from zero, as TensorFlow); bilinear: the four around it.
enum class Interpolation { nearest, bilinear };

// Parse Keras's spellings; ValueError naming `who` and the value otherwise.
FillMode parse_fill_mode(std::string_view text, std::string_view who);
Interpolation parse_interpolation(std::string_view text, std::string_view who);

// Output pixel (column x, row y) reads the input at (a0 x + a1 y + a2, b0 x + b1 y + b2): Keras's 8-number
// transform without its projective part. The default is the identity.
struct AffineTransform {
    double a0 = 1.0, a1 = 0.0, a2 = 0.0;
    double b0 = 0.0, b1 = 1.0, b2 = 0.0;
};

// Counter-clockwise rotation by `angle` radians about the image centre ((width - 1) / 2, (height - 1) / 2).
AffineTransform rotation_transform(double angle, int64_t height, int64_t width);
// Moves the image `dx` columns right and `dy` rows down.
AffineTransform translation_transform(double dx, double dy);
// Output pixels read the input at `zoom` times their distance from the centre: zoom < 1 zooms in.
AffineTransform zoom_transform(double zoom_x, double zoom_y, int64_t height, int64_t width);
// Mirrors left-right and/or top-bottom.
AffineTransform flip_transform(bool horizontal, bool vertical, int64_t height, int64_t width);

// The index in [0, size) that whole coordinate `i` reads under `mode`, or -1 (the fill value) for constant.
int64_t fill_index(int64_t i, int64_t size, FillMode mode);

// Everything the kernel needs besides the images and the transforms.
struct Sampling {
    FillMode fill_mode = FillMode::reflect;
    Interpolation interpolation = Interpolation::bilinear;
    float fill_value = 0.0f;
    DataFormat data_format = DataFormat::channels_last;
};

// Applies transforms[i] to image i of a rank-4 batch ([N,H,W,C] or [N,C,H,W]). One tape record whose gradient
// flows to `images` (the transforms are constants); `who` names the caller in errors.
Tensor affine_transform(const Tensor& images, const std::vector<AffineTransform>& transforms, const Sampling& sampling,
                        std::string_view who);

}  // namespace kiln::layers::detail
