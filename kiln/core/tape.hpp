// GradientTape: reverse-mode automatic differentiation, as tf.GradientTape.
//
// While a tape is alive on a thread, every differentiable op whose inputs the tape tracks appends one record
// (inputs, output, backward function) to it, in execution order. A tape tracks the tensors it was told to
// watch(), the values of trainable Variables (watched automatically), and every output of a recorded op.
// gradient() walks the records backwards once: no graph search, no recursion. With no tape alive, ops record
// nothing and pay one thread-local check.
//
// Tapes nest: each alive tape records independently, and the backward computations of an inner tape's
// gradient() are themselves recorded by outer tapes, which gives higher-order gradients. An op whose backward
// is a fused kernel cannot be differentiated twice; it raises NotImplementedError when a second-order
// gradient actually flows through it, never a silent zero.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "kiln/core/tensor.hpp"

namespace kiln {

class Variable;

// Gradients of an op's inputs from the gradient of its output. `needs_grad[i]` says whether input i is tracked;
// an entry may be left undefined when it is false.
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output, const std::vector<bool>& needs_grad)>;

class GradientTape {
public:
    // A non-persistent tape allows one gradient() call; a persistent one allows many.
    explicit GradientTape(bool persistent = false);
    ~GradientTape();
    GradientTape(const GradientTape&) = delete;
    GradientTape& operator=(const GradientTape&) = delete;

    // Tracks `t` so that ops on it are recorded (trainable variables need no watch()).
    void watch(const Tensor& t);
    void watch(const Variable& v);

    // d(target)/d(source) for each source, in order, each with its source's shape. A non-scalar target is
    // differentiated as the sum of its elements. A source that the target does not depend on (or that the
    // tape never tracked) gets zeros, not an error, as with tf.GradientTape(unconnected_gradients=ZERO).
    // `output_gradient` (target's shape), as tf.GradientTape's output_gradients, seeds the backward pass in place
    // of ones: the result is then the vector-Jacobian product of output_gradient with d(target)/d(source).
    std::vector<Tensor> gradient(const Tensor& target, const std::vector<Tensor>& sources,
                                 const Tensor& output_gradient = {});
    std::vector<Tensor> gradient(const Tensor& target, const std::vector<Variable>& sources,
                                 const Tensor& output_gradient = {});
    Tensor gradient(const Tensor& target, const Tensor& source);

    bool persistent() const { return persistent_; }
    // Number of ops recorded so far.
    size_t num_records() const { return records_.size(); }

    // For op implementations, through autograd::record().
    void add_record_if_tracked(std::string_view op, const std::vector<Tensor>& inputs, const Tensor& output,
                               const BackwardFn& backward, bool backward_is_differentiable);
    bool tracks(const Tensor& t) const;

private:
    struct Record {
        std::string_view op;
        std::vector<Tensor> inputs;
        std::vector<bool> needs_grad;
        uint64_t output_id;
        Shape output_shape;
        BackwardFn backward;
        bool backward_is_differentiable;
    };

    void set_paused(bool paused);

    bool persistent_;
    bool used_ = false;
    bool paused_ = false;
    std::unordered_set<uint64_t> tracked_;
    std::vector<Record> records_;
};

namespace autograd {

// True when at least one tape is alive and recording on this thread. Ops test this before building a backward.
bool is_recording();

// Records `output = op(inputs)` on every alive tape that tracks one of `inputs`. `op` must be a string literal.
// Pass backward_is_differentiable=false when `backward` computes with raw kernels instead of kiln ops: a
// second-order gradient through it then raises NotImplementedError instead of silently missing a term.
void record(std::string_view op, const std::vector<Tensor>& inputs, const Tensor& output, BackwardFn backward,
            bool backward_is_differentiable = true);

// While alive, no tape on this thread records anything (for computations that are not part of a model's
// differentiable function, such as shape inference or metric updates).
class PauseRecording {
public:
    PauseRecording();
    ~PauseRecording();
    PauseRecording(const PauseRecording&) = delete;
    PauseRecording& operator=(const PauseRecording&) = delete;
};

}  // namespace autograd

// The same values as `t` (sharing storage) with no gradient flowing back through it.
Tensor stop_gradient(const Tensor& t);

}  // namespace kiln
