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

void resolve_metrics(TrainingState& state, const Tensor& y, const Tensor& y_pred) {
    if (state.metrics_resolved) return;
    for (const MetricArg& arg : state.requested_metrics)
        state.metrics.push_back(arg.metric() ? arg.metric()
                                             : metrics::resolve(arg.name(), y.shape(), y_pred.shape()));
    state.metrics_resolved = true;
}

void reset_metrics(TrainingState& state) {
    state.loss_tracker->reset_state();
    for (auto& m : state.metrics) m->reset_state();
}

Logs current_logs(const TrainingState& state) {
    Logs logs{{"loss", state.loss_tracker->result()}};
    for (const auto& m : state.metrics) logs[m->name()] = m->result();
    return logs;
}

void update_metrics(TrainingState& state, const Tensor& y, const Tensor& y_pred, const Tensor& loss,
                    const Tensor& sample_weight) {
    autograd::PauseRecording pause;
    resolve_metrics(state, y, y_pred);
    state.loss_tracker->update_state(Tensor{loss.item()}, Tensor{static_cast<float>(y.dim(0))});
    for (auto& m : state.metrics) m->update_state(y, y_pred, sample_weight);
}

// Loss on one batch (with the layers' regularization penalties), recorded on any active tape.
Tensor total_loss(const ModelLayer& model, const TrainingState& state, const Tensor& y, const Tensor& y_pred,
                  const Tensor& sample_weight) {
    Tensor loss = (*state.loss)(y, y_pred, sample_weight);
    for (const Tensor& penalty : model.losses()) loss = loss + penalty;
    return loss;
}

void train_step(ModelLayer& model, TrainingState& state, const Tensor& x, const Tensor& y, const Tensor& sw) {
    CompiledTrainableScope scope(model, state);
    const std::vector<Variable> vars = model.trainable_weights();
    Tensor y_pred, loss;
    std::vector<Tensor> grads;
    {
        GradientTape tape;
        y_pred = model(x, true);
        loss = total_loss(model, state, y, y_pred, sw);
        grads = tape.gradient(loss, vars);
    }
    state.optimizer->apply_gradients(grads, vars);
    update_metrics(state, y, y_pred, loss, sw);
}

void test_step(ModelLayer& model, TrainingState& state, const Tensor& x, const Tensor& y, const Tensor& sw) {
    autograd::PauseRecording pause;
    const Tensor y_pred = model(x, false);
    update_metrics(state, y, y_pred, total_loss(model, state, y, y_pred, sw), sw);
}

void check_xy(const ModelLayer& model, const Tensor& x, const Tensor& y, const Tensor& sw, const char* op) {
    if (!x.defined() || !y.defined()) throw ValueError(cat(op, ": x and y must be defined"));
    if (x.rank() == 0 || y.rank() == 0) throw ShapeError(cat(op, ": x and y need a batch axis, got shapes ", x.shape(), " and ", y.shape()));
    if (x.dim(0) != y.dim(0))
        throw ValueError(cat(op, ": x and y have different numbers of samples: x has ", x.dim(0), " (shape ",
                             x.shape(), "), y has ", y.dim(0), " (shape ", y.shape(), ")"));
    if (x.dim(0) == 0) throw ValueError(cat(op, ": the data is empty (0 samples)"));
    if (sw.defined() && (sw.rank() != 1 || sw.dim(0) != x.dim(0)))
        throw ShapeError(cat(op, ": sample_weight must have shape [", x.dim(0), "], got ", sw.shape()));
    if (auto expected = model.known_input_shape()) {
        bool fits = expected->rank() == x.rank();
        for (int64_t d = 1; fits && d < x.rank(); ++d) fits = (*expected)[d] < 0 || (*expected)[d] == x.dim(d);
        if (!fits)
            throw ShapeError(cat(op, ": ", model.describe(), " expects inputs of shape ", *expected,
                                 " (-1: any size), got x of shape ", x.shape()));
    }
}

