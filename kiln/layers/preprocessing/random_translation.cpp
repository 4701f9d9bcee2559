#include "kiln/layers/preprocessing/random_translation.hpp"

#include "kiln/core/errors.hpp"
#include "kiln/layers/config_reader.hpp"
#include "kiln/layers/preprocessing/detail/augmentation.hpp"

namespace kiln::layers {

RandomTranslationLayer::RandomTranslationLayer(const Options& options)
    : Layer(LayerOptions{.name = options.name, .trainable = options.trainable}, "random_translation"),
      options_(options),
      rng_(options.seed ? *options.seed : next_random_seed()) {
    detail::check_factor(options_.height_factor, describe(), "height_factor");
    detail::check_factor(options_.width_factor, describe(), "width_factor");
    detail::sampling_of(options_, describe());  // refuses bad strings now, not at the first training call
}

Tensor RandomTranslationLayer::call(const Tensor& input, const CallContext& ctx) {
    const auto height_range = options_.height_factor.range();
    const auto width_range = options_.width_factor.range();
    return detail::augment(input, ctx.training, detail::sampling_of(options_, describe()), describe(),
                           [&](int64_t height, int64_t width) {
                               const double dy = detail::uniform_in(rng_, height_range) * static_cast<double>(height);
                               const double dx = detail::uniform_in(rng_, width_range) * static_cast<double>(width);
                               return detail::translation_transform(dx, dy);
                           });
}

nlohmann::json RandomTranslationLayer::get_config() const {
    nlohmann::json config = Layer::get_config();
    config["height_factor"] = options_.height_factor.to_json();
    config["width_factor"] = options_.width_factor.to_json();
    detail::write_sampling_config(config, options_);
    return config;
}

std::shared_ptr<RandomTranslationLayer> RandomTranslationLayer::from_config(const nlohmann::json& config) {
    ConfigReader r(config, "RandomTranslation");
    Options o;
    r.read_base(o.name, o.trainable);
    o.height_factor = detail::read_factor(r, "height_factor");
    o.width_factor = detail::read_factor(r, "width_factor");
    detail::read_sampling_config(r, o);
    r.finish();
    return std::make_shared<RandomTranslationLayer>(o);
}

}  // namespace kiln::layers
