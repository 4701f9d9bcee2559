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
    if (name_.empty()) throw ValueError("compile: a loss is required (a Keras name such as 'mse' or a loss object)");
    return losses::get(name_);
}

Model::Model(const SymbolicTensor& input, const SymbolicTensor& output, const std::string& name)
    : Model(std::vector<SymbolicTensor>{input}, output, name) {}

Model::Model(const std::vector<SymbolicTensor>& inputs, const SymbolicTensor& output, const std::string& name)
    : layer_(std::make_shared<FunctionalLayer>(inputs, output, LayerOptions{.name = name})) {}

Model::Model(std::shared_ptr<ModelLayer> layer) : layer_(std::move(layer)) {
    if (!layer_) throw ValueError("Model: the model layer is null");
}

Tensor Model::operator()(const Tensor& x, std::optional<bool> training) const { return (*layer_)(x, training); }
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
    return *layer_->training_state->loss;
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