// Sparse labels must be whole numbers in [0, classes): checked on all of y before any step.
void check_sparse_labels(ModelLayer& model, const TrainingState& state, const Tensor& x, const Tensor& y,
                         const char* op) {
    if (state.loss->class_name() != "SparseCategoricalCrossentropy") return;
    autograd::PauseRecording pause;
    const int64_t classes = model(x.slice(0, 1), false).dim(-1);
    const float* labels = y.data();
    for (int64_t i = 0; i < y.size(); ++i) {
        const float v = labels[i];
        if (!(v == std::floor(v) && v >= 0 && v < static_cast<float>(classes)))
            throw ValueError(cat(op, ": label ", v, " at index ", i, " is not a class index in [0, ", classes,
                                 ") for ", state.loss->name(), " with a model output of ", classes, " classes"));
    }
}

// Per-sample weights from sample_weight and class_weight (either may be absent: undefined result).
Tensor effective_sample_weight(const Tensor& y, const Tensor& sample_weight, const std::map<int64_t, double>& class_weight) {
    if (class_weight.empty()) return sample_weight;
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

void Model::compile(const CompileOptions& options) const {
    auto state = std::make_shared<TrainingState>();
    state->optimizer = options.optimizer.resolve();
    state->loss = options.loss.resolve();
    state->requested_loss = options.loss;
    state->requested_metrics = options.metrics;
    state->loss_tracker = std::make_shared<metrics::Mean>("loss");
    state->compiled_trainable.emplace_back(layer_.get(), layer_->trainable());
    for (const LayerPtr& layer : layer_->all_sublayers()) state->compiled_trainable.emplace_back(layer.get(), layer->trainable());
    layer_->training_state = std::move(state);
}

namespace {

// One checked step on one batch with fresh metrics, so the logs describe that batch alone (the *_on_batch calls).
using BatchStep = void (*)(ModelLayer&, TrainingState&, const Tensor&, const Tensor&, const Tensor&);
std::map<std::string, double> run_single_batch(ModelLayer& model, BatchStep step, const Tensor& x, const Tensor& y,
                                               const Tensor& sample_weight, const char* op) {
    TrainingState& state = state_of(model);
    check_xy(model, x, y, sample_weight, op);
    check_sparse_labels(model, state, x, y, op);
    reset_metrics(state);
    step(model, state, x, y, sample_weight);
    return current_logs(state);
}

}  // namespace

std::map<std::string, double> Model::train_on_batch(const Tensor& x, const Tensor& y, const Tensor& sample_weight) const {
    return run_single_batch(*layer_, train_step, x, y, sample_weight, "train_on_batch");
}

std::map<std::string, double> Model::test_on_batch(const Tensor& x, const Tensor& y, const Tensor& sample_weight) const {
    return run_single_batch(*layer_, test_step, x, y, sample_weight, "test_on_batch");
}

Tensor Model::predict_on_batch(const Tensor& x) const {
    autograd::PauseRecording pause;
    return (*layer_)(x, false);
}

Tensor Model::predict(const Tensor& x, const PredictOptions& options) const {
    check_batch_size(options.batch_size, "predict");
    if (!x.defined() || x.rank() == 0) throw ShapeError("predict: x needs a batch axis");
    const int64_t n = x.dim(0);
    const int64_t steps = steps_for(n, options.batch_size);
    Progbar bar(steps, options.verbose, std::cout, stdout_is_terminal());
    std::vector<Tensor> outputs;
    autograd::PauseRecording pause;
    for (int64_t s = 0; s < steps; ++s) {
        outputs.push_back((*layer_)(x.slice(s * options.batch_size, std::min(n, (s + 1) * options.batch_size)), false));
        bar.update(s + 1, {}, s + 1 == steps);
    }
    if (outputs.empty()) throw ValueError("predict: the data is empty (0 samples)");
    return concatenate(outputs, 0);
}

std::map<std::string, double> Model::evaluate(const Tensor& x, const Tensor& y, const EvaluateOptions& options) const {
    TrainingState& state = state_of(*layer_);
    check_batch_size(options.batch_size, "evaluate");
    check_xy(*layer_, x, y, options.sample_weight, "evaluate");
    check_sparse_labels(*layer_, state, x, y, "evaluate");
    const int64_t n = x.dim(0);
    const int64_t steps = steps_for(n, options.batch_size);
    for (const auto& cb : options.callbacks) {
        cb->set_model(const_cast<Model*>(this));
        cb->on_test_begin({});
    }
    reset_metrics(state);
    Progbar bar(steps, options.verbose, std::cout, stdout_is_terminal());
    for (int64_t s = 0; s < steps; ++s) {
        const int64_t b = s * options.batch_size, e = std::min(n, (s + 1) * options.batch_size);
        test_step(*layer_, state, x.slice(b, e), y.slice(b, e),
                  options.sample_weight.defined() ? options.sample_weight.slice(b, e) : Tensor());
        bar.update(s + 1, as_values(current_logs(state)), s + 1 == steps);
    }
    const Logs logs = current_logs(state);
    for (const auto& cb : options.callbacks) cb->on_test_end(logs);
    return logs;
}

History Model::fit(const Tensor& x_all, const Tensor& y_all, const FitOptions& options) const {
    TrainingState& state = state_of(*layer_);
    check_batch_size(options.batch_size, "fit");
    check_xy(*layer_, x_all, y_all, options.sample_weight, "fit");
    if (options.epochs < 0 || options.initial_epoch < 0)
        throw ValueError(cat("fit: epochs and initial_epoch must be >= 0, got ", options.epochs, " and ", options.initial_epoch));
    if (!(options.validation_split >= 0.0 && options.validation_split < 1.0))
        throw ValueError(cat("fit: validation_split must be in [0, 1), got ", options.validation_split));
    check_sparse_labels(*layer_, state, x_all, y_all, "fit");

    // Validation data: given, or the last validation_split of x and y (taken before shuffling, as Keras).
    Tensor x = x_all, y = y_all, sw = effective_sample_weight(y_all, options.sample_weight, options.class_weight);
    std::optional<std::pair<Tensor, Tensor>> validation = options.validation_data;
    if (validation) {
        check_xy(*layer_, validation->first, validation->second, Tensor(), "fit (validation_data)");
        check_sparse_labels(*layer_, state, validation->first, validation->second, "fit (validation_data)");
    } else if (options.validation_split > 0.0) {
        const int64_t split_at = static_cast<int64_t>(std::floor(x_all.dim(0) * (1.0 - options.validation_split)));
        if (split_at == 0 || split_at == x_all.dim(0))
            throw ValueError(cat("fit: validation_split ", options.validation_split, " of ", x_all.dim(0),
                                 " samples leaves no training or no validation samples"));
        validation = std::pair{x_all.slice(split_at, x_all.dim(0)), y_all.slice(split_at, y_all.dim(0))};
        x = x_all.slice(0, split_at);
        y = y_all.slice(0, split_at);
        if (sw.defined()) sw = sw.slice(0, split_at);
    }

    const int64_t n = x.dim(0);
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
            train_step(*layer_, state, take_rows(x, rows), take_rows(y, rows), sw.defined() ? take_rows(sw, rows) : Tensor());
            ++steps_done;
            const Logs batch_logs = current_logs(state);
            for (const auto& cb : callbacks) cb->on_train_batch_end(s, batch_logs);
            if (state.stop_training) break;  // e.g. TerminateOnNaN: no further batches, as Keras
            if (s + 1 < steps) bar.update(s + 1, as_values(batch_logs));
        }
        epoch_logs = current_logs(state);
        if (validation) {
            const auto val = evaluate(validation->first, validation->second, {.batch_size = options.batch_size, .verbose = 0});
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
