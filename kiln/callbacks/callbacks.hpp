// Callbacks: hooks that fit/evaluate/predict call at the start and end of training, epochs and batches, with the
// logs so far (the compiled loss and metrics by name, val_ prefixed for validation, and what callbacks add, such
// as the learning_rate of ReduceLROnPlateau and LearningRateScheduler). History records every epoch's logs and is
// what fit() returns. Callbacks reach the model they run in through model().
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace kiln {

class Model;
using Logs = std::map<std::string, double>;

class Callback {
public:
    virtual ~Callback() = default;

    virtual void on_train_begin(const Logs&) {}
    virtual void on_train_end(const Logs&) {}
    virtual void on_epoch_begin(int /*epoch*/, const Logs&) {}
    virtual void on_epoch_end(int /*epoch*/, const Logs&) {}
    // Called at each epoch end, for every callback in turn, before any on_epoch_end: entries added here reach every
    // callback's on_epoch_end, History and the progress bar (Keras callbacks write into the logs dict, and Keras
    // runs History and the progress bar last).
    virtual void add_epoch_logs(int /*epoch*/, Logs&) {}
    virtual void on_train_batch_begin(int64_t /*batch*/, const Logs&) {}
    virtual void on_train_batch_end(int64_t /*batch*/, const Logs&) {}
    virtual void on_test_begin(const Logs&) {}
    virtual void on_test_end(const Logs&) {}

    // Set by fit() before on_train_begin.
    void set_model(Model* model) { model_ = model; }
    Model* model() const { return model_; }

private:
    Model* model_ = nullptr;
};

using CallbackPtr = std::shared_ptr<Callback>;

// Every epoch's logs, by name, and the epoch numbers (as keras.callbacks.History).
class History : public Callback {
public:
    std::map<std::string, std::vector<double>> history;
    std::vector<int> epochs;

    void on_train_begin(const Logs&) override;
    void on_epoch_end(int epoch, const Logs& logs) override;
    // The values logged under `key`; ValueError lists the keys when there is none.
    const std::vector<double>& operator[](const std::string& key) const;
};

// Calls the given functions (any may be empty), as keras.callbacks.LambdaCallback.
struct LambdaCallbackOptions {
    std::function<void(int, const Logs&)> on_epoch_begin{};
    std::function<void(int, const Logs&)> on_epoch_end{};
    std::function<void(int64_t, const Logs&)> on_train_batch_begin{};
    std::function<void(int64_t, const Logs&)> on_train_batch_end{};
    std::function<void(const Logs&)> on_train_begin{};
    std::function<void(const Logs&)> on_train_end{};
};

class LambdaCallback : public Callback {
public:
    explicit LambdaCallback(LambdaCallbackOptions options) : o_(std::move(options)) {}
    void on_epoch_begin(int epoch, const Logs& logs) override;
    void on_epoch_end(int epoch, const Logs& logs) override;
    void on_train_batch_begin(int64_t batch, const Logs& logs) override;
    void on_train_batch_end(int64_t batch, const Logs& logs) override;
    void on_train_begin(const Logs& logs) override;
    void on_train_end(const Logs& logs) override;

private:
    LambdaCallbackOptions o_;
};

}  // namespace kiln
