// Layer's symbolic call: the output shape comes from running the layer on a batch of one zero example in
// inference mode, unrecorded, so it always agrees with call(). A size that is not fixed (-1, Keras's None, as in an
// image model taking any height and width) is probed with two sizes; output sizes that differ between the two
// runs are not fixed either.
#include "kiln/layers/symbolic.hpp"

#include "kiln/core/errors.hpp"
#include "kiln/core/tape.hpp"
#include "kiln/layers/layer.hpp"

namespace kiln {

const Shape& SymbolicTensor::shape() const {
    if (!node_) throw StateError("SymbolicTensor::shape: the symbolic tensor is undefined");
    return node_->output_shape;
}

namespace {

// Sizes that stand for a size that is not fixed: a window of up to 16 fits the smaller, and any stride up to 16
// gives different output sizes for the two.
constexpr int64_t kProbeSmall = 16;
constexpr int64_t kProbeLarge = 32;

}  // namespace

namespace {

// The output shape of a call on one zero example whose unfixed (-1) sizes are `unfixed_size`.
Shape probe(Layer& layer, const std::vector<Shape>& input_shapes, bool multi, int64_t unfixed_size) {
    std::vector<Tensor> examples;
    for (Shape s : input_shapes) {
        if (s.rank() > 0) s[0] = 1;
        for (int64_t& d : s)
            if (d < 0) d = unfixed_size;
        examples.push_back(Tensor::zeros(s));
    }
    autograd::PauseRecording pause;
    return (multi ? layer(examples, false) : layer(examples[0], false)).shape();
}

}  // namespace

Shape symbolic_output_shape(Layer& layer, const std::vector<Shape>& input_shapes, bool multi) {
    bool any_unfixed = false;
    for (const Shape& s : input_shapes)
        for (int64_t a = 1; a < s.rank(); ++a) any_unfixed = any_unfixed || s[a] < 0;
    Shape out = probe(layer, input_shapes, multi, kProbeSmall);
    if (any_unfixed) {
        Shape other;
        try {
            other = probe(layer, input_shapes, multi, kProbeLarge);
        } catch (const ShapeError& e) {
            throw ShapeError(cat(layer.describe(), ": needs a fixed input size, got input shape ", input_shapes[0],
                                 " (-1: any size): ", e.what()));
        }
        if (other.rank() != out.rank())
            throw ShapeError(cat(layer.describe(), ": the output rank depends on the unfixed sizes of input shape ",
                                 input_shapes[0]));
        for (int64_t a = 1; a < out.rank(); ++a)
            if (other[a] != out[a]) out[a] = -1;
    }
    if (out.rank() > 0) out[0] = -1;
    return out;
}

SymbolicTensor Layer::operator()(const SymbolicTensor& input, std::optional<bool> training) {
    return run_symbolic({input}, training, false);
}

SymbolicTensor Layer::operator()(const std::vector<SymbolicTensor>& inputs, std::optional<bool> training) {
    return run_symbolic(inputs, training, true);
}

SymbolicTensor Layer::run_symbolic(const std::vector<SymbolicTensor>& inputs, std::optional<bool> training,
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
    const Shape out_shape = symbolic_output_shape(*this, shapes, multi);
    auto node = std::make_shared<Node>(Node{self, inputs, training, out_shape, multi});
    return SymbolicTensor(node);
}

}  // namespace kiln
