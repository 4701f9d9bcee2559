// Symbolic tensors for the Functional API (Keras's KerasTensor): `Input(shape)` starts a graph, calling a layer
// on a SymbolicTensor records a Node instead of computing, and Model(inputs, outputs) runs the recorded graph.
// Shapes keep -1 for the batch dimension.
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
    explicit SymbolicTensor(std::shared_ptr<const Node> node) : node_(std::move(node)) {}

    bool defined() const { return node_ != nullptr; }
    // The shape, with -1 for the batch dimension.
    const Shape& shape() const;
    // The node (layer application) that produces this tensor.
    const std::shared_ptr<const Node>& node() const { return node_; }

private:
    std::shared_ptr<const Node> node_;
};

// One application of a layer in a functional graph.
struct Node {
    std::shared_ptr<Layer> layer{};
    std::vector<SymbolicTensor> inputs{};  // empty for an input node
    std::optional<bool> training{};        // an explicit training argument given when the graph was built
    Shape output_shape{};                  // batch dimension -1
    bool multi_input = false;              // called with a list of inputs
};

// The output shape (batch -1) of `layer` called in inference mode on inputs of these shapes, building it if needed.
// Sizes of -1 (any size) are probed with two sizes; output sizes that differ between the two are -1. ShapeError
// names the layer when a layer needs a size fixed (e.g. Dense after Flatten of an image of any size).
Shape symbolic_output_shape(Layer& layer, const std::vector<Shape>& input_shapes, bool multi);

}  // namespace kiln
