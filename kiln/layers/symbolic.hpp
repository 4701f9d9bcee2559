// Symbolic tensors for the Functional API (Keras's KerasTensor): `Input(shape)` starts a graph, calling a layer
// on a SymbolicTensor records a Node instead of computing, and Model(inputs, outputs) runs the recorded graph.
// Shapes keep -1 for the batch dimension. A layer with several outputs (a Functional model with several
// outputs used as a layer) records one node whose outputs are picked by index: `layer->call_outputs(...)[i]`.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "kiln/core/shape.hpp"

namespace kiln {

class Layer;
struct Node;

class SymbolicTensor {
public:
    SymbolicTensor() = default;
    explicit SymbolicTensor(std::shared_ptr<const Node> node, int64_t index = 0)
        : node_(std::move(node)), index_(index) {}

    bool defined() const { return node_ != nullptr; }
    // The shape, with -1 for the batch dimension.
    const Shape& shape() const;
    // The node (layer application) that produces this tensor, and which of its outputs it is.
    const std::shared_ptr<const Node>& node() const { return node_; }
    int64_t index() const { return index_; }

private:
    std::shared_ptr<const Node> node_;
    int64_t index_ = 0;
};

// One application of a layer in a functional graph.
struct Node {
    std::shared_ptr<Layer> layer{};
    std::vector<SymbolicTensor> inputs{};  // empty for an input node
    std::optional<bool> training{};        // an explicit training argument given when the graph was built
    std::vector<Shape> output_shapes{};    // one per output, batch dimension -1
    bool multi_input = false;              // called with a list of inputs
};

// The output shape (batch -1) of `layer` called in inference mode on inputs of these shapes, building it if needed.
// Sizes of -1 (any size) are probed with two sizes; output sizes that differ between the two are -1. ShapeError
// names the layer when a layer needs a size fixed (e.g. Dense after Flatten of an image of any size).
std::vector<Shape> symbolic_output_shapes(Layer& layer, const std::vector<Shape>& input_shapes, bool multi);
// The same for a layer with one output (ValueError naming the layer otherwise).
Shape symbolic_output_shape(Layer& layer, const std::vector<Shape>& input_shapes, bool multi);

}  // namespace kiln
