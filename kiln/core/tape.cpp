#include "kiln/core/tape.hpp"

#include <algorithm>
#include <unordered_map>

#include "kiln/core/errors.hpp"
#include "kiln/core/ops/elementwise.hpp"
#include "kiln/core/variable.hpp"

namespace kiln {
namespace {

// Tapes alive on this thread, innermost last, and how many of them are recording (not inside gradient()).
thread_local std::vector<GradientTape*> t_alive_tapes;
thread_local int t_recording_tapes = 0;
// Depth of autograd::PauseRecording scopes on this thread; nothing records while it is above zero.
thread_local int t_pause_depth = 0;

}  // namespace

GradientTape::GradientTape(bool persistent) : persistent_(persistent) {
    t_alive_tapes.push_back(this);
    ++t_recording_tapes;
}

GradientTape::~GradientTape() {
    t_alive_tapes.erase(std::find(t_alive_tapes.begin(), t_alive_tapes.end(), this));
    if (!paused_) --t_recording_tapes;
}

void GradientTape::set_paused(bool paused) {
    if (paused == paused_) return;
    paused_ = paused;
    t_recording_tapes += paused ? -1 : 1;
}

void GradientTape::watch(const Tensor& t) {
    if (!t.defined()) throw ValueError("GradientTape.watch: the tensor is undefined");
    tracked_.insert(t.id());
}

void GradientTape::watch(const Variable& v) { watch(v.value()); }

bool GradientTape::tracks(const Tensor& t) const {
    return t.impl()->watched_by_default || tracked_.count(t.id()) != 0;
}

void GradientTape::add_record_if_tracked(std::string_view op, const std::vector<Tensor>& inputs,
                                         const Tensor& output, const BackwardFn& backward,
                                         bool backward_is_differentiable) {
    // An output is produced once; a tensor this tape already tracks (e.g. a backward that returned its
    // incoming gradient) keeps its original record.
    if (paused_ || tracked_.count(output.id())) return;
    std::vector<bool> needs(inputs.size());
    bool any = false;
    for (size_t i = 0; i < inputs.size(); ++i) {
        needs[i] = inputs[i].defined() && tracks(inputs[i]);
        any = any || needs[i];
    }
    if (!any) return;
    tracked_.insert(output.id());
    records_.push_back(Record{op, inputs, std::move(needs), output.id(), output.shape(), backward,
                              backward_is_differentiable});
}

std::vector<Tensor> GradientTape::gradient(const Tensor& target, const std::vector<Tensor>& sources,
                                           const Tensor& output_gradient) {
    if (used_ && !persistent_)
        throw StateError(
            "GradientTape.gradient: this non-persistent tape was already used; create it with GradientTape(true) "
            "to compute several gradients");
    if (!target.defined()) throw ValueError("GradientTape.gradient: the target is undefined");
    if (output_gradient.defined() && output_gradient.shape() != target.shape())
        throw ShapeError(cat("GradientTape.gradient: output_gradient has shape ", output_gradient.shape(),
                             ", expected the target's shape ", target.shape()));
    used_ = true;

    struct PauseGuard {
        GradientTape& tape;
        ~PauseGuard() { tape.set_paused(false); }
    } guard{*this};
    set_paused(true);

    std::unordered_set<uint64_t> source_ids;
    for (const Tensor& s : sources) {
        if (!s.defined()) throw ValueError("GradientTape.gradient: a source is undefined");
        source_ids.insert(s.id());
    }

    std::unordered_map<uint64_t, Tensor> grads;
    if (tracks(target))
        grads.emplace(target.id(), output_gradient.defined() ? output_gradient : Tensor::ones_like(target));

    for (auto rec = records_.rbegin(); rec != records_.rend(); ++rec) {
        auto found = grads.find(rec->output_id);
        if (found == grads.end()) continue;
        const Tensor grad_output = found->second;
        if (!source_ids.count(rec->output_id)) grads.erase(found);

        std::vector<Tensor> input_grads = rec->backward(grad_output, rec->needs_grad);
        if (input_grads.size() != rec->inputs.size())
            throw Error(cat(rec->op, ": backward returned ", input_grads.size(), " gradients for ",
                            rec->inputs.size(), " inputs"));
        if (!rec->backward_is_differentiable) {
            // Outer tapes that see this backward get a marker that refuses to be differentiated.
            std::vector<Tensor> depends_on = rec->inputs;
            depends_on.push_back(grad_output);
            for (const Tensor& g : input_grads)
                if (g.defined())
                    autograd::record(rec->op, depends_on, g,
                                     [op = rec->op](const Tensor&, const std::vector<bool>&) -> std::vector<Tensor> {
                                         throw NotImplementedError(
                                             cat(op, ": the gradient of this op's gradient is not implemented"));
                                     });
        }

        for (size_t i = 0; i < rec->inputs.size(); ++i) {
            if (!rec->needs_grad[i]) continue;
            const Tensor& input = rec->inputs[i];
            Tensor& g = input_grads[i];
            if (!g.defined()) throw Error(cat(rec->op, ": backward gave no gradient for tracked input ", i));
            if (g.shape() != input.shape())
                throw Error(cat(rec->op, ": backward gave a gradient of shape ", g.shape(), " for input ", i,
                                " of shape ", input.shape()));
            auto [slot, inserted] = grads.try_emplace(input.id(), g);
            if (!inserted) slot->second = add(slot->second, g);
        }
        if (!persistent_) *rec = Record{};
    }

    std::vector<Tensor> result;
    result.reserve(sources.size());
    for (const Tensor& s : sources) {
        auto found = grads.find(s.id());
        result.push_back(found != grads.end() ? found->second : Tensor::zeros(s.shape()));
    }
    if (!persistent_) {
        records_.clear();
        tracked_.clear();
    }
    return result;
}

std::vector<Tensor> GradientTape::gradient(const Tensor& target, const std::vector<Variable>& sources,
                                           const Tensor& output_gradient) {
    std::vector<Tensor> values;
    values.reserve(sources.size());
    for (const Variable& v : sources) values.push_back(v.value());
    return gradient(target, values, output_gradient);
}

Tensor GradientTape::gradient(const Tensor& target, const Tensor& source) {
    return gradient(target, std::vector<Tensor>{source})[0];
}

namespace autograd {

bool is_recording() { return t_recording_tapes > 0 && t_pause_depth == 0; }

void record(std::string_view op, const std::vector<Tensor>& inputs, const Tensor& output, BackwardFn backward,
            bool backward_is_differentiable) {
    if (!is_recording()) return;
    for (GradientTape* tape : t_alive_tapes)
        tape->add_record_if_tracked(op, inputs, output, backward, backward_is_differentiable);
}

PauseRecording::PauseRecording() { ++t_pause_depth; }
PauseRecording::~PauseRecording() { --t_pause_depth; }

}  // namespace autograd

Tensor stop_gradient(const Tensor& t) {
    auto impl = std::make_shared<detail::TensorImpl>(*t.impl());
    impl->id = detail::next_tensor_id();
    impl->watched_by_default = false;
    return Tensor(std::move(impl));
}

}  // namespace kiln
