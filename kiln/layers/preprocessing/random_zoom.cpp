#include "kiln/layers/preprocessing/random_zoom.hpp"

#include "kiln/core/errors.hpp"
#include "kiln/layers/config_reader.hpp"
#include "kiln/layers/preprocessing/detail/augmentation.hpp"

namespace kiln::layers {

RandomZoomLayer::RandomZoomLayer(const Options& options)
    : Layer(LayerOptions{.name = options.name, .trainable = options.trainable}, "random_zoom"),
      options_(options),
      rng_(options.seed ? *options.seed : next_random_seed()) {
    detail::check_factor(options_.height_factor, describe(), "height_factor", /*open_below=*/true);
    if (options_.width_factor) detail::check_factor(*options_.width_factor, describe(), "width_factor", true);
    detail::sampling_of(options_, describe());  // refuses bad strings now, not at the first training call
}

Tensor RandomZoomLayer::call(const Tensor& input, const CallContext& ctx) {
    const auto height_range = options_.height_factor.range();
    const auto width_range = options_.width_factor ? options_.width_factor->range() : height_range;
    return detail::augment(
        input, ctx.training, detail::sampling_of(options_, describe()), describe(), [&](int64_t height, int64_t width) {
            const double zoom_y = 1.0 + detail::uniform_in(rng_, height_range);
            const double zoom_x = options_.width_factor ? 1.0 + detail::uniform_in(rng_, width_range) : zoom_y;
            return detail::zoom_transform(zoom_x, zoom_y, height, width);
        });
}

nlohmann::json RandomZoomLayer::get_config() const {
    nlohmann::json config = Layer::get_config();
    config["height_factor"] = options_.height_factor.to_json();
    config["width_factor"] = options_.width_factor ? options_.width_factor->to_json() : nlohmann::json(nullptr);
    detail::write_sampling_config(config, options_);
    return config;
}

std::shared_ptr<RandomZoomLayer> RandomZoomLayer::from_config(const nlohmann::json& config) {
    ConfigReader r(config, "RandomZoom");
    Options o;
    r.read_base(o.name, o.trainable);
    o.height_factor = detail::read_factor(r, "height_factor");
    if (r.has("width_factor"))
        o.width_factor = detail::read_factor(r, "width_factor");
    else
        r.ignore("width_factor");  // null: the height's zoom
    detail::read_sampling_config(r, o);
    r.finish();
    return std::make_shared<RandomZoomLayer>(o);
}

}  // namespace kiln::layers
