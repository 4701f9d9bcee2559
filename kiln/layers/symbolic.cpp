// Layer's symbolic call: the output shape comes from running the layer on a batch of one zero example in
// inference mode, unrecorded, so it always agrees with call(). A size that is not fixed (-1, Keras's None, as in an
// image model taking any height and width) is probed with two sizes; output sizes that differ between the two
// runs are not fixed either.
#include "kiln/layers/symbolic.hpp"

#include <array>

#include "kiln/core/errors.hpp"
#include "kiln/core/tape.hpp"
#include "kiln/layers/layer.hpp"

namespace kiln {

const Shape& SymbolicTensor::shape() const {
    if (!node_) throw StateError("SymbolicTensor::shape: the symbolic tensor is undefined");
    return node_->output_shapes.at(static_cast<size_t>(index_));
}

namespace {

// Pairs of sizes that stand for a size that is not fixed, tried in turn: a window up to the smaller size fits, and
// any stride up to it gives different output sizes for the two. Small first, because probing costs a forward pass.
constexpr std::array<std::array<int64_t, 2>, 2> kProbeSizes{{{16, 32}, {128, 256}}};

// The output shapes of a call on one zero example whose unfixed (-1) sizes are `unfixed_size`.
std::vector<Shape> probe(Layer& layer, const std::vector<Shape>& input_shapes, bool multi, int64_t unfixed_size) {
    std::vector<Tensor> examples;
    for (Shape s : input_shapes) {
        if (s.rank() > 0) s[0] = 1;
        for (int64_t& d : s)
            if (d < 0) d = unfixed_size;
        examples.push_back(Tensor::zeros(s));
    }
    autograd::PauseRecording pause;
    std::vector<Shape> shapes;
    for (const Tensor& out : layer.call_outputs(examples, multi, false)) shapes.push_back(out.shape());
    return shapes;
}

// Output sizes that differ between probes with the two sizes of `sizes` become -1.
std::vector<Shape> probe_unfixed(Layer& layer, const std::vector<Shape>& input_shapes, bool multi,
                                 const std::array<int64_t, 2>& sizes) {
    std::vector<Shape> outs = probe(layer, input_shapes, multi, sizes[0]);
    const std::vector<Shape> others = probe(layer, input_shapes, multi, sizes[1]);
    for (size_t i = 0; i < outs.size(); ++i) {
        if (others.at(i).rank() != outs[i].rank())
            throw ShapeError(cat(layer.describe(), ": the output rank depends on the unfixed sizes of input shape ",
                                 input_shapes[0]));
        for (int64_t a = 1; a < outs[i].rank(); ++a)
            if (others[i][a] != outs[i][a]) outs[i][a] = -1;
    }
    return outs;
}

}  // namespace

std::vector<Shape> symbolic_output_shapes(Layer& layer, const std::vector<Shape>& input_shapes, bool multi) {
    bool any_unfixed = false;
    for (const Shape& s : input_shapes)
        for (int64_t a = 1; a < s.rank(); ++a) any_unfixed = any_unfixed || s[a] < 0;
    std::vector<Shape> out;
    if (!any_unfixed) {
        out = probe(layer, input_shapes, multi, 1);
    } else {
        for (size_t i = 0; i < kProbeSizes.size(); ++i) {
            try {
                out = probe_unfixed(layer, input_shapes, multi, kProbeSizes[i]);
                break;
            } catch (const ShapeError& e) {
                if (i + 1 == kProbeSizes.size())
                    throw ShapeError(cat(layer.describe(), ": needs a fixed input size, got input shape ",
                                         input_shapes[0], " (-1: any size): ", e.what()));
            }
        }
    }
    for (Shape& s : out)
        if (s.rank() > 0) s[0] = -1;
    return out;
}

Shape symbolic_output_shape(Layer& layer, const std::vector<Shape>& input_shapes, bool multi) {
    std::vector<Shape> shapes = symbolic_output_shapes(layer, input_shapes, multi);
    if (shapes.size() != 1)
        throw ValueError(cat(layer.describe(), ": has ", shapes.size(), " outputs where one is expected"));
    return shapes[0];
}

SymbolicTensor Layer::operator()(const SymbolicTensor& input, std::optional<bool> training) {
    return only_output(run_symbolic({input}, training, false));
}

SymbolicTensor Layer::operator()(const std::vector<SymbolicTensor>& inputs, std::optional<bool> training) {
    return only_output(run_symbolic(inputs, training, true));
}

std::vector<SymbolicTensor> Layer::call_outputs(const std::vector<SymbolicTensor>& inputs, bool multi_input,
                                                std::optional<bool> training) {
    if (!multi_input && inputs.size() != 1)
        throw ValueError(cat(describe(), ": call_outputs without multi_input takes one input, got ", inputs.size()));
    return run_symbolic(inputs, training, multi_input);
}

std::vector<SymbolicTensor> Layer::run_symbolic(const std::vector<SymbolicTensor>& inputs, std::optional<bool> training,
                                   bool multi) {
    std::shared_ptr<Layer> self = weak_from_this().lock();
    if (!self)
        throw StateError(cat(describe(), ": a layer used in a functional graph must be owned by a shared_ptr "
                                         "(create it through its handle, e.g. layers::Dense(...))"));
    std::vector<Shape> shapes;
    for (size_t i = 0; i < inputs.size(); ++i) {
        if (!inputs[i].defined()) throw ValueError(cat(describe(), ": symbolic input ", i, " is undefined"));
        shapes.push_back(inputs[i].shape());
    }
    auto node = std::make_shared<Node>(Node{self, inputs, training, symbolic_output_shapes(*this, shapes, multi), multi});
    std::vector<SymbolicTensor> outputs;
    for (size_t i = 0; i < node->output_shapes.size(); ++i) outputs.emplace_back(node, static_cast<int64_t>(i));
    return outputs;
}

}  // namespace kiln
