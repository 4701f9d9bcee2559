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
    // The loss; null for an empty LossArg (no loss for that output).
    losses::LossPtr resolve() const;
    // The name given (empty when given as an object) and the object given (null when given by name).
    const std::string& name() const { return name_; }
    const losses::LossPtr& loss() const { return loss_; }

private:
    std::string name_;
    losses::LossPtr loss_;
};

// compile()'s loss: one for every output (`.loss = "mse"`), one per output by position (`.loss = {"mse",
// "binary_crossentropy"}`) or by output name (`.loss = {{"value", "mse"}, {"policy", "binary_crossentropy"}}`).
// An empty LossArg in a list or map leaves that output without a loss, as None does in Keras.
class LossesArg {
public:
    LossesArg() = default;
    template <class L>
        requires std::constructible_from<LossArg, L>
    LossesArg(L&& loss) : one_(LossArg(std::forward<L>(loss))), given_(true) {}
    LossesArg(std::initializer_list<LossArg> per_output) : list_(per_output), given_(true) {}
    LossesArg(std::vector<LossArg> per_output) : list_(std::move(per_output)), given_(true) {}
    LossesArg(std::initializer_list<std::pair<const std::string, LossArg>> by_name) : map_(by_name), given_(true) {}
    LossesArg(std::map<std::string, LossArg> by_name) : map_(std::move(by_name)), given_(true) {}

    bool given() const { return given_; }
    // The single loss when one was given for every output.
    const std::optional<LossArg>& one() const { return one_; }
    const std::vector<LossArg>& list() const { return list_; }
    const std::map<std::string, LossArg>& map() const { return map_; }

private:
    std::optional<LossArg> one_;
    std::vector<LossArg> list_;
    std::map<std::string, LossArg> map_;
    bool given_ = false;
};

// compile()'s loss_weights: none (every loss counts once), a list by output position, or a map by output name.
class LossWeightsArg {
public:
    LossWeightsArg() = default;
    LossWeightsArg(std::initializer_list<double> per_output) : list_(per_output), given_(true) {}
    LossWeightsArg(std::vector<double> per_output) : list_(std::move(per_output)), given_(true) {}
    LossWeightsArg(std::initializer_list<std::pair<const std::string, double>> by_name) : map_(by_name), given_(true) {}
    LossWeightsArg(std::map<std::string, double> by_name) : map_(std::move(by_name)), given_(true) {}

    bool given() const { return given_; }
    const std::vector<double>& list() const { return list_; }
    const std::map<std::string, double>& map() const { return map_; }

private:
    std::vector<double> list_;
    std::map<std::string, double> map_;
    bool given_ = false;
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

// One item of compile()'s metrics: a metric, or a list of metrics for one output.
class MetricsEntry {
public:
    template <class M>
        requires std::constructible_from<MetricArg, M>
    MetricsEntry(M&& metric) : metrics_{MetricArg(std::forward<M>(metric))}, is_list_(false) {}
    MetricsEntry(std::initializer_list<MetricArg> metrics) : metrics_(metrics) {}
    MetricsEntry(std::vector<MetricArg> metrics) : metrics_(std::move(metrics)) {}
    const std::vector<MetricArg>& metrics() const { return metrics_; }
    // Whether it was given as a list ({"mae"}), not as one metric.
    bool is_list() const { return is_list_; }

private:
    std::vector<MetricArg> metrics_;
    bool is_list_ = true;
};

using MetricsByOutput = std::map<std::string, MetricsEntry>;

// compile()'s metrics, as Keras takes them: for a model with one output, a list of metrics (`{"accuracy"}`); for
// several outputs, one entry per output by position (`{{"accuracy"}, {"mae", "mse"}}` or `{"accuracy", "mae"}`)
// or a map by output name (`MetricsByOutput{{"policy", {"accuracy"}}}`; outputs not named get none).
class MetricsArg {
public:
    MetricsArg() = default;
    MetricsArg(std::initializer_list<MetricsEntry> entries) : list_(entries) {}
    MetricsArg(std::vector<MetricsEntry> entries) : list_(std::move(entries)) {}
    MetricsArg(std::vector<MetricArg> metrics);
    MetricsArg(MetricsByOutput by_name) : map_(std::move(by_name)), is_map_(true) {}

