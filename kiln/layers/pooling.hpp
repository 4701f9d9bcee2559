// 2-D pooling layers, as in Keras 3: MaxPooling2D and AveragePooling2D (one shared implementation over the
// pool ops) and GlobalMaxPooling2D and GlobalAveragePooling2D (one shared implementation over reductions).
// All take rank-4 NHWC (channels_last) or NCHW (channels_first) inputs and are differentiable.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "kiln/core/ops/spatial.hpp"
#include "kiln/layers/layer.hpp"

namespace kiln::layers {

// What a pooling layer computes over each window (or over the whole image).
enum class PoolingMode { max, average };

struct Pooling2DOptions {
    std::string name{};
    bool trainable = true;
    std::array<int64_t, 2> pool_size{2, 2};             // window (rows, columns), each >= 1
    std::optional<std::array<int64_t, 2>> strides{};    // each >= 1; absent: pool_size (Keras strides=None)
    Padding padding = Padding::valid;                   // "same": the extra padding goes after, as TensorFlow
    DataFormat data_format = DataFormat::channels_last;
};

// The windowed 2-D pooling both MaxPooling2D and AveragePooling2D are; average pooling divides by the number
// of non-padded elements in each window (as TensorFlow).
class Pooling2DLayer : public Layer {
public:
    using Options = Pooling2DOptions;

    Shape compute_output_shape(const Shape& input_shape) const override;
    nlohmann::json get_config() const override;
    const Options& options() const { return options_; }
    // The strides in use: options().strides, or pool_size when they are absent.
    std::array<int64_t, 2> strides() const { return options_.strides.value_or(options_.pool_size); }

protected:
    // `class_name` names the layer in validation errors; `default_name` is its snake_case automatic name.
    Pooling2DLayer(const Options& options, PoolingMode mode, std::string_view class_name,
                   std::string_view default_name);
    // Options from a Keras config; errors name `class_name`.
    static Options options_from_config(const nlohmann::json& config, const std::string& class_name);
    Tensor call(const Tensor& input, const CallContext& ctx) override;

private:
    Options options_{};
    PoolingMode mode_ = PoolingMode::max;
};

using MaxPooling2DOptions = Pooling2DOptions;
using AveragePooling2DOptions = Pooling2DOptions;

// Maximum over each pool_size window.
class MaxPooling2DLayer : public Pooling2DLayer {
public:
    using Options = MaxPooling2DOptions;
    explicit MaxPooling2DLayer(const Options& options = {});
    std::string class_name() const override { return "MaxPooling2D"; }
    static std::shared_ptr<MaxPooling2DLayer> from_config(const nlohmann::json& config);
};

// Mean over each pool_size window (padded positions excluded).
class AveragePooling2DLayer : public Pooling2DLayer {
public:
    using Options = AveragePooling2DOptions;
    explicit AveragePooling2DLayer(const Options& options = {});
    std::string class_name() const override { return "AveragePooling2D"; }
    static std::shared_ptr<AveragePooling2DLayer> from_config(const nlohmann::json& config);
};

using MaxPooling2D = LayerHandle<MaxPooling2DLayer>;
using AveragePooling2D = LayerHandle<AveragePooling2DLayer>;

struct GlobalPooling2DOptions {
    std::string name{};
    bool trainable = true;
    DataFormat data_format = DataFormat::channels_last;
    bool keepdims = false;  // true: [N, 1, 1, C] (or [N, C, 1, 1]) instead of [N, C]
};

// The reduction over both spatial axes both GlobalMaxPooling2D and GlobalAveragePooling2D are.
class GlobalPooling2DLayer : public Layer {
public:
    using Options = GlobalPooling2DOptions;

    Shape compute_output_shape(const Shape& input_shape) const override;
    nlohmann::json get_config() const override;
    const Options& options() const { return options_; }

protected:
    GlobalPooling2DLayer(const Options& options, PoolingMode mode, std::string_view default_name);
    // Options from a Keras config; errors name `class_name`.
    static Options options_from_config(const nlohmann::json& config, const std::string& class_name);
    Tensor call(const Tensor& input, const CallContext& ctx) override;

private:
    Options options_{};
    PoolingMode mode_ = PoolingMode::max;
};

using GlobalMaxPooling2DOptions = GlobalPooling2DOptions;
using GlobalAveragePooling2DOptions = GlobalPooling2DOptions;

// Maximum over height and width; the gradient is shared among tied maxima.
class GlobalMaxPooling2DLayer : public GlobalPooling2DLayer {
public:
    using Options = GlobalMaxPooling2DOptions;
    explicit GlobalMaxPooling2DLayer(const Options& options = {});
    std::string class_name() const override { return "GlobalMaxPooling2D"; }
    static std::shared_ptr<GlobalMaxPooling2DLayer> from_config(const nlohmann::json& config);
};

// Mean over height and width.
class GlobalAveragePooling2DLayer : public GlobalPooling2DLayer {
public:
    using Options = GlobalAveragePooling2DOptions;
    explicit GlobalAveragePooling2DLayer(const Options& options = {});
    std::string class_name() const override { return "GlobalAveragePooling2D"; }
    static std::shared_ptr<GlobalAveragePooling2DLayer> from_config(const nlohmann::json& config);
};

using GlobalMaxPooling2D = LayerHandle<GlobalMaxPooling2DLayer>;
using GlobalAveragePooling2D = LayerHandle<GlobalAveragePooling2DLayer>;

}  // namespace kiln::layers
