// SequentialLayer: a plain stack of layers, each feeding the next, with masks passed along (a Masking layer's
// mask reaches a BatchNormalization below it). Built from an Input at construction, or on the first call.
#pragma once

#include <optional>

#include "kiln/layers/symbolic.hpp"
#include "kiln/models/model_layer.hpp"

namespace kiln {

class SequentialLayer : public ModelLayer {
public:
    explicit SequentialLayer(const LayerOptions& options = {});

    std::string class_name() const override { return "Sequential"; }
    // Appends a layer; builds it at once when the input shape is known.
    void add(LayerPtr layer);
    // An Input: sets the input shape (only as the first item) and builds the layers.
    void add(const SymbolicTensor& input);
    // Removes the last layer.
    void pop();
    // The InputLayer given through Input, if any (not part of layers(), as in Keras).
    const LayerPtr& input_layer() const { return input_layer_; }

    std::vector<SummaryRow> summary_rows() const override;
    // The InputLayer's name (one input even when it is not known yet) and the last layer's name (none while
    // the model has no layers).
    std::vector<std::string> input_names() const override;
    std::vector<std::string> output_names() const override;
    std::optional<Shape> known_input_shape() const override { return input_shape_; }
    Tensor compute_mask(const Tensor& input, const Tensor& mask) const override;

protected:
    void build_impl(const Shape& input_shape) override;
    Tensor call(const Tensor& input, const CallContext& ctx) override;

private:
    // The output shape of each layer for the known input shape (building the layers); see symbolic_output_shape.
    std::vector<Shape> trace_shapes() const;

    LayerPtr input_layer_;
    std::optional<Shape> input_shape_;
};

}  // namespace kiln
