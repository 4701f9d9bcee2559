// Small helpers shared by the model tests: weight snapshots, output capture and a one-feature linear model whose
// predictions and losses are easy to compute by hand.
#pragma once

#include <cstdint>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <kiln/kiln.hpp>

namespace kiln::testing {

// Copies of the current values of `vs`.
inline std::vector<Tensor> values_of(const std::vector<Variable>& vs) {
    std::vector<Tensor> out;
    for (const Variable& v : vs) out.push_back(v.value().copy());
    return out;
}

// Same number of tensors, each with the same shape and bitwise-equal values.
inline bool all_equal(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (!array_equal(a[i], b[i])) return false;
    return true;
}

// The identities of the variables' live values: equal ids mean the very same variable.
inline std::vector<uint64_t> ids_of(const std::vector<Variable>& vs) {
    std::vector<uint64_t> out;
    for (const Variable& v : vs) out.push_back(v.value().id());
    return out;
}

inline std::vector<std::string> names_of(const std::vector<LayerPtr>& layers) {
    std::vector<std::string> out;
    for (const LayerPtr& l : layers) out.push_back(l->name());
    return out;
}

// Redirects std::cout into `text` for the object's lifetime; the destructor restores it, also when a check throws.
struct CaptureCout {
    std::ostringstream text;
    std::streambuf* saved = std::cout.rdbuf(text.rdbuf());
    CaptureCout() = default;
    CaptureCout(const CaptureCout&) = delete;
    CaptureCout& operator=(const CaptureCout&) = delete;
    ~CaptureCout() { std::cout.rdbuf(saved); }
};

// A column [n, 1] holding `values`.
inline Tensor column(std::vector<float> values) {
    const auto n = static_cast<int64_t>(values.size());
    return Tensor(std::move(values), Shape{n, 1});
}

// y = w * x + b on one feature: Input({1}) then a Dense of one unit named "linear" with the given weights.
inline Sequential linear_model(float w, float b) {
    Sequential model({layers::Input({1}), layers::Dense({.name = "linear", .units = 1})});
    model.set_weights({Tensor({w}, Shape{1, 1}), Tensor({b}, Shape{1})});
    return model;
}

// Counts fit()'s batches (on_train_batch_end) and epochs (on_epoch_begin).
struct StepCounter {
    int64_t batches = 0;
    std::vector<int> epochs{};
    std::vector<int64_t> batch_indices{};

    CallbackPtr callback() {
        return std::make_shared<LambdaCallback>(LambdaCallbackOptions{
            .on_epoch_begin = [this](int epoch, const Logs&) { epochs.push_back(epoch); },
            .on_train_batch_end =
                [this](int64_t batch, const Logs&) {
                    ++batches;
                    batch_indices.push_back(batch);
                },
        });
    }
};

}  // namespace kiln::testing
