// Internal: what the random image layers share. augment() runs one of them on a batch (or a single image) with a
// transform drawn per image; the templates read and write the config keys their options have in common (by
// their Keras names: fill_mode, interpolation, seed, fill_value, data_format), as layer_config.hpp does for
// the kernel/bias family.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "kiln/core/random.hpp"
#include "kiln/layers/config_reader.hpp"
#include "kiln/layers/detail/layer_config.hpp"
#include "kiln/layers/preprocessing/detail/affine.hpp"
#include "kiln/layers/preprocessing/factor.hpp"

namespace kiln::layers::detail {

// Draws the transform of one image of the given size.
using DrawTransform = std::function<AffineTransform(int64_t height, int64_t width)>;

// Checks that `input` is an image batch (rank 4) or one image (rank 3), ShapeError naming `who` otherwise; then
// returns `input` itself unless `training`, else each image resampled with the transform `draw` gives it
// (drawn in batch order). Differentiable with respect to `input`.
Tensor augment(const Tensor& input, bool training, const Sampling& sampling, const std::string& who,
               const DrawTransform& draw);

// A number drawn uniformly from range[0] to range[1] (exactly range[0] when they are equal).
double uniform_in(Rng& rng, const std::array<double, 2>& range);

// The sampling the options ask for; ValueError naming `who` for an unknown fill_mode, interpolation or
// data_format.
template <class Options>
Sampling sampling_of(const Options& o, const std::string& who) {
    return {.fill_mode = parse_fill_mode(o.fill_mode, who),
            .interpolation = parse_interpolation(o.interpolation, who),
            .fill_value = static_cast<float>(o.fill_value),
            .data_format = parse_data_format(o.data_format, who)};
}

// Throws ValueError naming `who` and `key` unless both ends of `factor` lie in [-1, 1] (or (-1, 1] with
// `open_below`, as RandomZoom, whose factor -1 would zoom by 0).
void check_factor(const Factor& factor, const std::string& who, const std::string& key, bool open_below = false);

// A factor key: a number or a list of two numbers; required.
Factor read_factor(ConfigReader& r, const std::string& key);
// The seed key: null or an integer >= 0.
std::optional<uint64_t> read_seed(ConfigReader& r);
nlohmann::json seed_config(const std::optional<uint64_t>& seed);

template <class Options>
void write_sampling_config(nlohmann::json& config, const Options& o) {
    config["fill_mode"] = o.fill_mode;
    config["interpolation"] = o.interpolation;
    config["seed"] = seed_config(o.seed);
    config["fill_value"] = o.fill_value;
    config["data_format"] = o.data_format;
}

// Reads the keys write_sampling_config writes (tf.keras 2.x files lack data_format: channels_last), and
// refuses a bounding_box_format (NotImplementedError).
template <class Options>
void read_sampling_config(ConfigReader& r, Options& o) {
    o.fill_mode = r.string("fill_mode", o.fill_mode);
    o.interpolation = r.string("interpolation", o.interpolation);
    o.seed = read_seed(r);
    o.fill_value = r.number("fill_value", o.fill_value);
    o.data_format = r.string("data_format", o.data_format);
    // Keras 3 writes it only when set, for dict inputs with boxes; kiln transforms image tensors only.
    read_unsupported(r, "bounding_box_format");
}

}  // namespace kiln::layers::detail
