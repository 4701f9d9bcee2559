// RandomTranslation, as Keras: identity at inference; in training each image is shifted by height_factor * height
// rows (positive: down) and width_factor * width columns (positive: right), each drawn uniformly from its range,
// the uncovered part filled by fill_mode. A factor 0.2 means [-0.2, 0.2], {-0.2, 0.3} means [-0.2, 0.3]; each
// end in [-1, 1]. The shifts come from the layer's own Rng, seeded with `seed` or, without one, from
// next_random_seed() at construction. Inputs: [N,H,W,C] or one [H,W,C] image (channels_first: [N,C,H,W] or
// [C,H,W]); differentiable with respect to the input.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "kiln/core/random.hpp"
#include "kiln/layers/layer.hpp"
#include "kiln/layers/preprocessing/factor.hpp"

namespace kiln::layers {

struct RandomTranslationOptions {
    std::string name{};
    bool trainable = true;
    Factor height_factor{};                  // required by Keras; fraction of the height
    Factor width_factor{};                   // required by Keras; fraction of the width
    std::string fill_mode = "reflect";       // "reflect", "wrap", "constant" or "nearest"
    std::string interpolation = "bilinear";  // or "nearest"
    std::optional<uint64_t> seed{};
    double fill_value = 0.0;                    // what fill_mode "constant" fills with
    std::string data_format = "channels_last";  // or "channels_first"
};

class RandomTranslationLayer : public Layer {
public:
    using Options = RandomTranslationOptions;
    explicit RandomTranslationLayer(const Options& options);

    std::string class_name() const override { return "RandomTranslation"; }
    nlohmann::json get_config() const override;
    static std::shared_ptr<RandomTranslationLayer> from_config(const nlohmann::json& config);
    const Options& options() const { return options_; }

protected:
    Tensor call(const Tensor& input, const CallContext& ctx) override;

private:
    Options options_{};
    Rng rng_;
};

using RandomTranslation = LayerHandle<RandomTranslationLayer>;

}  // namespace kiln::layers
