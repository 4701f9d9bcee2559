#include "kiln/models/functional.hpp"

#include <algorithm>
#include <functional>
#include <unordered_map>
#include <unordered_set>

#include "kiln/core/errors.hpp"

namespace kiln {

FunctionalLayer::FunctionalLayer(std::vector<SymbolicTensor> inputs, std::vector<SymbolicTensor> outputs,
                                 const LayerOptions& options)
    : ModelLayer(options, "functional"), inputs_(std::move(inputs)), outputs_(std::move(outputs)) {
    if (inputs_.empty()) throw ValueError(cat(describe(), ": a functional model needs at least one input"));
    if (outputs_.empty()) throw ValueError(cat(describe(), ": a functional model needs at least one output"));
    for (size_t i = 0; i < outputs_.size(); ++i)
        if (!outputs_[i].defined()) throw ValueError(cat(describe(), ": output ", i, " is undefined"));
    std::unordered_set<const Node*> input_nodes;
    for (const SymbolicTensor& in : inputs_) {
        if (!in.defined() || !in.node()->inputs.empty())
            throw ValueError(cat(describe(), ": model inputs must come from layers::Input"));
        input_nodes.insert(in.node().get());
        // An InputLayer is complete once its shape is known (as in Keras); build it now so that the model
        // reports it as built before the first call (summary() shows "0", not "0 (unbuilt)").
        in.node()->layer->build(in.shape());
    }

    // Depth-first from the output; post-order is a topological order. Inputs first, in the order given.
    std::unordered_set<const Node*> visited;
    for (const SymbolicTensor& in : inputs_) {
        nodes_.push_back(in.node());
        visited.insert(in.node().get());
    }
    std::function<void(const std::shared_ptr<const Node>&)> visit = [&](const std::shared_ptr<const Node>& node) {
        if (visited.count(node.get())) return;
        visited.insert(node.get());
        if (node->inputs.empty())
            throw ValueError(cat(describe(), ": graph disconnected: the output depends on input '",
                                 node->layer->name(), "', which is not one of the model's inputs"));
        for (const SymbolicTensor& t : node->inputs) visit(t.node());
        nodes_.push_back(node);
    };
    for (const SymbolicTensor& out : outputs_) visit(out.node());

    for (const LayerPtr& layer : keras_layer_order()) add_layer(layer);
    build_multi([this] {
        std::vector<Shape> shapes;
        for (const SymbolicTensor& in : inputs_) shapes.push_back(in.shape());
        return shapes;
    }());
}

std::vector<LayerPtr> FunctionalLayer::keras_layer_order() const {
    // Where a depth-first walk from the output first meets each layer (before its inputs).
    std::unordered_map<const Layer*, int64_t> first_met;
    std::unordered_set<const Node*> walked;
    std::function<void(const std::shared_ptr<const Node>&)> walk = [&](const std::shared_ptr<const Node>& node) {
        if (!walked.insert(node.get()).second) return;
        first_met.emplace(node->layer.get(), static_cast<int64_t>(first_met.size()));
        for (const SymbolicTensor& t : node->inputs) walk(t.node());
    };
    for (const SymbolicTensor& out : outputs_) walk(out.node());
    // Depth: the longest path to the output, a layer taking the largest depth of its nodes; nodes_ reversed visits
    // every consumer before what it consumes.
    std::unordered_map<const Node*, int64_t> node_depth;
    std::unordered_map<const Layer*, int64_t> layer_depth;
    for (auto it = nodes_.rbegin(); it != nodes_.rend(); ++it) {
        const Node* node = it->get();
        const int64_t depth = std::max(node_depth[node], layer_depth[node->layer.get()]);
        layer_depth[node->layer.get()] = depth;
        for (const SymbolicTensor& t : node->inputs) {
            int64_t& input_depth = node_depth[t.node().get()];
            input_depth = std::max(input_depth, depth + 1);
        }
    }
    std::vector<LayerPtr> order;
    for (const auto& node : nodes_)
        if (std::find(order.begin(), order.end(), node->layer) == order.end()) order.push_back(node->layer);
    const auto met = [&](const LayerPtr& l) {
        const auto found = first_met.find(l.get());
        return found == first_met.end() ? int64_t{-1} : found->second;  // an input the output does not use
    };
    std::stable_sort(order.begin(), order.end(), [&](const LayerPtr& a, const LayerPtr& b) {
        const int64_t da = layer_depth.at(a.get());
        const int64_t db = layer_depth.at(b.get());
        return da != db ? da > db : met(a) < met(b);
    });
    return order;
}

std::vector<std::string> FunctionalLayer::input_names() const {
    std::vector<std::string> names;
    for (const SymbolicTensor& in : inputs_) names.push_back(in.node()->layer->name());
    return names;
}

std::vector<std::string> FunctionalLayer::output_names() const {
    std::vector<std::string> names;
    for (const SymbolicTensor& out : outputs_) names.push_back(out.node()->layer->name());
    return names;
}

Tensor FunctionalLayer::call(const Tensor& input, const CallContext& ctx) {
    return only_output(run_graph({input}, ctx.mask));
}

Tensor FunctionalLayer::call_multi(const std::vector<Tensor>& inputs, const CallContext&) {
    return only_output(run_graph(inputs, Tensor()));
}

std::vector<Tensor> FunctionalLayer::call_all(const std::vector<Tensor>& inputs, const CallContext& ctx,
                                              bool multi_input) {
    return run_graph(inputs, multi_input ? Tensor() : ctx.mask);
}

std::vector<Tensor> FunctionalLayer::run_graph(const std::vector<Tensor>& inputs, const Tensor& mask) {
    if (inputs.size() != inputs_.size())
        throw ValueError(cat(describe(), ": expects ", inputs_.size(), " inputs, got ", inputs.size()));
    // Each node's outputs, and the mask of a node with one output.
    std::unordered_map<const Node*, std::vector<Tensor>> values;
    std::unordered_map<const Node*, Tensor> masks;
    for (size_t i = 0; i < inputs.size(); ++i) {
        const Shape& expected = inputs_[i].shape();
        const Shape& got = inputs[i].shape();
        bool fits = expected.rank() == got.rank();
        for (int64_t d = 1; fits && d < got.rank(); ++d) fits = expected[d] < 0 || expected[d] == got[d];
        if (!fits)
            throw ShapeError(cat(describe(), ": input ", i, " should have shape ", expected, " (-1: any size), got ",
                                 got));
        const Node* node = inputs_[i].node().get();
        values[node] = {(*node->layer)(inputs[i])};
        if (inputs.size() == 1) masks[node] = mask;
    }
    const auto value_of = [&values](const SymbolicTensor& t) {
        return values.at(t.node().get()).at(static_cast<size_t>(t.index()));
    };
    for (const auto& node : nodes_) {
        if (node->inputs.empty()) continue;
        std::vector<Tensor> args;
        for (const SymbolicTensor& t : node->inputs) args.push_back(value_of(t));
        if (node->multi_input) {
            values[node.get()] = node->layer->call_outputs(args, true, node->training);
        } else if (node->output_shapes.size() != 1) {
            // A nested model with several outputs sees its input's mask, as one with a single output does.
            values[node.get()] = node->layer->call_outputs(args, false, node->training,
                                                           masks[node->inputs[0].node().get()]);
        } else {
            const Tensor& in_mask = masks[node->inputs[0].node().get()];
            values[node.get()] = {(*node->layer)(args[0], node->training, in_mask)};
            masks[node.get()] = node->layer->compute_mask(args[0], in_mask);
        }
    }
    std::vector<Tensor> outputs;
    for (const SymbolicTensor& out : outputs_) outputs.push_back(value_of(out));
    return outputs;
}

std::vector<SummaryRow> FunctionalLayer::summary_rows() const {
    std::vector<SummaryRow> rows;
    for (const LayerPtr& layer : layers()) {
        SummaryRow row{layer, {}, false, {}};
        for (const auto& node : nodes_) {
            if (node->layer != layer) continue;
            row.output_shapes = node->output_shapes;
            row.shape_known = true;
            for (const SymbolicTensor& t : node->inputs) row.connected_to.push_back(t.node()->layer->name());
        }
        rows.push_back(row);
    }
    return rows;
}

}  // namespace kiln
