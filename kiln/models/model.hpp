// Model: the user-facing handle of a Sequential or Functional model, with Keras's training API.
//
//   auto model = Sequential({layers::Input({28, 28, 1}), layers::Conv2D({...}), ..., layers::Dense({.units = 10})});
//   model.compile({.optimizer = optim::Adam({.learning_rate = 1e-3}), .loss = "sparse_categorical_crossentropy",
//                  .metrics = {"accuracy"}});
//   History h = model.fit(x, y, {.batch_size = 64, .epochs = 5, .validation_split = 0.1});
//
// A Model is a handle: copies share the model, and it converts to a LayerPtr, so models nest inside other models
// and `set_trainable` recurses through them. fit/train_on_batch run the layers with training=true; evaluate and
// predict with training=false. compile() captures every layer's trainable state: a later change of trainable
// takes effect for fit/train_on_batch only after the next compile() (kiln warns once when it sees a mismatch),
// as the Keras documentation states.
#pragma once

#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "kiln/layers/losses.hpp"
#include "kiln/layers/metrics.hpp"
#include "kiln/layers/symbolic.hpp"
#include "kiln/callbacks/callbacks.hpp"
#include "kiln/models/model_layer.hpp"
#include "kiln/optim/optimizer.hpp"

namespace kiln {

// An optimizer by Keras name ("adam") or as an object (moved or shared into the model).
class OptimizerArg {
public:
    OptimizerArg(const char* name) : name_(name) {}
    OptimizerArg(std::string name) : name_(std::move(name)) {}
    OptimizerArg(std::shared_ptr<optim::Optimizer> optimizer) : optimizer_(std::move(optimizer)) {}
    template <class O>
        requires std::derived_from<std::decay_t<O>, optim::Optimizer> && (!std::is_lvalue_reference_v<O>)
    OptimizerArg(O&& optimizer) : optimizer_(std::make_shared<std::decay_t<O>>(std::move(optimizer))) {}
    std::shared_ptr<optim::Optimizer> resolve() const;

private:
    std::string name_;
    std::shared_ptr<optim::Optimizer> optimizer_;
};

// A loss by Keras name ("sparse_categorical_crossentropy") or as an object.
class LossArg {
public:
    LossArg() = default;
    LossArg(const char* name) : name_(name) {}
    LossArg(std::string name) : name_(std::move(name)) {}
    LossArg(losses::LossPtr loss) : loss_(std::move(loss)) {}
    template <class L>
        requires std::derived_from<std::decay_t<L>, losses::Loss>
    LossArg(L&& loss) : loss_(std::make_shared<std::decay_t<L>>(std::forward<L>(loss))) {}
    losses::LossPtr resolve() const;
    // The name given (empty when given as an object) and the object given (null when given by name).
    const std::string& name() const { return name_; }
    const losses::LossPtr& loss() const { return loss_; }

private:
    std::string name_;
    losses::LossPtr loss_;
};

// A metric by Keras name ("accuracy", resolved from the loss and shapes as Keras does) or as an object.
class MetricArg {
public:
    MetricArg(const char* name) : name_(name) {}
    MetricArg(std::string name) : name_(std::move(name)) {}
    MetricArg(metrics::MetricPtr metric) : metric_(std::move(metric)) {}
    const std::string& name() const { return name_; }
    const metrics::MetricPtr& metric() const { return metric_; }

private:
    std::string name_;
    metrics::MetricPtr metric_;
};

struct CompileOptions {
    OptimizerArg optimizer{"rmsprop"};
    LossArg loss{};
    std::vector<MetricArg> metrics{};
};

struct FitOptions {
    int64_t batch_size = 32;
    int epochs = 1;
    int verbose = 1;  // 0 silent, 1 progress bar (per-epoch lines when stdout is not a terminal), 2 one line/epoch
    std::vector<CallbackPtr> callbacks{};
    double validation_split = 0.0;  // the last fraction of x and y, taken before shuffling
    std::optional<std::pair<Tensor, Tensor>> validation_data{};
    bool shuffle = true;
    int initial_epoch = 0;
    Tensor sample_weight{};                     // [N]
    std::map<int64_t, double> class_weight{};   // class index -> weight
    std::optional<uint64_t> seed{};             // shuffling seed; default: kiln::next_random_seed()
};

struct EvaluateOptions {
    int64_t batch_size = 32;
    int verbose = 1;
    Tensor sample_weight{};
    std::vector<CallbackPtr> callbacks{};
};

struct PredictOptions {
    int64_t batch_size = 32;
    int verbose = 0;
};

struct TrainingState;

class Model {
public:
    // A functional model from Input(s) to an output.
    Model(const SymbolicTensor& input, const SymbolicTensor& output, const std::string& name = "");
    Model(const std::vector<SymbolicTensor>& inputs, const SymbolicTensor& output, const std::string& name = "");
    explicit Model(std::shared_ptr<ModelLayer> layer);

