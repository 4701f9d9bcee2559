// RandomFlip, as Keras: identity at inference; in training each image is mirrored left-right ("horizontal"),
// top-bottom ("vertical"), or each of the two independently ("horizontal_and_vertical", the default), each flip
// with probability 1/2. The draws come from the layer's own Rng, seeded with `seed` or, without one, from
// next_random_seed() at construction: the same seed gives the same flips. Inputs: [N,H,W,C] or one [H,W,C]
// image (channels_first: [N,C,H,W] or [C,H,W]); differentiable with respect to the input.
// Note: Keras 3.7 and later flip both axes on the same draw in "horizontal_and_vertical" (so the image is either
// kept or turned by 180 degrees); kiln draws them apart, as tf.keras and Keras 3.0-3.6 do.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "kiln/core/random.hpp"
#include "kiln/layers/layer.hpp"

namespace kiln::layers {

struct RandomFlipOptions {
    std::string name{};
    bool trainable = true;
    std::string mode = "horizontal_and_vertical";  // or "horizontal" (left-right) or "vertical" (top-bottom)
    std::optional<uint64_t> seed{};
    std::string data_format = "channels_last";  // or "channels_first"
};

class RandomFlipLayer : public Layer {
public:
    using Options = RandomFlipOptions;
    explicit RandomFlipLayer(const Options& options = {});

    std::string class_name() const override { return "RandomFlip"; }
    nlohmann::json get_config() const override;
    static std::shared_ptr<RandomFlipLayer> from_config(const nlohmann::json& config);
    const Options& options() const { return options_; }

protected:
    Tensor call(const Tensor& input, const CallContext& ctx) override;

private:
    Options options_{};
    bool horizontal_ = false, vertical_ = false;
    Rng rng_;
};

using RandomFlip = LayerHandle<RandomFlipLayer>;

}  // namespace kiln::layers
