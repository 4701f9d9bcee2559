#include "kiln/layers/layer.hpp"

#include <algorithm>
#include <map>
#include <mutex>

#include "kiln/core/errors.hpp"
#include "kiln/core/limits.hpp"
#include "kiln/core/ops/elementwise.hpp"
#include "kiln/core/tape.hpp"
#include "kiln/layers/constraints.hpp"
#include "kiln/layers/initializers.hpp"
#include "kiln/layers/regularizers.hpp"

namespace kiln {
namespace {

// The training value of the calls in progress on this thread, innermost last.
thread_local std::vector<bool> t_training_stack;

struct TrainingScope {
    explicit TrainingScope(bool training) { t_training_stack.push_back(training); }
    ~TrainingScope() { t_training_stack.pop_back(); }
};

// "dense", "dense_1", "dense_2", ... per prefix, as Keras names layers.
std::string unique_name(std::string_view prefix) {
    static std::mutex mutex;
    static std::map<std::string, int, std::less<>> counts;
    std::lock_guard lock(mutex);
    int& n = counts[std::string(prefix)];
    std::string name = n == 0 ? std::string(prefix) : cat(prefix, "_", n);
    ++n;
    return name;
}

}  // namespace

Layer::Layer(const LayerOptions& options, std::string_view default_name)
    : name_(options.name.empty() ? unique_name(default_name) : options.name), trainable_(options.trainable) {
    if (options.dtype != "float32")
        throw NotImplementedError(cat(default_name, " '", name_, "': dtype '", options.dtype,
                                      "' is not supported; kiln computes in float32"));
}

Layer::~Layer() = default;

std::string Layer::describe() const { return cat(class_name(), " '", name_, "'"); }

Tensor Layer::operator()(const Tensor& input, std::optional<bool> training, const Tensor& mask) {
    return only_output(run({input}, training, mask, false));
}

Tensor Layer::operator()(const std::vector<Tensor>& inputs, std::optional<bool> training) {
    return only_output(run(inputs, training, Tensor(), true));
}

std::vector<Tensor> Layer::call_outputs(const std::vector<Tensor>& inputs, bool multi_input,
                                        std::optional<bool> training, const Tensor& mask) {
    if (!multi_input && inputs.size() != 1)
        throw ValueError(cat(describe(), ": call_outputs without multi_input takes one input, got ", inputs.size()));
    return run(inputs, training, mask, multi_input);
}

template <class T>
T Layer::only_output(std::vector<T> outputs) const {
    if (outputs.size() != 1)
        throw ValueError(cat(describe(), ": has ", outputs.size(), " outputs; take them all with call_outputs()"));
    return std::move(outputs[0]);
}
template Tensor Layer::only_output(std::vector<Tensor>) const;
template SymbolicTensor Layer::only_output(std::vector<SymbolicTensor>) const;

std::vector<Tensor> Layer::run(const std::vector<Tensor>& inputs, std::optional<bool> training, const Tensor& mask,
                               bool multi) {
    std::vector<Shape> shapes;
    for (size_t i = 0; i < inputs.size(); ++i) {
        if (!inputs[i].defined()) throw ValueError(cat(describe(), ": input ", i, " is undefined"));
        shapes.push_back(inputs[i].shape());
    }
    if (multi)
        build_multi(shapes);
    else
        build(shapes[0]);
    for (const Shape& s : shapes) check_input_spec(s);

    CallContext ctx;
    ctx.training = training ? *training : (!t_training_stack.empty() && t_training_stack.back());
    ctx.mask = mask;
    TrainingScope scope(ctx.training);
    return call_all(inputs, ctx, multi);
}

std::vector<Tensor> Layer::call_all(const std::vector<Tensor>& inputs, const CallContext& ctx, bool multi_input) {
    return {multi_input ? call_multi(inputs, ctx) : call(inputs[0], ctx)};
}

void Layer::build(const Shape& input_shape) {
    if (built_) return;
    build_impl(input_shape);
    built_ = true;
}

void Layer::build_multi(const std::vector<Shape>& input_shapes) {
    if (built_) return;
    build_multi_impl(input_shapes);
    built_ = true;
}

void Layer::build_impl(const Shape&) {}

void Layer::build_multi_impl(const std::vector<Shape>& input_shapes) {
    if (input_shapes.size() != 1)
        throw ValueError(cat(describe(), ": expects one input, got ", input_shapes.size()));
    build_impl(input_shapes[0]);
}

Tensor Layer::call(const Tensor&, const CallContext&) {
    throw NotImplementedError(cat(describe(), ": this layer takes a list of inputs"));
}

Tensor Layer::call_multi(const std::vector<Tensor>& inputs, const CallContext& ctx) {
    if (inputs.size() != 1) throw ValueError(cat(describe(), ": expects one input, got ", inputs.size()));
    return call(inputs[0], ctx);
}

Shape Layer::compute_output_shape(const Shape& input_shape) const { return input_shape; }

Shape Layer::compute_output_shape_multi(const std::vector<Shape>& input_shapes) const {
    if (input_shapes.size() != 1)
        throw ValueError(cat(describe(), ": expects one input, got ", input_shapes.size()));
    return compute_output_shape(input_shapes[0]);
}

Tensor Layer::compute_mask(const Tensor&, const Tensor& mask) const { return mask; }

void Layer::check_input_spec(const Shape& shape) const {
    if (!input_spec_) return;
    const InputSpec& spec = *input_spec_;
    if (spec.ndim && shape.rank() != *spec.ndim)
        throw ShapeError(cat(describe(), ": expected an input of rank ", *spec.ndim, ", got shape ", shape));
    if (spec.min_ndim && shape.rank() < *spec.min_ndim)
        throw ShapeError(cat(describe(), ": expected an input of rank >= ", *spec.min_ndim, ", got shape ", shape));
    for (auto [axis, size] : spec.axes) {
        const int64_t a = axis < 0 ? axis + shape.rank() : axis;
        if (a < 0 || a >= shape.rank() || shape[a] != size)
            throw ShapeError(cat(describe(), ": expected axis ", axis, " of the input to have size ", size,
                                 ", got shape ", shape));
    }
}

Variable Layer::add_weight(const WeightSpec& spec) {
    if (!spec.initializer) throw ValueError(cat(describe(), ": weight '", spec.name, "' has no initializer"));
    check_valid_shape(spec.shape, describe());
    int64_t elements = 0;
    try {
        elements = spec.shape.numel();
    } catch (const ShapeError& e) {
        throw ShapeError(cat(describe(), ": weight '", spec.name, "': ", e.what()));
    }
    if (elements > max_variable_elements())
        throw MemoryError(cat(describe(), ": weight '", spec.name, "' of shape ", spec.shape, " has ", elements,
                              " elements, more than the limit of ", max_variable_elements(),
                              " per variable (raise it with kiln::set_max_variable_elements)"));
    if (spec.dtype != "float32" && !(spec.dtype == "int64" && spec.shape.rank() == 0))
        throw ValueError(cat(describe(), ": weight '", spec.name, "': dtype '", spec.dtype, "' with shape ",
                             spec.shape, " is not supported (float32, or int64 for a scalar counter)"));
    Tensor initial = (*spec.initializer)(spec.shape);
    // Created while the layer is frozen: not trainable until the layer is unfrozen (as Keras does).
    Variable v(cat(name_, "/", spec.name), initial, spec.trainable && trainable_);
    if (spec.constraint) {
        ConstraintPtr constraint = spec.constraint;
        v.set_constraint([constraint](const Tensor& w) { return (*constraint)(w); });
    }
    weights_.push_back(Weight{v, spec.trainable, spec.regularizer, spec.dtype, false});
    return v;
}

void Layer::track_variable(const Variable& variable) {
    for (const Weight& w : weights_)
        if (w.variable.same_as(variable))
            throw ValueError(cat(describe(), ": variable '", variable.name(), "' is already tracked"));
    for (const auto& layer : all_sublayers())
        for (const Weight& w : layer->weights_)
            if (w.variable.same_as(variable) && !w.adopted) {
                weights_.push_back(Weight{variable, w.created_trainable, nullptr, w.dtype, true});
                return;
            }
    throw ValueError(cat(describe(), ": variable '", variable.name(), "' belongs to none of its sublayers"));
}

void Layer::track_layer(std::shared_ptr<Layer> layer) {
    if (!layer) throw ValueError(cat(describe(), ": cannot track a null layer"));
    sublayers_.push_back(std::move(layer));
}

void Layer::untrack_layer(const std::shared_ptr<Layer>& layer) {
    auto found = std::find(sublayers_.begin(), sublayers_.end(), layer);
    if (found == sublayers_.end()) throw ValueError(cat(describe(), ": ", layer->describe(), " is not a sublayer"));
    sublayers_.erase(found);
}

std::vector<Variable> Layer::own_weights() const {
    std::vector<Variable> out;
    for (const Weight& w : weights_)
        if (w.created_trainable) out.push_back(w.variable);
    for (const Weight& w : weights_)
        if (!w.created_trainable) out.push_back(w.variable);
    return out;
}

std::string Layer::weight_dtype(const Variable& variable) const {
    for (const Weight& w : weights_)
        if (w.variable.same_as(variable)) return w.dtype;
    return "float32";
}

std::vector<Variable> Layer::weights() const {
    std::vector<Variable> out = own_weights();
    for (const auto& layer : sublayers_)
        for (const Variable& v : layer->weights()) {
            bool seen = false;
            for (const Variable& o : out) seen = seen || o.same_as(v);
            if (!seen) out.push_back(v);
        }
    return out;
}

std::vector<Variable> Layer::trainable_weights() const {
    std::vector<Variable> out;
    if (!trainable_) return out;
    for (const Variable& v : weights())
        if (v.trainable()) out.push_back(v);
    return out;
}

std::vector<Variable> Layer::non_trainable_weights() const {
    if (!trainable_) return weights();
    std::vector<Variable> out;
    for (const Variable& v : weights())
        if (!v.trainable()) out.push_back(v);
    return out;
}

std::vector<Tensor> Layer::get_weights() const {
    std::vector<Tensor> out;
    for (const Variable& v : weights()) out.push_back(stop_gradient(v.value()).copy());
    return out;
}

void Layer::set_weights(const std::vector<Tensor>& values) {
    const std::vector<Variable> own = weights();
    if (values.size() != own.size())
        throw ValueError(cat(describe(), ": set_weights expected ", own.size(), " arrays, got ", values.size()));
    for (size_t i = 0; i < own.size(); ++i)
        if (!values[i].defined() || values[i].shape() != own[i].shape())
            throw ShapeError(cat(describe(), ": set_weights: weight ", i, " ('", own[i].name(), "') has shape ",
                                 own[i].shape(), ", got ",
                                 values[i].defined() ? values[i].shape().str() : std::string("an undefined tensor")));
    for (size_t i = 0; i < own.size(); ++i) own[i].assign(values[i]);
}

int64_t Layer::count_params() const {
    int64_t n = 0;
    for (const Variable& v : weights()) n += v.shape().numel();
    return n;
}

void Layer::set_trainable(bool trainable) {
    set_own_trainable(trainable);
    for (auto& layer : sublayers_) layer->set_trainable(trainable);
}

void Layer::set_own_trainable(bool trainable) {
    trainable_ = trainable;
    for (Weight& w : weights_)
        if (w.created_trainable && !w.adopted) w.variable.set_trainable(trainable);
}

std::vector<Tensor> Layer::losses() const {
    std::vector<Tensor> out;
    for (const Weight& w : weights_)
        if (w.regularizer) out.push_back((*w.regularizer)(w.variable.value()));
    for (const auto& layer : sublayers_)
        for (Tensor& t : layer->losses()) out.push_back(std::move(t));
    return out;
}

void Layer::apply_constraints() {
    for (Weight& w : weights_)
        if (!w.adopted) w.variable.apply_constraint();
    for (auto& layer : sublayers_) layer->apply_constraints();
}

std::vector<std::shared_ptr<Layer>> Layer::all_sublayers() const {
    std::vector<std::shared_ptr<Layer>> out;
    for (const auto& layer : sublayers_) {
        out.push_back(layer);
        for (auto& inner : layer->all_sublayers()) out.push_back(std::move(inner));
    }
    return out;
}

nlohmann::json dtype_policy_config(const std::string& dtype) {
    return {{"module", "keras"},
            {"class_name", "DTypePolicy"},
            {"config", {{"name", dtype}}},
            {"registered_name", nullptr}};
}

nlohmann::json layer_object_config(const Layer& layer) {
    return {{"module", "keras.layers"},
            {"class_name", layer.class_name()},
            {"config", layer.get_config()},
            {"registered_name", nullptr}};
}

nlohmann::json Layer::get_config() const {
    return {{"name", name_}, {"trainable", trainable_}, {"dtype", dtype_policy_config("float32")}};
}

}  // namespace kiln
