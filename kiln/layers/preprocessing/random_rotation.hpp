// RandomRotation, as Keras: identity at inference; in training each image is turned about its centre by an angle
// drawn uniformly from factor * 2 pi (a positive angle turns it counter-clockwise), the corners filled by
// fill_mode. `factor` 0.2 means [-0.2, 0.2] of a full turn, {-0.2, 0.3} means [-0.2, 0.3]; each end in [-1, 1].
// The angles come from the layer's own Rng, seeded with `seed` or, without one, from next_random_seed() at
// construction. Inputs: [N,H,W,C] or one [H,W,C] image (channels_first: [N,C,H,W] or [C,H,W]); differentiable
// with respect to the input.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "kiln/core/random.hpp"
#include "kiln/layers/layer.hpp"
#include "kiln/layers/preprocessing/factor.hpp"

namespace kiln::layers {

struct RandomRotationOptions {
    std::string name{};
    bool trainable = true;
    Factor factor{};                         // required by Keras; 0 turns nothing
    std::string fill_mode = "reflect";       // "reflect", "wrap", "constant" or "nearest"
    std::string interpolation = "bilinear";  // or "nearest"
    std::optional<uint64_t> seed{};
    double fill_value = 0.0;                    // what fill_mode "constant" fills with
    std::string data_format = "channels_last";  // or "channels_first"
};

class RandomRotationLayer : public Layer {
public:
    using Options = RandomRotationOptions;
    explicit RandomRotationLayer(const Options& options);

    std::string class_name() const override { return "RandomRotation"; }
    nlohmann::json get_config() const override;
    static std::shared_ptr<RandomRotationLayer> from_config(const nlohmann::json& config);
    const Options& options() const { return options_; }

protected:
    Tensor call(const Tensor& input, const CallContext& ctx) override;

private:
    Options options_{};
    Rng rng_;
};

using RandomRotation = LayerHandle<RandomRotationLayer>;

}  // namespace kiln::layers
