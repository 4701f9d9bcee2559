#include "kiln/models/model.hpp"

#include "kiln/core/errors.hpp"
#include "kiln/models/functional.hpp"
#include "kiln/models/sequential.hpp"
#include "kiln/models/training_state.hpp"
#include "kiln/optim/registry.hpp"

namespace kiln {

std::shared_ptr<optim::Optimizer> OptimizerArg::resolve() const {
    if (optimizer_) return optimizer_;
    return optim::get(name_);
}

losses::LossPtr LossArg::resolve() const {
    if (loss_) return loss_;
    if (name_.empty()) return nullptr;
    return losses::get(name_);
}

MetricsArg::MetricsArg(std::vector<MetricArg> metrics) {
    for (MetricArg& m : metrics) list_.emplace_back(std::move(m));
}

std::vector<MetricArg> MetricsArg::flat() const {
    std::vector<MetricArg> out;
    for (const MetricsEntry& entry : list_) out.insert(out.end(), entry.metrics().begin(), entry.metrics().end());
    return out;
}

std::string quoted_names(const std::vector<std::string>& names) {
    std::string s;
    for (const std::string& n : names) s += (s.empty() ? "'" : ", '") + n + "'";
    return s;
}

void require_unique_names(const std::vector<std::string>& names, const std::string& what) {
    for (size_t i = 0; i < names.size(); ++i)
        if (std::find(names.begin() + static_cast<std::ptrdiff_t>(i) + 1, names.end(), names[i]) != names.end())
            throw ValueError(cat(what, " addresses outputs by name, but the name '", names[i],
                                 "' belongs to several of them (", quoted_names(names), "); give them by position"));
}

std::vector<Tensor> ModelData::resolve(const std::vector<std::string>& names, const char* what,
                                       const std::string& op) const {
    const char* kind = std::string_view(what) == "y" ? "output" : "input";
    if (!is_map_) {
        if (list_.size() != names.size())
            throw ValueError(cat(op, ": ", what, " holds ", list_.size(), " tensors, the model has ", names.size(), " ",
                                 kind, names.size() == 1 ? "" : "s", " (", quoted_names(names), ")"));
        return list_;
    }
    require_unique_names(names, cat(op, ": ", what, " as a map"));
    for (const auto& [name, tensor] : map_)
        if (std::find(names.begin(), names.end(), name) == names.end())
            throw ValueError(cat(op, ": ", what, " names '", name, "', which is not one of the model's ", kind,
                                 "s (", quoted_names(names), ")"));
    std::vector<Tensor> out;
    for (const std::string& name : names) {
        const auto found = map_.find(name);
        if (found == map_.end())
            throw ValueError(cat(op, ": ", what, " has no tensor for ", kind, " '", name, "' (the model's ", kind,
                                 "s are ", quoted_names(names), ")"));
        out.push_back(found->second);
    }
    return out;
}

Model::Model(const SymbolicTensor& input, const SymbolicTensor& output, const std::string& name)
    : Model(std::vector<SymbolicTensor>{input}, std::vector<SymbolicTensor>{output}, name) {}

Model::Model(const std::vector<SymbolicTensor>& inputs, const SymbolicTensor& output, const std::string& name)
    : Model(inputs, std::vector<SymbolicTensor>{output}, name) {}

Model::Model(const SymbolicTensor& input, const std::vector<SymbolicTensor>& outputs, const std::string& name)
    : Model(std::vector<SymbolicTensor>{input}, outputs, name) {}

Model::Model(const std::vector<SymbolicTensor>& inputs, const std::vector<SymbolicTensor>& outputs,
             const std::string& name)
    : layer_(std::make_shared<FunctionalLayer>(inputs, outputs, LayerOptions{.name = name})) {}

Model::Model(std::shared_ptr<ModelLayer> layer) : layer_(std::move(layer)) {
    if (!layer_) throw ValueError("Model: the model layer is null");
}

Tensor Model::operator()(const Tensor& x, std::optional<bool> training) const { return (*layer_)(x, training); }
SymbolicTensor Model::operator()(const std::vector<SymbolicTensor>& xs, std::optional<bool> training) const {
    return (*layer_)(xs, training);
}

std::vector<Tensor> Model::call_outputs(const ModelData& x, std::optional<bool> training) const {
    const std::vector<Tensor> xs = x.resolve(layer_->input_names(), "x", layer_->describe());
    return layer_->call_outputs(xs, xs.size() != 1, training);
}

std::vector<SymbolicTensor> Model::call_outputs(const SymbolicTensor& x, std::optional<bool> training) const {
    return layer_->call_outputs({x}, false, training);
}

std::vector<SymbolicTensor> Model::call_outputs(const std::vector<SymbolicTensor>& xs,
                                                std::optional<bool> training) const {
    return layer_->call_outputs(xs, true, training);
}
Tensor Model::operator()(const std::vector<Tensor>& xs, std::optional<bool> training) const {
    return (*layer_)(xs, training);
}
SymbolicTensor Model::operator()(const SymbolicTensor& x, std::optional<bool> training) const {
    return (*layer_)(x, training);
}

optim::Optimizer& Model::optimizer() const {
    if (!compiled()) throw StateError(cat(layer_->describe(), ": the model is not compiled; call compile() first"));
    return *layer_->training_state->optimizer;
}

const losses::Loss& Model::loss() const {
    if (!compiled()) throw StateError(cat(layer_->describe(), ": the model is not compiled; call compile() first"));
    const std::vector<OutputHead>& heads = layer_->training_state->heads;
    if (heads.size() != 1)
        throw StateError(cat(layer_->describe(), ": loss() is the loss of a model with one output; this model has ",
                             heads.size(), " outputs"));
    return *heads[0].loss;
}

void Model::set_stop_training(bool stop) const {
    if (compiled()) layer_->training_state->stop_training = stop;
}

bool Model::stop_training() const { return compiled() && layer_->training_state->stop_training; }

Sequential::Sequential(std::vector<SequentialItem> items, const std::string& name)
    : Model(std::make_shared<SequentialLayer>(LayerOptions{.name = name})) {
    for (const SequentialItem& item : items) add(item);
}

void Sequential::add(const SequentialItem& item) const {
    auto& seq = static_cast<SequentialLayer&>(*layer_);
    if (item.input().defined())
        seq.add(item.input());
    else
        seq.add(item.layer());
}

void Sequential::pop() const { static_cast<SequentialLayer&>(*layer_).pop(); }

}  // namespace kiln