    bool empty() const { return list_.empty() && map_.empty(); }
    bool is_map() const { return is_map_; }
    const std::vector<MetricsEntry>& list() const { return list_; }
    const MetricsByOutput& map() const { return map_; }
    // Every metric of the list, in order (the single-output form).
    std::vector<MetricArg> flat() const;

private:
    std::vector<MetricsEntry> list_;
    MetricsByOutput map_;
    bool is_map_ = false;
};

struct CompileOptions {
    OptimizerArg optimizer{"rmsprop"};
    LossesArg loss{};
    LossWeightsArg loss_weights{};
    MetricsArg metrics{};
};

// x or y of fit/evaluate/predict: one tensor, a list by input/output position, or a map by input/output name
// (Keras's input_names / output_names).
class ModelData {
public:
    ModelData() = default;
    ModelData(Tensor tensor) : list_{std::move(tensor)} {}
    ModelData(std::initializer_list<Tensor> tensors) : list_(tensors) {}
    ModelData(std::vector<Tensor> tensors) : list_(std::move(tensors)) {}
    ModelData(std::map<std::string, Tensor> by_name) : map_(std::move(by_name)), is_map_(true) {}

    // The tensors in the order of `names` (what the model calls its inputs or outputs); `what` is "x" or "y" and
    // `op` the calling function, for the errors (wrong count, a missing or unknown name).
    std::vector<Tensor> resolve(const std::vector<std::string>& names, const char* what, const std::string& op) const;
    bool defined() const { return is_map_ || !list_.empty(); }

private:
    std::vector<Tensor> list_;
    std::map<std::string, Tensor> map_;
    bool is_map_ = false;
};

struct FitOptions {
    int64_t batch_size = 32;
    int epochs = 1;
    int verbose = 1;  // 0 silent, 1 progress bar (per-epoch lines when stdout is not a terminal), 2 one line/epoch
    std::vector<CallbackPtr> callbacks{};
    double validation_split = 0.0;  // the last fraction of x and y, taken before shuffling
    std::optional<std::pair<ModelData, ModelData>> validation_data{};
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
    // Several outputs: predict_outputs returns them in this order, and compile/fit take them by position or by
    // output_names() (the names of the layers that produce them).
    Model(const SymbolicTensor& input, const std::vector<SymbolicTensor>& outputs, const std::string& name = "");
    Model(const std::vector<SymbolicTensor>& inputs, const std::vector<SymbolicTensor>& outputs,
          const std::string& name = "");
    explicit Model(std::shared_ptr<ModelLayer> layer);

    // As a layer.
    Tensor operator()(const Tensor& x, std::optional<bool> training = std::nullopt) const;
    Tensor operator()(const std::vector<Tensor>& xs, std::optional<bool> training = std::nullopt) const;
    SymbolicTensor operator()(const SymbolicTensor& x, std::optional<bool> training = std::nullopt) const;
    SymbolicTensor operator()(const std::vector<SymbolicTensor>& xs, std::optional<bool> training = std::nullopt) const;
    // Every output (operator() wants a model with one): `auto [policy, value] = ...` is `outs[0], outs[1]`.
    std::vector<Tensor> call_outputs(const ModelData& x, std::optional<bool> training = std::nullopt) const;
    std::vector<SymbolicTensor> call_outputs(const SymbolicTensor& x, std::optional<bool> training = std::nullopt) const;
    std::vector<SymbolicTensor> call_outputs(const std::vector<SymbolicTensor>& xs,
                                             std::optional<bool> training = std::nullopt) const;
    std::vector<std::string> output_names() const { return layer_->output_names(); }
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
    // The compiled optimizer, and the loss of a model with one output (StateError before compile()).
    optim::Optimizer& optimizer() const;
    const losses::Loss& loss() const;

    // x and y: a tensor per input and per output (ModelData). sample_weight weighs every output's loss.
    // Logs and History use Keras 3's names: "loss" (the weighted total), and with several losses "<output>_loss"
    // (each unweighted); with several outputs each metric is "<output>_<metric>"; validation adds "val_".
    History fit(const ModelData& x, const ModelData& y, const FitOptions& options = {}) const;
    // Loss and metrics by name.
    std::map<std::string, double> evaluate(const ModelData& x, const ModelData& y,
                                           const EvaluateOptions& options = {}) const;
    // The output of a model with one output; predict_outputs gives every output, in output_names() order.
    Tensor predict(const ModelData& x, const PredictOptions& options = {}) const;
    std::vector<Tensor> predict_outputs(const ModelData& x, const PredictOptions& options = {}) const;
    // Every output by its name in output_names() (Keras's predict on a model with a dict of outputs).
    std::map<std::string, Tensor> predict_by_name(const ModelData& x, const PredictOptions& options = {}) const;
    // One step on one batch; loss and metrics of that batch alone, by name (metrics are reset first, as tf.keras's
    // reset_metrics=True default and Keras 3 since keras-team/keras#22617).
    std::map<std::string, double> train_on_batch(const ModelData& x, const ModelData& y,
                                                 const Tensor& sample_weight = {}) const;
    std::map<std::string, double> test_on_batch(const ModelData& x, const ModelData& y,
                                                const Tensor& sample_weight = {}) const;
    Tensor predict_on_batch(const ModelData& x) const;

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
