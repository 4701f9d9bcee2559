#include "kiln/layers/preprocessing/random_rotation.hpp"

#include <numbers>

#include "kiln/core/errors.hpp"
#include "kiln/layers/config_reader.hpp"
#include "kiln/layers/preprocessing/detail/augmentation.hpp"

namespace kiln::layers {

RandomRotationLayer::RandomRotationLayer(const Options& options)
    : Layer(LayerOptions{.name = options.name, .trainable = options.trainable}, "random_rotation"),
      options_(options),
      rng_(options.seed ? *options.seed : next_random_seed()) {
    detail::check_factor(options_.factor, describe(), "factor");
    detail::sampling_of(options_, describe());  // refuses bad strings now, not at the first training call
}

Tensor RandomRotationLayer::call(const Tensor& input, const CallContext& ctx) {
    const auto range = options_.factor.range();
    return detail::augment(input, ctx.training, detail::sampling_of(options_, describe()), describe(),
                           [&](int64_t height, int64_t width) {
                               const double turns = detail::uniform_in(rng_, range);
                               return detail::rotation_transform(turns * 2.0 * std::numbers::pi, height, width);
                           });
}

nlohmann::json RandomRotationLayer::get_config() const {
    nlohmann::json config = Layer::get_config();
    const auto range = options_.factor.range();
    config["factor"] = {range[0], range[1]};  // Keras 3 writes the range, whatever form was given
    detail::write_sampling_config(config, options_);
    return config;
}

std::shared_ptr<RandomRotationLayer> RandomRotationLayer::from_config(const nlohmann::json& config) {
    ConfigReader r(config, "RandomRotation");
    Options o;
    r.read_base(o.name, o.trainable);
    o.factor = detail::read_factor(r, "factor");
    detail::read_sampling_config(r, o);
    // Keras 3.0 to 3.5 wrote value_range, which never changed what the rotation does.
    r.ignore("value_range");
    r.finish();
    return std::make_shared<RandomRotationLayer>(o);
}

}  // namespace kiln::layers
