// Dropout, as Keras 3: identity at inference; in training each element (or each entry of the noise shape,
// broadcast over the input) is zeroed with probability `rate` and the kept ones are scaled by 1 / (1 - rate).
// The mask is a constant for the gradient. Masks come from the layer's own Rng, seeded with `seed` or, without
// one, from next_random_seed() at construction: the same seed gives the same sequence of masks.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kiln/core/random.hpp"
#include "kiln/layers/layer.hpp"

namespace kiln::layers {

struct DropoutOptions {
    std::string name{};
    bool trainable = true;
    double rate = 0.0;  // in [0, 1)
    // The mask's shape, of the input's rank; each entry 1 (shared along that axis), the input's size, or absent
    // (the input's size, as Keras's None). Absent: the input's shape.
    std::optional<std::vector<std::optional<int64_t>>> noise_shape{};
    std::optional<uint64_t> seed{};
};

class DropoutLayer : public Layer {
public:
    using Options = DropoutOptions;
    explicit DropoutLayer(const Options& options);

    std::string class_name() const override { return "Dropout"; }
    nlohmann::json get_config() const override;
    static std::shared_ptr<DropoutLayer> from_config(const nlohmann::json& config);
    const Options& options() const { return options_; }

protected:
    Tensor call(const Tensor& input, const CallContext& ctx) override;

private:
    // The concrete noise shape for `input_shape`: absent entries filled in, checked to broadcast.
    Shape noise_shape_for(const Shape& input_shape) const;

    Options options_{};
    Rng rng_;
};

using Dropout = LayerHandle<DropoutLayer>;

}  // namespace kiln::layers
