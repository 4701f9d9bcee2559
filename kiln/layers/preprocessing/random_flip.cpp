#include "kiln/layers/preprocessing/random_flip.hpp"

#include "kiln/core/errors.hpp"
#include "kiln/layers/config_reader.hpp"
#include "kiln/layers/preprocessing/detail/augmentation.hpp"

namespace kiln::layers {

RandomFlipLayer::RandomFlipLayer(const Options& options)
    : Layer(LayerOptions{.name = options.name, .trainable = options.trainable}, "random_flip"),
      options_(options),
      rng_(options.seed ? *options.seed : next_random_seed()) {
    const std::string& mode = options_.mode;
    if (mode != "horizontal" && mode != "vertical" && mode != "horizontal_and_vertical")
        throw ValueError(
            cat(describe(), ": mode must be 'horizontal', 'vertical' or 'horizontal_and_vertical', got '", mode, "'"));
    horizontal_ = mode != "vertical";
    vertical_ = mode != "horizontal";
    parse_data_format(options_.data_format, describe());  // refuses a bad string now, not at the first call
}

Tensor RandomFlipLayer::call(const Tensor& input, const CallContext& ctx) {
    // Whole-pixel mirrors: nearest sampling copies each pixel exactly and never reads outside the image.
    const detail::Sampling sampling{.interpolation = detail::Interpolation::nearest,
                                    .data_format = parse_data_format(options_.data_format, describe())};
    return detail::augment(input, ctx.training, sampling, describe(), [this](int64_t height, int64_t width) {
        // Keras flips when a uniform draw is <= 0.5.
        const bool h = horizontal_ && rng_.uniform() <= 0.5f;
        const bool v = vertical_ && rng_.uniform() <= 0.5f;
        return detail::flip_transform(h, v, height, width);
    });
}

nlohmann::json RandomFlipLayer::get_config() const {
    nlohmann::json config = Layer::get_config();
    config["mode"] = options_.mode;
    config["seed"] = detail::seed_config(options_.seed);
    config["data_format"] = options_.data_format;
    return config;
}

std::shared_ptr<RandomFlipLayer> RandomFlipLayer::from_config(const nlohmann::json& config) {
    ConfigReader r(config, "RandomFlip");
    Options o;
    r.read_base(o.name, o.trainable);
    o.mode = r.string("mode", o.mode);
    o.seed = detail::read_seed(r);
    o.data_format = r.string("data_format", o.data_format);
    detail::read_unsupported(r, "bounding_box_format");
    r.finish();
    return std::make_shared<RandomFlipLayer>(o);
}

}  // namespace kiln::layers
