// Reshaping layers without weights, as in Keras 3: Flatten, Reshape and ZeroPadding2D. All are differentiable
// (they are built from kiln ops) and keep the batch axis.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "kiln/core/ops/spatial.hpp"
#include "kiln/layers/layer.hpp"

namespace kiln::layers {

struct FlattenOptions {
    std::string name{};
    bool trainable = true;
    // channels_first moves the channel axis last before flattening (as Keras), so that a model gives the same
    // feature order in both layouts.
    DataFormat data_format = DataFormat::channels_last;
};

// Flattens every axis but the batch: [N, d1, ..., dk] -> [N, d1*...*dk]; a rank-1 input [N] gives [N, 1].
class FlattenLayer : public Layer {
public:
    using Options = FlattenOptions;
    explicit FlattenLayer(const Options& options = {});

    std::string class_name() const override { return "Flatten"; }
    Shape compute_output_shape(const Shape& input_shape) const override;
    nlohmann::json get_config() const override;
    static std::shared_ptr<FlattenLayer> from_config(const nlohmann::json& config);
    const Options& options() const { return options_; }

protected:
    Tensor call(const Tensor& input, const CallContext& ctx) override;

private:
    Options options_{};
};

using Flatten = LayerHandle<FlattenLayer>;

struct ReshapeOptions {
    std::string name{};
    bool trainable = true;
    // The output shape without the batch axis; every entry >= 1 except at most one -1 (inferred from the size).
    std::vector<int64_t> target_shape{};
};

// Reshapes each sample to target_shape: [N, ...] -> [N, target_shape...], in row-major order.
class ReshapeLayer : public Layer {
public:
    using Options = ReshapeOptions;
    explicit ReshapeLayer(const Options& options);

    std::string class_name() const override { return "Reshape"; }
    Shape compute_output_shape(const Shape& input_shape) const override;
    nlohmann::json get_config() const override;
    static std::shared_ptr<ReshapeLayer> from_config(const nlohmann::json& config);
    const Options& options() const { return options_; }

protected:
    Tensor call(const Tensor& input, const CallContext& ctx) override;

private:
    Options options_{};
};

using Reshape = LayerHandle<ReshapeLayer>;

// ((top, bottom), (left, right)) rows and columns of zeros.
using Padding2D = std::array<std::array<int64_t, 2>, 2>;

struct ZeroPadding2DOptions {
    std::string name{};
    bool trainable = true;
    // The Keras forms: an int (all four sides), a pair (symmetric height, symmetric width), or
    // ((top, bottom), (left, right)). Every value must be >= 0.
    std::variant<int64_t, std::array<int64_t, 2>, Padding2D> padding = std::array<int64_t, 2>{1, 1};
    DataFormat data_format = DataFormat::channels_last;
};

// Adds rows and columns of zeros around the spatial axes of a rank-4 NHWC or NCHW input.
class ZeroPadding2DLayer : public Layer {
public:
    using Options = ZeroPadding2DOptions;
    explicit ZeroPadding2DLayer(const Options& options = {});

    std::string class_name() const override { return "ZeroPadding2D"; }
    Shape compute_output_shape(const Shape& input_shape) const override;
    nlohmann::json get_config() const override;
    static std::shared_ptr<ZeroPadding2DLayer> from_config(const nlohmann::json& config);
    const Options& options() const { return options_; }
    // The padding in its full form, ((top, bottom), (left, right)).
    const Padding2D& padding() const { return padding_; }

protected:
    Tensor call(const Tensor& input, const CallContext& ctx) override;

private:
    Options options_{};
    Padding2D padding_{};
};

using ZeroPadding2D = LayerHandle<ZeroPadding2DLayer>;

}  // namespace kiln::layers
