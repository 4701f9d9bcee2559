// Model's training API: compile, fit, evaluate, predict and the *_on_batch steps.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <numeric>

#include "kiln/core/errors.hpp"
#include "kiln/core/ops.hpp"
#include "kiln/core/random.hpp"
#include "kiln/core/tape.hpp"
#include "kiln/models/model.hpp"
#include "kiln/models/progbar.hpp"
#include "kiln/models/training_state.hpp"

namespace kiln {
namespace {

// Rows `indices` of x (along axis 0), copied.
Tensor take_rows(const Tensor& x, const std::vector<int64_t>& indices) {
    Shape shape = x.shape();
    const int64_t row = shape[0] == 0 ? 0 : x.size() / shape[0];
    shape[0] = static_cast<int64_t>(indices.size());
    Tensor out = Tensor::empty(shape);
    for (size_t i = 0; i < indices.size(); ++i)
        std::copy_n(x.data() + indices[i] * row, row, out.data() + static_cast<int64_t>(i) * row);
    return out;
}

std::vector<int64_t> range(int64_t begin, int64_t end) {
    std::vector<int64_t> r(static_cast<size_t>(std::max<int64_t>(0, end - begin)));
    std::iota(r.begin(), r.end(), begin);
    return r;
}

// Holds every layer at its compile()-time trainable state for the scope, then puts the current state back.
class CompiledTrainableScope {
public:
    CompiledTrainableScope(ModelLayer& model, TrainingState& state) : state_(state) {
        std::vector<Layer*> changed;
        for (auto& [layer, flag] : state_.compiled_trainable) {
            saved_.emplace_back(layer, layer->trainable());
            if (layer->trainable() != flag) changed.push_back(layer);
        }
        if (!changed.empty() && !state_.warned_trainable_changed) {
            state_.warned_trainable_changed = true;
            std::cerr << "kiln: warning: " << model.describe() << ": the trainable state of "
                      << changed.front()->describe() << (changed.size() > 1 ? " and others" : "")
                      << " changed since compile(); fit() and train_on_batch() keep using the state captured by "
                         "compile(). Call compile() again to apply the change.\n";
        }
        for (auto& [layer, flag] : state_.compiled_trainable) layer->set_own_trainable(flag);
    }
    ~CompiledTrainableScope() {
        for (auto& [layer, flag] : saved_) layer->set_own_trainable(flag);
    }

private:
    TrainingState& state_;
    std::vector<std::pair<Layer*, bool>> saved_;
};

TrainingState& state_of(const ModelLayer& model) {
    if (!model.training_state)
        throw StateError(cat(model.describe(), ": the model must be compiled before training or evaluating; call "
                                               "compile() first"));
    return *model.training_state;
}

// A batch: a tensor per input and per output, and the per-sample weights (undefined when none).
struct Batch {
    std::vector<Tensor> x;
    std::vector<Tensor> y;
    Tensor sample_weight;
};

std::vector<Tensor> take_rows(const std::vector<Tensor>& xs, const std::vector<int64_t>& indices) {
    std::vector<Tensor> out;
    for (const Tensor& x : xs) out.push_back(take_rows(x, indices));
    return out;
}

std::vector<Tensor> slice_rows(const std::vector<Tensor>& xs, int64_t begin, int64_t end) {
    std::vector<Tensor> out;
    for (const Tensor& x : xs) out.push_back(x.slice(begin, end));
    return out;
}

std::vector<Tensor> run_model(ModelLayer& model, const std::vector<Tensor>& x, bool training) {
    return model.call_outputs(x, x.size() != 1, training);
}

void resolve_metrics(TrainingState& state, const std::vector<Tensor>& y, const std::vector<Tensor>& y_pred) {
    if (state.metrics_resolved) return;
    for (size_t i = 0; i < state.heads.size(); ++i)
        for (const MetricArg& arg : state.heads[i].requested_metrics)
            state.heads[i].metrics.push_back(arg.metric() ? arg.metric()
                                                          : metrics::resolve(arg.name(), y[i].shape(), y_pred[i].shape()));
    state.metrics_resolved = true;
}

void reset_metrics(TrainingState& state) {
    state.loss_tracker->reset_state();
    for (OutputHead& head : state.heads) {
        if (head.loss_tracker) head.loss_tracker->reset_state();
        for (auto& m : head.metrics) m->reset_state();
    }
}

Logs current_logs(const TrainingState& state) {
    Logs logs{{"loss", state.loss_tracker->result()}};
    for (const OutputHead& head : state.heads)
        if (head.loss_tracker) logs[head.loss_tracker->name()] = head.loss_tracker->result();
    for (const auto& [name, metric] : logged_metrics(state)) logs[name] = metric->result();
    return logs;
}

// The loss of one batch: the weighted sum of the outputs' losses and the layers' regularization penalties,
// recorded on any active tape; `per_output` gets each output's unweighted loss (NaN for an output without one).
Tensor total_loss(const ModelLayer& model, const TrainingState& state, const Batch& batch,
                  const std::vector<Tensor>& y_pred, std::vector<float>& per_output) {
    Tensor loss;
    per_output.assign(state.heads.size(), std::nanf(""));
    for (size_t i = 0; i < state.heads.size(); ++i) {
        const OutputHead& head = state.heads[i];
        if (!head.loss) continue;
        const Tensor value = (*head.loss)(batch.y[i], y_pred[i], batch.sample_weight);
        per_output[i] = value.item();
        const Tensor weighted = head.loss_weight == 1.0 ? value : value * static_cast<float>(head.loss_weight);
        loss = loss.defined() ? loss + weighted : weighted;
    }
    for (const Tensor& penalty : model.losses()) loss = loss + penalty;
    return loss;
}

void update_metrics(TrainingState& state, const Batch& batch, const std::vector<Tensor>& y_pred, const Tensor& loss,
                    const std::vector<float>& per_output) {
    autograd::PauseRecording pause;
    resolve_metrics(state, batch.y, y_pred);
    const Tensor samples{static_cast<float>(batch.x[0].dim(0))};
    state.loss_tracker->update_state(Tensor{loss.item()}, samples);
    for (size_t i = 0; i < state.heads.size(); ++i) {
        OutputHead& head = state.heads[i];
        if (head.loss_tracker) head.loss_tracker->update_state(Tensor{per_output[i]}, samples);
        for (auto& m : head.metrics) m->update_state(batch.y[i], y_pred[i], batch.sample_weight);
    }
}

void train_step(ModelLayer& model, TrainingState& state, const Batch& batch) {
    CompiledTrainableScope scope(model, state);
    const std::vector<Variable> vars = model.trainable_weights();
    std::vector<Tensor> y_pred, grads;
    std::vector<float> per_output;
    Tensor loss;
    {
        GradientTape tape;
        y_pred = run_model(model, batch.x, true);
        loss = total_loss(model, state, batch, y_pred, per_output);
        grads = tape.gradient(loss, vars);
    }
    state.optimizer->apply_gradients(grads, vars);
    update_metrics(state, batch, y_pred, loss, per_output);
}

void test_step(ModelLayer& model, TrainingState& state, const Batch& batch) {
    autograd::PauseRecording pause;
    const std::vector<Tensor> y_pred = run_model(model, batch.x, false);
    std::vector<float> per_output;
    const Tensor loss = total_loss(model, state, batch, y_pred, per_output);
    update_metrics(state, batch, y_pred, loss, per_output);
}

// x, y and sample_weight resolved by the model's input and output names, with one number of samples.
Batch checked_batch(const ModelLayer& model, const ModelData& x_data, const ModelData& y_data, const Tensor& sw,
                    const std::string& op) {
    Batch batch{x_data.resolve(model.input_names(), "x", op), {}, sw};
    if (!y_data.defined())
        throw ValueError(cat(op, ": y is required, one target per output (", quoted_names(model.output_names()), ")"));
    batch.y = y_data.resolve(model.output_names(), "y", op);
    // "x", or "y[1]" when there are several.
    const auto label = [](const char* what, size_t i, size_t count) {
        return count == 1 ? std::string(what) : cat(what, "[", i, "]");
    };
    for (size_t i = 0; i < batch.x.size() + batch.y.size(); ++i) {
        const bool is_x = i < batch.x.size();
        const std::vector<Tensor>& list = is_x ? batch.x : batch.y;
        const size_t j = is_x ? i : i - batch.x.size();
        const Tensor& t = list[j];
        const std::string name = label(is_x ? "x" : "y", j, list.size());
        if (!t.defined()) throw ValueError(cat(op, ": x and y must be defined (", name, " is not)"));
        if (t.rank() == 0)
            throw ShapeError(cat(op, ": x and y need a batch axis, got shape ", t.shape(), " for ", name));
        if (t.dim(0) != batch.x[0].dim(0))
            throw ValueError(cat(op, ": x and y have different numbers of samples: ", label("x", 0, batch.x.size()),
                                 " has ", batch.x[0].dim(0), " (shape ", batch.x[0].shape(), "), ", name, " has ",
                                 t.dim(0), " (shape ", t.shape(), ")"));
    }
    const Tensor& x = batch.x[0];
    if (x.dim(0) == 0) throw ValueError(cat(op, ": the data is empty (0 samples)"));
    if (sw.defined() && (sw.rank() != 1 || sw.dim(0) != x.dim(0)))
        throw ShapeError(cat(op, ": sample_weight must have shape [", x.dim(0), "], got ", sw.shape()));
    if (auto expected = model.known_input_shape(); expected && batch.x.size() == 1) {
        bool fits = expected->rank() == x.rank();
        for (int64_t d = 1; fits && d < x.rank(); ++d) fits = (*expected)[d] < 0 || (*expected)[d] == x.dim(d);
        if (!fits)
            throw ShapeError(cat(op, ": ", model.describe(), " expects inputs of shape ", *expected,
                                 " (-1: any size), got x of shape ", x.shape()));
    }
    return batch;
}

// Sparse labels must be whole numbers in [0, classes): checked on all of y before any step.
void check_sparse_labels(ModelLayer& model, const TrainingState& state, const Batch& batch, const std::string& op) {
    std::vector<Tensor> first_outputs;
    for (size_t i = 0; i < state.heads.size(); ++i) {
        const OutputHead& head = state.heads[i];
        if (!head.loss || head.loss->class_name() != "SparseCategoricalCrossentropy") continue;
        if (first_outputs.empty()) {
            autograd::PauseRecording pause;
            first_outputs = run_model(model, slice_rows(batch.x, 0, 1), false);
        }
        const int64_t classes = first_outputs[i].dim(-1);
        const Tensor& y = batch.y[i];
        const float* labels = y.data();
        for (int64_t j = 0; j < y.size(); ++j) {
            const float v = labels[j];
            if (!(v == std::floor(v) && v >= 0 && v < static_cast<float>(classes)))
                throw ValueError(cat(op, ": label ", v, " at index ", j, state.heads.size() > 1 ? " of output '" : "",
                                     state.heads.size() > 1 ? head.name + "'" : "", " is not a class index in [0, ",
                                     classes, ") for ", head.loss->name(), " with a model output of ", classes,
                                     " classes"));
        }
    }
}

// Per-sample weights from sample_weight and class_weight (either may be absent: undefined result).
Tensor effective_sample_weight(const std::vector<Tensor>& ys, const Tensor& sample_weight,
                               const std::map<int64_t, double>& class_weight) {
    if (class_weight.empty()) return sample_weight;
    if (ys.size() != 1)
        throw ValueError(cat("fit: class_weight is only supported for models with one output (as in Keras); this one "
                             "has ", ys.size(), "; pass sample_weight instead"));
    const Tensor& y = ys[0];
    const int64_t n = y.dim(0);
    Tensor w = Tensor::empty({n});
    const Tensor labels = y.rank() == 1 || y.dim(-1) == 1 ? y.reshape({n}) : argmax(y, -1);
    for (int64_t i = 0; i < n; ++i) {
        const float label = labels.data()[i];
        auto found = class_weight.find(static_cast<int64_t>(label));
        w.data()[i] = static_cast<float>(found != class_weight.end() ? found->second : 1.0);
        if (sample_weight.defined()) w.data()[i] *= sample_weight.data()[i];
    }
    return w;
}

std::vector<std::pair<std::string, double>> as_values(const Logs& logs) {
    return std::vector<std::pair<std::string, double>>(logs.begin(), logs.end());
}

int64_t steps_for(int64_t n, int64_t batch_size) { return (n + batch_size - 1) / batch_size; }

void check_batch_size(int64_t batch_size, const char* op) {
    if (batch_size < 1) throw ValueError(cat(op, ": batch_size must be >= 1, got ", batch_size));
}

}  // namespace

namespace {

// Each output's loss from compile()'s loss argument (one for all, a list by position or a map by name).
std::vector<losses::LossPtr> resolve_losses(const LossesArg& arg, const std::vector<std::string>& names) {
    std::vector<losses::LossPtr> out;
    if (arg.one()) {
        const losses::LossPtr loss = arg.one()->resolve();
        out.assign(names.size(), loss);
    } else if (!arg.list().empty()) {
        if (arg.list().size() != names.size())
            throw ValueError(cat("compile: loss is a list of ", arg.list().size(), " losses for a model with ",
                                 names.size(), " outputs (", quoted_names(names), ")"));
        for (const LossArg& loss : arg.list()) out.push_back(loss.resolve());
    } else if (!arg.map().empty()) {
        require_unique_names(names, "compile: the loss map");
        for (const auto& [name, loss] : arg.map())
            if (std::find(names.begin(), names.end(), name) == names.end())
                throw ValueError(cat("compile: loss names output '", name, "'; the model's outputs are ",
                                     quoted_names(names)));
        for (const std::string& name : names) {
            const auto found = arg.map().find(name);
            if (found == arg.map().end())
                throw ValueError(cat("compile: the loss map has no entry for output '", name, "' (give it an empty "
                                     "LossArg for no loss); the model's outputs are ", quoted_names(names)));
            out.push_back(found->second.resolve());
        }
    }
    if (std::none_of(out.begin(), out.end(), [](const losses::LossPtr& l) { return l != nullptr; }))
        throw ValueError("compile: a loss is required (a Keras name such as 'mse' or a loss object)");
    return out;
}

std::vector<double> resolve_loss_weights(const LossWeightsArg& arg, const std::vector<std::string>& names) {
    std::vector<double> out(names.size(), 1.0);
    if (!arg.list().empty()) {
        if (arg.list().size() != names.size())
            throw ValueError(cat("compile: loss_weights has ", arg.list().size(), " weights for a model with ",
                                 names.size(), names.size() == 1 ? " output (" : " outputs (", quoted_names(names),
                                 ")"));
        out = arg.list();
    }
    if (!arg.map().empty()) require_unique_names(names, "compile: the loss_weights map");
    for (const auto& [name, weight] : arg.map()) {
        const auto at = std::find(names.begin(), names.end(), name);
        if (at == names.end())
            throw ValueError(cat("compile: loss_weights names output '", name, "'; the model's outputs are ",
                                 quoted_names(names)));
        out[static_cast<size_t>(at - names.begin())] = weight;
    }
    // As Keras (a KeyError there): a map gives every output's weight.
    for (const std::string& name : names)
        if (!arg.map().empty() && !arg.map().contains(name))
            throw ValueError(cat("compile: the loss_weights map has no weight for output '", name,
                                 "'; the model's outputs are ", quoted_names(names)));
    for (size_t i = 0; i < out.size(); ++i)
        if (!std::isfinite(out[i]))
            throw ValueError(cat("compile: loss_weights must be finite, got ", out[i], " for output '", names[i], "'"));
    return out;
}

// Each output's metrics: with one output every metric of the list; with several, one entry per output by
// position or a map by name, as Keras.
std::vector<std::vector<MetricArg>> resolve_metric_args(const MetricsArg& arg, const std::vector<std::string>& names) {
    std::vector<std::vector<MetricArg>> out(names.size());
    if (arg.is_map()) {
        require_unique_names(names, "compile: the metrics map");
        for (const auto& [name, entry] : arg.map()) {
            const auto at = std::find(names.begin(), names.end(), name);
            if (at == names.end())
                throw ValueError(cat("compile: metrics names output '", name, "'; the model's outputs are ",
                                     quoted_names(names)));
            out[static_cast<size_t>(at - names.begin())] = entry.metrics();
        }
    } else if (names.size() == 1) {
        out[0] = arg.flat();
    } else if (!arg.empty()) {
        if (arg.list().size() != names.size())
            throw ValueError(cat("compile: metrics for a model with ", names.size(), " outputs (", quoted_names(names),
                                 ") needs one entry per output (a metric or a list of metrics) or a map by output "
                                 "name, got ", arg.list().size(), " entries"));
        for (size_t i = 0; i < names.size(); ++i) out[i] = arg.list()[i].metrics();
    }
    return out;
}

}  // namespace

std::vector<std::pair<std::string, metrics::MetricPtr>> logged_metrics(const TrainingState& state) {
    std::vector<std::pair<std::string, metrics::MetricPtr>> out;
    std::map<std::string, int> seen;
    for (const OutputHead& head : state.heads) {
        std::vector<metrics::MetricPtr> ms = head.metrics;
        if (!state.metrics_resolved) {
            ms.clear();
            for (const MetricArg& arg : head.requested_metrics)
                if (arg.metric()) ms.push_back(arg.metric());
        }
        for (const metrics::MetricPtr& m : ms) {
            std::string name = state.heads.size() > 1 ? cat(head.name, "_", m->name()) : m->name();
            // A second metric of the same name gets "_1", a third "_2" (Keras's unique names).
            const int n = seen[name]++;
            if (n > 0) name = cat(name, "_", n);
            out.emplace_back(name, m);
        }
    }
    return out;
}

void Model::compile(const CompileOptions& options) const {
    auto state = std::make_shared<TrainingState>();
    state->optimizer = options.optimizer.resolve();
    std::vector<std::string> names = layer_->output_names();
    if (names.empty()) names.push_back(layer_->name());  // a Sequential without layers yet: one output
    const std::vector<losses::LossPtr> losses = resolve_losses(options.loss, names);
    const std::vector<double> weights = resolve_loss_weights(options.loss_weights, names);
    const std::vector<std::vector<MetricArg>> metric_args = resolve_metric_args(options.metrics, names);
    const auto loss_count = std::count_if(losses.begin(), losses.end(), [](const losses::LossPtr& l) { return l != nullptr; });
    std::map<std::string, int> seen_loss_names;
    for (size_t i = 0; i < names.size(); ++i) {
        OutputHead head{names[i], losses[i], weights[i], nullptr, metric_args[i], {}};
        if (loss_count > 1 && head.loss) {
            // Outputs of one name (a shared layer's calls) log "<name>_loss", "<name>_loss_1", ... as metrics do.
            std::string tracker = names[i] + "_loss";
            if (const int n = seen_loss_names[tracker]++; n > 0) tracker = cat(tracker, "_", n);
            head.loss_tracker = std::make_shared<metrics::Mean>(tracker);
        }
        state->heads.push_back(std::move(head));
    }
    state->requested_loss = options.loss;
    state->requested_loss_weights = options.loss_weights;
    state->requested_metrics = options.metrics;
    state->loss_tracker = std::make_shared<metrics::Mean>("loss");
    state->compiled_trainable.emplace_back(layer_.get(), layer_->trainable());
    for (const LayerPtr& layer : layer_->all_sublayers()) state->compiled_trainable.emplace_back(layer.get(), layer->trainable());
    layer_->training_state = std::move(state);
}

namespace {

// One checked step on one batch with fresh metrics, so the logs describe that batch alone (the *_on_batch calls).
using BatchStep = void (*)(ModelLayer&, TrainingState&, const Batch&);
std::map<std::string, double> run_single_batch(ModelLayer& model, BatchStep step, const ModelData& x,
                                               const ModelData& y, const Tensor& sample_weight, const char* op) {
    TrainingState& state = state_of(model);
    const Batch batch = checked_batch(model, x, y, sample_weight, op);
    check_sparse_labels(model, state, batch, op);
    reset_metrics(state);
    step(model, state, batch);
    return current_logs(state);
}

}  // namespace

std::map<std::string, double> Model::train_on_batch(const ModelData& x, const ModelData& y,
                                                    const Tensor& sample_weight) const {
    return run_single_batch(*layer_, train_step, x, y, sample_weight, "train_on_batch");
}

std::map<std::string, double> Model::test_on_batch(const ModelData& x, const ModelData& y,
                                                   const Tensor& sample_weight) const {
    return run_single_batch(*layer_, test_step, x, y, sample_weight, "test_on_batch");
}

Tensor Model::predict_on_batch(const ModelData& x) const {
    autograd::PauseRecording pause;
    const std::vector<Tensor> xs = x.resolve(layer_->input_names(), "x", "predict_on_batch");
    return xs.size() == 1 ? (*layer_)(xs[0], false) : (*layer_)(xs, false);
}

std::vector<Tensor> Model::predict_outputs(const ModelData& x, const PredictOptions& options) const {
    check_batch_size(options.batch_size, "predict");
    const std::vector<Tensor> xs = x.resolve(layer_->input_names(), "x", "predict");
    for (const Tensor& t : xs)
        if (!t.defined() || t.rank() == 0) throw ShapeError("predict: x needs a batch axis");
    const int64_t n = xs[0].dim(0);
    for (const Tensor& t : xs)
        if (t.dim(0) != n)
            throw ValueError(cat("predict: the inputs have different numbers of samples: ", n, " and ", t.dim(0)));
    const int64_t steps = steps_for(n, options.batch_size);
    if (steps == 0) throw ValueError("predict: the data is empty (0 samples)");
    Progbar bar(steps, options.verbose, std::cout, stdout_is_terminal());
    std::vector<std::vector<Tensor>> per_output;
    autograd::PauseRecording pause;
    for (int64_t s = 0; s < steps; ++s) {
        const std::vector<Tensor> outs =
            run_model(*layer_, slice_rows(xs, s * options.batch_size, std::min(n, (s + 1) * options.batch_size)), false);
        per_output.resize(outs.size());
        for (size_t i = 0; i < outs.size(); ++i) per_output[i].push_back(outs[i]);
        bar.update(s + 1, {}, s + 1 == steps);
    }
    std::vector<Tensor> outputs;
    for (const std::vector<Tensor>& parts : per_output) outputs.push_back(concatenate(parts, 0));
    return outputs;
}

std::map<std::string, Tensor> Model::predict_by_name(const ModelData& x, const PredictOptions& options) const {
    const std::vector<std::string> names = output_names();
    require_unique_names(names, "predict_by_name");
    const std::vector<Tensor> outputs = predict_outputs(x, options);
    std::map<std::string, Tensor> out;
    for (size_t i = 0; i < names.size(); ++i) out.emplace(names[i], outputs.at(i));
    return out;
}

Tensor Model::predict(const ModelData& x, const PredictOptions& options) const {
    const size_t outputs = layer_->output_names().size();
    if (outputs > 1)
        throw ValueError(cat("predict: ", layer_->describe(), " has ", outputs,
                             " outputs; predict_outputs() returns them all"));
    return predict_outputs(x, options).at(0);
}

std::map<std::string, double> Model::evaluate(const ModelData& x, const ModelData& y,
                                              const EvaluateOptions& options) const {
    TrainingState& state = state_of(*layer_);
    check_batch_size(options.batch_size, "evaluate");
    const Batch all = checked_batch(*layer_, x, y, options.sample_weight, "evaluate");
    check_sparse_labels(*layer_, state, all, "evaluate");
    const int64_t n = all.x[0].dim(0);
    const int64_t steps = steps_for(n, options.batch_size);
    for (const auto& cb : options.callbacks) {
        cb->set_model(const_cast<Model*>(this));
        cb->on_test_begin({});
    }
    reset_metrics(state);
    Progbar bar(steps, options.verbose, std::cout, stdout_is_terminal());
    for (int64_t s = 0; s < steps; ++s) {
        const int64_t b = s * options.batch_size, e = std::min(n, (s + 1) * options.batch_size);
        test_step(*layer_, state, Batch{slice_rows(all.x, b, e), slice_rows(all.y, b, e),
                                        all.sample_weight.defined() ? all.sample_weight.slice(b, e) : Tensor()});
        bar.update(s + 1, as_values(current_logs(state)), s + 1 == steps);
    }
    const Logs logs = current_logs(state);
    for (const auto& cb : options.callbacks) cb->on_test_end(logs);
    return logs;
}

History Model::fit(const ModelData& x_data, const ModelData& y_data, const FitOptions& options) const {
    TrainingState& state = state_of(*layer_);
    check_batch_size(options.batch_size, "fit");
    Batch all = checked_batch(*layer_, x_data, y_data, options.sample_weight, "fit");
    if (options.epochs < 0 || options.initial_epoch < 0)
        throw ValueError(cat("fit: epochs and initial_epoch must be >= 0, got ", options.epochs, " and ", options.initial_epoch));
    if (!(options.validation_split >= 0.0 && options.validation_split < 1.0))
        throw ValueError(cat("fit: validation_split must be in [0, 1), got ", options.validation_split));
    check_sparse_labels(*layer_, state, all, "fit");

    // Validation data: given, or the last validation_split of x and y (taken before shuffling, as Keras).
    all.sample_weight = effective_sample_weight(all.y, options.sample_weight, options.class_weight);
    Batch train = all;
    std::optional<Batch> validation;
    if (options.validation_data) {
        validation = checked_batch(*layer_, options.validation_data->first, options.validation_data->second, Tensor(),
                                   "fit (validation_data)");
        check_sparse_labels(*layer_, state, *validation, "fit (validation_data)");
    } else if (options.validation_split > 0.0) {
        const int64_t total = all.x[0].dim(0);
        const int64_t split_at = static_cast<int64_t>(std::floor(total * (1.0 - options.validation_split)));
        if (split_at == 0 || split_at == total)
            throw ValueError(cat("fit: validation_split ", options.validation_split, " of ", total,
                                 " samples leaves no training or no validation samples"));
        validation = Batch{slice_rows(all.x, split_at, total), slice_rows(all.y, split_at, total), Tensor()};
        train = Batch{slice_rows(all.x, 0, split_at), slice_rows(all.y, 0, split_at),
                      all.sample_weight.defined() ? all.sample_weight.slice(0, split_at) : Tensor()};
    }

    const int64_t n = train.x[0].dim(0);
    const int64_t steps = steps_for(n, options.batch_size);
    Rng rng(options.seed ? *options.seed : next_random_seed());
    auto history = std::make_shared<History>();
    std::vector<CallbackPtr> callbacks{history};
    callbacks.insert(callbacks.end(), options.callbacks.begin(), options.callbacks.end());
    for (const auto& cb : callbacks) cb->set_model(const_cast<Model*>(this));
    state.stop_training = false;
    const bool interactive = stdout_is_terminal();

    for (const auto& cb : callbacks) cb->on_train_begin({});
    Logs epoch_logs;
    for (int epoch = options.initial_epoch; epoch < options.epochs && !state.stop_training; ++epoch) {
        for (const auto& cb : callbacks) cb->on_epoch_begin(epoch, {});
        if (options.verbose > 0) std::cout << "Epoch " << epoch + 1 << "/" << options.epochs << "\n";
        Progbar bar(steps, options.verbose, std::cout, interactive);
        std::vector<int64_t> order = range(0, n);
        if (options.shuffle)
            for (int64_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);
        reset_metrics(state);
        int64_t steps_done = 0;
        for (int64_t s = 0; s < steps; ++s) {
            for (const auto& cb : callbacks) cb->on_train_batch_begin(s, {});
            const std::vector<int64_t> rows(order.begin() + s * options.batch_size,
                                            order.begin() + std::min(n, (s + 1) * options.batch_size));
            train_step(*layer_, state,
                       Batch{take_rows(train.x, rows), take_rows(train.y, rows),
                             train.sample_weight.defined() ? take_rows(train.sample_weight, rows) : Tensor()});
            ++steps_done;
            const Logs batch_logs = current_logs(state);
            for (const auto& cb : callbacks) cb->on_train_batch_end(s, batch_logs);
            if (state.stop_training) break;  // e.g. TerminateOnNaN: no further batches, as Keras
            if (s + 1 < steps) bar.update(s + 1, as_values(batch_logs));
        }
        epoch_logs = current_logs(state);
        if (validation) {
            const auto val = evaluate(validation->x, validation->y, {.batch_size = options.batch_size, .verbose = 0});
            for (const auto& [key, value] : val) epoch_logs["val_" + key] = value;
        }
        for (const auto& cb : callbacks) cb->add_epoch_logs(epoch, epoch_logs);
        bar.update(steps_done, as_values(epoch_logs), true);
        for (const auto& cb : callbacks) cb->on_epoch_end(epoch, epoch_logs);
    }
    for (const auto& cb : callbacks) cb->on_train_end(epoch_logs);
    return *history;
}

}  // namespace kiln
