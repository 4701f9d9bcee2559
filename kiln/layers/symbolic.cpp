// Layer's symbolic call: the output shape comes from running the layer once on a batch of one zero example in
// inference mode, unrecorded, so it always agrees with call().
#include "kiln/layers/symbolic.hpp"

#include "kiln/core/errors.hpp"
#include "kiln/core/tape.hpp"
#include "kiln/layers/layer.hpp"

namespace kiln {

const Shape& SymbolicTensor::shape() const {
    if (!node_) throw StateError("SymbolicTensor::shape: the symbolic tensor is undefined");
    return node_->output_shape;
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
    std::vector<Tensor> examples;
    for (size_t i = 0; i < inputs.size(); ++i) {
        if (!inputs[i].defined()) throw ValueError(cat(describe(), ": symbolic input ", i, " is undefined"));
        Shape s = inputs[i].shape();
        for (int64_t& d : s)
            if (d < 0) d = 1;
        examples.push_back(Tensor::zeros(s));
    }
    Tensor out;
    {
        autograd::PauseRecording pause;
        out = multi ? (*this)(examples, false) : (*this)(examples[0], false);
    }
    Shape out_shape = out.shape();
    if (out_shape.rank() > 0) out_shape[0] = -1;
    auto node = std::make_shared<Node>(Node{self, inputs, training, out_shape, multi});
    return SymbolicTensor(node);
}

}  // namespace kiln