    // As a layer.
    Tensor operator()(const Tensor& x, std::optional<bool> training = std::nullopt) const;
    Tensor operator()(const std::vector<Tensor>& xs, std::optional<bool> training = std::nullopt) const;
    SymbolicTensor operator()(const SymbolicTensor& x, std::optional<bool> training = std::nullopt) const;
    operator LayerPtr() const { return layer_; }
    ModelLayer* operator->() const { return layer_.get(); }
    const std::shared_ptr<ModelLayer>& layer() const { return layer_; }

    const std::string& name() const { return layer_->name(); }
    const std::vector<LayerPtr>& layers() const { return layer_->layers(); }
    LayerPtr get_layer(const std::string& name) const { return layer_->get_layer(name); }
    bool trainable() const { return layer_->trainable(); }
    void set_trainable(bool trainable) const { layer_->set_trainable(trainable); }
    std::vector<Variable> weights() const { return layer_->weights(); }
    std::vector<Variable> trainable_weights() const { return layer_->trainable_weights(); }
    std::vector<Variable> non_trainable_weights() const { return layer_->non_trainable_weights(); }
    std::vector<Tensor> get_weights() const { return layer_->get_weights(); }
    void set_weights(const std::vector<Tensor>& values) const { layer_->set_weights(values); }
    int64_t count_params() const { return layer_->count_params(); }

    // Keras-style table of layers, output shapes and parameter counts, with total/trainable/non-trainable.
    void summary(std::ostream& out) const;
    void summary() const;

    void compile(const CompileOptions& options) const;
    bool compiled() const { return layer_->training_state != nullptr; }
    // The compiled optimizer and loss (StateError before compile()).
    optim::Optimizer& optimizer() const;
    const losses::Loss& loss() const;

    History fit(const Tensor& x, const Tensor& y, const FitOptions& options = {}) const;
    // Loss and metrics by name.
    std::map<std::string, double> evaluate(const Tensor& x, const Tensor& y, const EvaluateOptions& options = {}) const;
    Tensor predict(const Tensor& x, const PredictOptions& options = {}) const;
    // One step on one batch; loss and metrics of that batch alone, by name (metrics are reset first, as tf.keras's
    // reset_metrics=True default and Keras 3 since keras-team/keras#22617).
    std::map<std::string, double> train_on_batch(const Tensor& x, const Tensor& y, const Tensor& sample_weight = {}) const;
    std::map<std::string, double> test_on_batch(const Tensor& x, const Tensor& y, const Tensor& sample_weight = {}) const;
    Tensor predict_on_batch(const Tensor& x) const;

    // Writes the Keras 3 .keras archive (config with compile settings, weights, optimizer state); `path` must end
    // in ".keras". Atomic like save_weights. Read it back with kiln::load_model (serialization/model_file.hpp).
    void save(const std::string& path) const;
    // Writes a Keras 3 weights file: `path` must end in ".weights.h5"; the optimizer's state is included when the
    // model is compiled. Atomic: a failed save leaves an existing file as it was.
    void save_weights(const std::string& path) const;
    // Reads any Keras weights file: .weights.h5, .keras, or a legacy Keras 1/2 / tf.keras .h5 (full model or
    // weights only). Strict: every weight must match, else one ValueError lists every missing, unexpected and
    // wrong-shaped weight and nothing is loaded. A compiled model also takes the optimizer state the file holds.
    // (Both are defined in kiln/serialization/weights_file.cpp.)
    void load_weights(const std::string& path) const;

    // Set by a callback to end fit() after the current epoch (as model.stop_training in Keras).
    void set_stop_training(bool stop) const;
    bool stop_training() const;

    // The Keras 3 JSON of the model (model.to_json()) and its config (model.get_config()); defined in
    // serialization/model_config.cpp. Read them back with kiln::model_from_json / model_from_config.
    std::string to_json() const;
    nlohmann::json get_config() const;

protected:
    std::shared_ptr<ModelLayer> layer_;
};

// An item of a Sequential model: a layer, or an Input as the first item.
class SequentialItem {
public:
    SequentialItem(LayerPtr layer) : layer_(std::move(layer)) {}
    template <class L>
    SequentialItem(const LayerHandle<L>& layer) : layer_(layer.ptr()) {}
    SequentialItem(const Model& model) : layer_(model.layer()) {}
    SequentialItem(SymbolicTensor input) : input_(std::move(input)) {}
    const LayerPtr& layer() const { return layer_; }
    const SymbolicTensor& input() const { return input_; }

private:
    LayerPtr layer_;
    SymbolicTensor input_;
};

class Sequential : public Model {
public:
    explicit Sequential(std::vector<SequentialItem> items = {}, const std::string& name = "");
    void add(const SequentialItem& item) const;
    void pop() const;
};

}  // namespace kiln
