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

}  // namespace kiln
