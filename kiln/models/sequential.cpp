#include "kiln/models/sequential.hpp"

#include "kiln/core/errors.hpp"
#include "kiln/core/tape.hpp"

namespace kiln {
namespace {

// The input shape with the batch dimension made -1.
Shape with_unknown_batch(Shape s) {
    if (s.rank() > 0) s[0] = -1;
    return s;
}

}  // namespace

SequentialLayer::SequentialLayer(const LayerOptions& options) : ModelLayer(options, "sequential") {}

void SequentialLayer::add(LayerPtr layer) {
    ModelLayer::add_layer(std::move(layer));
    if (input_shape_) trace_shapes();
}

void SequentialLayer::add(const SymbolicTensor& input) {
    if (!input.defined() || !input.node()->inputs.empty())
        throw ValueError(cat(describe(), ": only an Input (a symbolic tensor from layers::Input) can be added as a "
                                         "symbolic tensor; add layers themselves"));
    if (!layers().empty() || input_layer_)
        throw ValueError(cat(describe(), ": an Input can only be the first item of a Sequential model"));
    input_layer_ = input.node()->layer;
    input_shape_ = input.shape();
    build(*input_shape_);
}

void SequentialLayer::pop() { remove_last_layer(); }

std::vector<Shape> SequentialLayer::trace_shapes() const {
    std::vector<Shape> shapes;
    if (!input_shape_) return shapes;
    Shape shape = *input_shape_;
    if (input_layer_) shape = symbolic_output_shape(*input_layer_, {shape}, false);
    for (const LayerPtr& layer : layers()) {
        shape = symbolic_output_shape(*layer, {shape}, false);
        shapes.push_back(shape);
    }
    return shapes;
}

void SequentialLayer::build_impl(const Shape& input_shape) {
    if (!input_shape_) input_shape_ = with_unknown_batch(input_shape);
    trace_shapes();
}

Tensor SequentialLayer::call(const Tensor& input, const CallContext& ctx) {
    if (layers().empty()) throw StateError(cat(describe(), ": the model has no layers"));
    Tensor x = input_layer_ ? (*input_layer_)(input) : input;
    Tensor mask = ctx.mask;
    for (const LayerPtr& layer : layers()) {
        Tensor y = (*layer)(x, std::nullopt, mask);
        mask = layer->compute_mask(x, mask);
        x = y;
    }
    return x;
}

Tensor SequentialLayer::compute_mask(const Tensor& input, const Tensor& mask) const {
    autograd::PauseRecording pause;
    Tensor x = input;
    Tensor m = mask;
    for (const LayerPtr& layer : layers()) {
        Tensor y = (*layer)(x, false, m);
        m = layer->compute_mask(x, m);
        x = y;
    }
    return m;
}

std::vector<std::string> SequentialLayer::input_names() const {
    return {input_layer_ ? input_layer_->name() : cat(name(), "_input")};
}

std::vector<std::string> SequentialLayer::output_names() const {
    if (layers().empty()) return {};
    return {layers().back()->name()};
}

std::vector<SummaryRow> SequentialLayer::summary_rows() const {
    const std::vector<Shape> shapes = trace_shapes();
    std::vector<SummaryRow> rows;
    for (size_t i = 0; i < layers().size(); ++i)
        rows.push_back(SummaryRow{layers()[i], {i < shapes.size() ? shapes[i] : Shape{}}, i < shapes.size(), {}});
    return rows;
}

}  // namespace kiln
