#include "kiln/layers/merging.hpp"

#include <algorithm>

#include "kiln/core/errors.hpp"
#include "kiln/core/ops/elementwise.hpp"
#include "kiln/core/ops/shape_ops.hpp"
#include "kiln/layers/config_reader.hpp"

namespace kiln::layers {
namespace {

// "[2,3], [2,4]": a list of input shapes for error messages.
std::string shapes_str(const std::vector<Shape>& shapes) {
    std::string out;
    for (size_t i = 0; i < shapes.size(); ++i) out += cat(i ? ", " : "", shapes[i]);
    return out;
}

// `shape` with size-1 axes inserted after the batch axis up to `rank` (Keras's expand_dims at axis 1).
Shape expanded_after_batch(const Shape& shape, int64_t rank) {
    Shape out{shape[0]};
    out.insert(out.end(), static_cast<size_t>(rank - shape.rank()), 1);
    out.insert(out.end(), shape.begin() + 1, shape.end());
    return out;
}

}  // namespace

// ---- Add ----

AddLayer::AddLayer(const Options& options)
    : Layer(LayerOptions{.name = options.name, .trainable = options.trainable}, "add") {}

Shape AddLayer::compute_output_shape_multi(const std::vector<Shape>& input_shapes) const {
    if (input_shapes.size() < 2)
        throw ValueError(cat(describe(), ": expects a list of at least 2 inputs, got ", input_shapes.size()));
    int64_t rank = 0;
    for (const Shape& s : input_shapes) {
        if (s.rank() < 1)
            throw ShapeError(
                cat(describe(), ": every input needs a batch axis, got shapes ", shapes_str(input_shapes)));
        if (s[0] != input_shapes[0][0])
            throw ShapeError(cat(describe(), ": cannot add inputs with different batch sizes, got shapes ",
                                 shapes_str(input_shapes)));
        rank = std::max(rank, s.rank());
    }
    Shape out = expanded_after_batch(input_shapes[0], rank);
    for (const Shape& s : input_shapes) {
        const Shape e = expanded_after_batch(s, rank);
        for (int64_t i = 1; i < rank; ++i) {
            if (e[i] != out[i] && e[i] != 1 && out[i] != 1)
                throw ShapeError(cat(describe(), ": inputs have incompatible shapes ", shapes_str(input_shapes),
                                     " (axis sizes must be equal or 1)"));
            if (out[i] == 1) out[i] = e[i];
        }
    }
    return out;
}

void AddLayer::build_multi_impl(const std::vector<Shape>& input_shapes) { compute_output_shape_multi(input_shapes); }

Tensor AddLayer::call_multi(const std::vector<Tensor>& inputs, const CallContext&) {
    std::vector<Shape> shapes;
    for (const Tensor& x : inputs) shapes.push_back(x.shape());
    const int64_t rank = compute_output_shape_multi(shapes).rank();
    auto aligned = [rank](const Tensor& x) {
        return x.rank() == rank ? x : x.reshape(expanded_after_batch(x.shape(), rank));
    };
    Tensor sum = aligned(inputs[0]);
    for (size_t i = 1; i < inputs.size(); ++i) sum = add(sum, aligned(inputs[i]));
    return sum;
}

std::shared_ptr<AddLayer> AddLayer::from_config(const nlohmann::json& config) {
    ConfigReader r(config, "Add");
    Options o;
    r.read_base(o.name, o.trainable);
    r.finish();
    return std::make_shared<AddLayer>(o);
}

// ---- Concatenate ----

ConcatenateLayer::ConcatenateLayer(const Options& options)
    : Layer(LayerOptions{.name = options.name, .trainable = options.trainable}, "concatenate"), options_(options) {}

Shape ConcatenateLayer::compute_output_shape_multi(const std::vector<Shape>& input_shapes) const {
    if (input_shapes.empty()) throw ValueError(cat(describe(), ": expects a list of at least 1 input, got none"));
    const int64_t rank = input_shapes[0].rank();
    for (const Shape& s : input_shapes)
        if (s.rank() != rank)
            throw ShapeError(cat(describe(), ": inputs must have equal ranks, got shapes ", shapes_str(input_shapes)));
    if (options_.axis < -rank || options_.axis >= rank)
        throw ValueError(cat(describe(), ": axis ", options_.axis, " is out of range for inputs of rank ", rank));
    const int64_t axis = options_.axis < 0 ? options_.axis + rank : options_.axis;
    Shape out = input_shapes[0];
    out[axis] = 0;
    for (const Shape& s : input_shapes) {
        for (int64_t i = 0; i < rank; ++i)
            if (i != axis && s[i] != out[i])
                throw ShapeError(cat(describe(), ": inputs must have equal sizes on every axis except the ",
                                     "concatenation axis ", options_.axis, ", got shapes ", shapes_str(input_shapes)));
        out[axis] += s[axis];
    }
    return out;
}

void ConcatenateLayer::build_multi_impl(const std::vector<Shape>& input_shapes) {
    compute_output_shape_multi(input_shapes);
}

Tensor ConcatenateLayer::call_multi(const std::vector<Tensor>& inputs, const CallContext&) {
    std::vector<Shape> shapes;
    for (const Tensor& x : inputs) shapes.push_back(x.shape());
    compute_output_shape_multi(shapes);  // errors name the layer rather than the op
    return concatenate(inputs, options_.axis);
}

nlohmann::json ConcatenateLayer::get_config() const {
    nlohmann::json config = Layer::get_config();
    config["axis"] = options_.axis;
    return config;
}

std::shared_ptr<ConcatenateLayer> ConcatenateLayer::from_config(const nlohmann::json& config) {
    ConfigReader r(config, "Concatenate");
    Options o;
    r.read_base(o.name, o.trainable);
    o.axis = r.integer("axis", o.axis);
    r.finish();
    return std::make_shared<ConcatenateLayer>(o);
}

}  // namespace kiln::layers
