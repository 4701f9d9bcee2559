// InputLayer: the entry point of a model, as Keras's InputLayer. Its call is the identity after checking the
// input's rank and every known non-batch dimension (the batch size is recorded in the config, not checked).
// Only dense float32 inputs: a config with sparse, ragged or optional set raises NotImplementedError.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kiln/layers/layer.hpp"

namespace kiln::layers {

struct InputLayerOptions {
    std::vector<std::optional<int64_t>> shape{};  // without the batch axis; nullopt: any size; each known one >= 0
    std::optional<int64_t> batch_size{};          // none: any batch size; else >= 0
    std::string name{};
};

// Named by the XLayer/X convention of every layer: layers::InputLayer is the handle.
class InputLayerLayer : public Layer {
public:
    using Options = InputLayerOptions;
    explicit InputLayerLayer(const Options& options = {});

    std::string class_name() const override { return "InputLayer"; }
    // Keras 3's keys: batch_shape, dtype (a string), sparse, name; no trainable.
    nlohmann::json get_config() const override;
    // Reads batch_shape, or the legacy batch_input_shape (tf.keras and Keras 2).
    static std::shared_ptr<InputLayerLayer> from_config(const nlohmann::json& config);
    const Options& options() const { return options_; }

protected:
    Tensor call(const Tensor& input, const CallContext& ctx) override;

private:
    Options options_{};
};

using InputLayer = LayerHandle<InputLayerLayer>;

}  // namespace kiln::layers
