// FunctionalLayer: a model built from a graph of layer calls on symbolic tensors (Input -> ... -> output).
// Runs the graph's nodes in topological order; a node's explicit training argument wins over the model's,
// layers may be shared by several nodes, and masks flow along single-input edges. Several inputs and several
// outputs are supported; a model with several outputs used as a layer returns them all from call_outputs().
#pragma once

#include "kiln/layers/symbolic.hpp"
#include "kiln/models/model_layer.hpp"

namespace kiln {

class FunctionalLayer : public ModelLayer {
public:
    FunctionalLayer(std::vector<SymbolicTensor> inputs, std::vector<SymbolicTensor> outputs,
                    const LayerOptions& options = {});

    std::string class_name() const override { return "Functional"; }
    const std::vector<SymbolicTensor>& inputs() const { return inputs_; }
    const std::vector<SymbolicTensor>& outputs() const { return outputs_; }
    // Keras's input_names / output_names: the names of the layers that produce the inputs and the outputs.
    std::vector<std::string> input_names() const override;
    std::vector<std::string> output_names() const override;
    // Every node of the graph in topological order, input nodes first.
    const std::vector<std::shared_ptr<const Node>>& nodes() const { return nodes_; }

    std::vector<SummaryRow> summary_rows() const override;
    std::optional<Shape> known_input_shape() const override { return inputs_[0].shape(); }

protected:
    // Nothing to build: the graph's layers were built when it was traced. Overridden because the base version
    // accepts a single input shape only.
    void build_multi_impl(const std::vector<Shape>&) override {}
    Tensor call(const Tensor& input, const CallContext& ctx) override;
    Tensor call_multi(const std::vector<Tensor>& inputs, const CallContext& ctx) override;
    std::vector<Tensor> call_all(const std::vector<Tensor>& inputs, const CallContext& ctx, bool multi_input) override;

private:
    // The layers in Keras's model.layers order (tf.keras _map_graph_network, Keras 3 map_graph): deepest first
    // (depth = longest path to the output), ties in the order a depth-first walk from the output meets them.
    // Legacy .h5 weights are matched to layers by this position.
    std::vector<LayerPtr> keras_layer_order() const;
    std::vector<Tensor> run_graph(const std::vector<Tensor>& inputs, const Tensor& mask);

    std::vector<SymbolicTensor> inputs_;
    std::vector<SymbolicTensor> outputs_;
    std::vector<std::shared_ptr<const Node>> nodes_;
};

}  // namespace kiln
