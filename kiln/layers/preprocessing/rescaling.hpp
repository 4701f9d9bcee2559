// Rescaling, as Keras: y = x * scale + offset, in training and at inference alike (e.g. scale 1/255 maps
// [0, 255] to [0, 1]). scale and offset are numbers, or lists of one value per channel broadcast along the
// input's last axis (channels_last, Keras's default image_data_format). Any input rank; differentiable.
#pragma once

#include <initializer_list>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "kiln/layers/layer.hpp"

namespace kiln::layers {

// A number, or a list of per-channel numbers (written as a list in configs even when it has one entry).
class ChannelValues {
public:
    ChannelValues(double value = 0.0) : values_{value}, list_(false) {}
    ChannelValues(std::initializer_list<double> per_channel) : values_(per_channel), list_(true) {}
    explicit ChannelValues(std::vector<double> per_channel) : values_(std::move(per_channel)), list_(true) {}

    bool is_list() const { return list_; }
    const std::vector<double>& values() const { return values_; }
    // A JSON number or a list of numbers.
    nlohmann::json to_json() const;

private:
    std::vector<double> values_;
    bool list_;
};

struct RescalingOptions {
    std::string name{};
    bool trainable = true;
    ChannelValues scale = 1.0;  // required by Keras
    ChannelValues offset = 0.0;
};

class RescalingLayer : public Layer {
public:
    using Options = RescalingOptions;
    explicit RescalingLayer(const Options& options);

    std::string class_name() const override { return "Rescaling"; }
    nlohmann::json get_config() const override;
    static std::shared_ptr<RescalingLayer> from_config(const nlohmann::json& config);
    const Options& options() const { return options_; }

protected:
    Tensor call(const Tensor& input, const CallContext& ctx) override;

private:
    // x * values or x + values for one of scale and offset (`key` names it in errors).
    Tensor apply(const Tensor& x, const ChannelValues& values, const char* key, bool multiply) const;

    Options options_{};
};

using Rescaling = LayerHandle<RescalingLayer>;

}  // namespace kiln::layers
