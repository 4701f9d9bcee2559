// Merge layers taking a list of inputs, as Keras 3: Add and Concatenate. Call them with a vector of tensors:
// `Tensor y = layers::Add()({a, b});`. Both are differentiable with respect to every input. Input masks are not
// merged (kiln's multi-input call takes no masks).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kiln/layers/layer.hpp"

namespace kiln::layers {

struct AddOptions {
    std::string name{};
    bool trainable = true;
};

// The elementwise sum of two or more inputs. As Keras 3, the batch sizes must be equal and the other axes
// broadcast NumPy-style (sizes equal or 1); an input of lower rank gets size-1 axes inserted after its batch axis.
class AddLayer : public Layer {
public:
    using Options = AddOptions;
    explicit AddLayer(const Options& options = {});

    std::string class_name() const override { return "Add"; }
    Shape compute_output_shape_multi(const std::vector<Shape>& input_shapes) const override;
    static std::shared_ptr<AddLayer> from_config(const nlohmann::json& config);

protected:
    void build_multi_impl(const std::vector<Shape>& input_shapes) override;
    Tensor call_multi(const std::vector<Tensor>& inputs, const CallContext& ctx) override;
};

using Add = LayerHandle<AddLayer>;

struct ConcatenateOptions {
    std::string name{};
    bool trainable = true;
    int64_t axis = -1;  // negative counts from the end
};

// The inputs (one or more, of equal rank) joined along `axis`; every other axis must have equal sizes.
class ConcatenateLayer : public Layer {
public:
    using Options = ConcatenateOptions;
    explicit ConcatenateLayer(const Options& options = {});

    std::string class_name() const override { return "Concatenate"; }
    Shape compute_output_shape_multi(const std::vector<Shape>& input_shapes) const override;
    nlohmann::json get_config() const override;
    static std::shared_ptr<ConcatenateLayer> from_config(const nlohmann::json& config);
    const Options& options() const { return options_; }

protected:
    void build_multi_impl(const std::vector<Shape>& input_shapes) override;
    Tensor call_multi(const std::vector<Tensor>& inputs, const CallContext& ctx) override;

private:
    Options options_{};
};

using Concatenate = LayerHandle<ConcatenateLayer>;

}  // namespace kiln::layers
