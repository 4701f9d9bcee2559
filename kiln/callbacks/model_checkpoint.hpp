// ModelCheckpoint: saves the model (a .keras file) or its weights (a .weights.h5 file) during fit(), every epoch
// or every N batches, optionally only when a monitored quantity improves, as keras.callbacks.ModelCheckpoint.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "kiln/callbacks/callbacks.hpp"
#include "kiln/callbacks/monitor.hpp"

namespace kiln {

// Keras 3 arguments and defaults. `filepath` may hold Python format fields filled at save time: {epoch} (1-based),
// {batch} (1-based, with a batch save_freq) and any log name, with an optional spec, e.g.
// "ckpt/model-{epoch:02d}-{val_loss:.2f}.keras".
struct ModelCheckpointOptions {
    std::string filepath{};
    std::string monitor = "val_loss";
    int verbose = 0;               // 1: a line per save or skipped save
    bool save_best_only = false;   // save only when `monitor` improves on the best so far
    bool save_weights_only = false;  // model.save_weights(filepath) (.weights.h5) instead of model.save (.keras)
    std::string mode = "auto";       // "auto", "min" or "max"
    int64_t save_freq = 0;           // 0: at each epoch end (Keras's "epoch"); N > 0: after every N training batches
    std::optional<double> initial_value_threshold{};  // with save_best_only: the value to beat at first
};

class ModelCheckpoint : public Callback {
public:
    // ValueError for a filepath that does not end in .keras (.weights.h5 with save_weights_only), a negative
    // save_freq or a bad mode.
    explicit ModelCheckpoint(ModelCheckpointOptions options);

    void on_train_begin(const Logs& logs) override;
    void on_epoch_begin(int epoch, const Logs& logs) override;
    void on_epoch_end(int epoch, const Logs& logs) override;
    void on_train_batch_end(int64_t batch, const Logs& logs) override;

    // The best monitored value seen (save_best_only), and the path of the last file written.
    std::optional<double> best() const { return best_; }
    const std::string& last_saved() const { return last_saved_; }

private:
    void save(int epoch, std::optional<int64_t> batch, const Logs& logs);

    ModelCheckpointOptions o_;
    MonitoredQuantity monitor_;
    std::optional<double> best_;
    std::string last_saved_;
    int current_epoch_ = 0;
    int64_t batches_since_save_ = 0;
};

// `pattern` with its Python format fields replaced: {epoch} and {batch} as given, other names from `logs`.
// Specs: [0][width][.precision][d|f|e|g]; "d" only for epoch and batch. "{{" and "}}" are literal braces.
// ValueError names the field and lists the available names when a field is unknown or a spec is bad.
std::string format_checkpoint_path(const std::string& pattern, int epoch, std::optional<int64_t> batch, const Logs& logs);

}  // namespace kiln
