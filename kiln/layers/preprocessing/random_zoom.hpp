// RandomZoom, as Keras: identity at inference; in training each image is zoomed about its centre by
// 1 + height_factor vertically and 1 + width_factor horizontally, each drawn uniformly from its range: a
// negative factor zooms in (-0.5: twice as large), a positive one zooms out, the uncovered part filled by
// fill_mode. A factor 0.2 means [-0.2, 0.2], {-0.3, -0.2} means [-0.3, -0.2]; each end in (-1, 1]. Without a
// width_factor the width zooms with the height's draw (keeping the aspect ratio). The draws come from the
// layer's own Rng, seeded with `seed` or, without one, from next_random_seed() at construction. Inputs:
// [N,H,W,C] or one [H,W,C] image (channels_first: [N,C,H,W] or [C,H,W]); differentiable with respect to the input.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "kiln/core/random.hpp"
#include "kiln/layers/layer.hpp"
#include "kiln/layers/preprocessing/factor.hpp"

namespace kiln::layers {

struct RandomZoomOptions {
    std::string name{};
    bool trainable = true;
    Factor height_factor{};                  // required by Keras
    std::optional<Factor> width_factor{};    // absent: the height's zoom; a pair as Factor(lower, upper)
    std::string fill_mode = "reflect";       // "reflect", "wrap", "constant" or "nearest"
    std::string interpolation = "bilinear";  // or "nearest"
    std::optional<uint64_t> seed{};
    double fill_value = 0.0;                    // what fill_mode "constant" fills with
    std::string data_format = "channels_last";  // or "channels_first"
};

class RandomZoomLayer : public Layer {
public:
    using Options = RandomZoomOptions;
    explicit RandomZoomLayer(const Options& options);

    std::string class_name() const override { return "RandomZoom"; }
    nlohmann::json get_config() const override;
    static std::shared_ptr<RandomZoomLayer> from_config(const nlohmann::json& config);
    const Options& options() const { return options_; }

protected:
    Tensor call(const Tensor& input, const CallContext& ctx) override;

private:
    Options options_{};
    Rng rng_;
};

using RandomZoom = LayerHandle<RandomZoomLayer>;

}  // namespace kiln::layers
