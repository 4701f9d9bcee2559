// Writing a model in the Keras 3 object form (serialize_keras_object of a Sequential or Functional model), and
// Model::to_json / Model::get_config, which models/model.hpp declares.
#include <map>
#include <unordered_map>

#include "kiln/core/errors.hpp"
#include "kiln/serialization/detail/reading.hpp"
#include "kiln/serialization/model_config.hpp"
#include "kiln/serialization/registry.hpp"

namespace kiln::serialization {
namespace {

// A shape as Keras writes it: null for a size that is not fixed (kiln's -1).
nlohmann::json shape_json(const Shape& shape) {
    nlohmann::json out = nlohmann::json::array();
    for (int64_t d : shape) out.push_back(d < 0 ? nlohmann::json(nullptr) : nlohmann::json(d));
    return out;
}

// Keras 3's Sequential.get_config: the InputLayer first when the input is known, then every layer.
nlohmann::json sequential_config(const SequentialLayer& model) {
    nlohmann::json layer_configs = nlohmann::json::array();
    if (model.input_layer()) {
        layer_configs.push_back(serialize_layer(*model.input_layer()));
    } else if (const auto shape = model.known_input_shape()) {
        // Built by a call: Keras 3 then creates an InputLayer of the batch shape.
        detail::BatchShape batch_shape;
        for (int64_t d : *shape) batch_shape.push_back(d < 0 ? std::nullopt : std::optional<int64_t>(d));
        layer_configs.push_back(serialize_layer(*detail::make_input_layer(batch_shape, cat(model.name(), "_input"))));
    }
    const bool has_input = !layer_configs.empty();
    for (const LayerPtr& layer : model.layers()) layer_configs.push_back(serialize_layer(*layer));
    nlohmann::json config = {{"name", model.name()},
                             {"trainable", model.trainable()},
                             {"dtype", dtype_policy_config("float32")},
                             {"layers", layer_configs}};
    if (has_input) config["build_input_shape"] = layer_configs.at(0).at("config").at("batch_shape");
    return config;
}

// Keras 3's Functional.get_config. A node's call index counts the calls of its layer inside this model; Keras 3
// writes it as is in keras_history, and adds 1 for a nested Functional in input_layers / output_layers.
nlohmann::json functional_config(const FunctionalLayer& model) {
    std::unordered_map<const Node*, int64_t> call_index;
    std::map<const Layer*, int64_t> calls;
    for (const auto& node : model.nodes()) call_index[node.get()] = calls[node->layer.get()]++;

    auto keras_tensor = [&](const SymbolicTensor& t) {
        const nlohmann::json history = {t.node()->layer->name(), call_index.at(t.node().get()), t.index()};
        return nlohmann::json{{"class_name", "__keras_tensor__"},
                              {"config", {{"shape", shape_json(t.shape())}, {"dtype", "float32"}, {"keras_history", history}}}};
    };
    auto io_ref = [&](const SymbolicTensor& t) {
        const bool functional = dynamic_cast<const FunctionalLayer*>(t.node()->layer.get()) != nullptr;
        return nlohmann::json{t.node()->layer->name(), call_index.at(t.node().get()) + (functional ? 1 : 0), t.index()};
    };

    nlohmann::json layer_configs = nlohmann::json::array();
    for (const LayerPtr& layer : model.layers()) {
        nlohmann::json inbound = nlohmann::json::array();
        for (const auto& node : model.nodes()) {
            if (node->layer != layer || node->inputs.empty()) continue;
            nlohmann::json args = nlohmann::json::array();
            for (const SymbolicTensor& t : node->inputs) args.push_back(keras_tensor(t));
            nlohmann::json kwargs = nlohmann::json::object();
            if (node->training) kwargs["training"] = *node->training;
            inbound.push_back({{"args", node->multi_input ? nlohmann::json::array({args}) : args}, {"kwargs", kwargs}});
        }
        nlohmann::json entry = serialize_layer(*layer);
        entry["name"] = layer->name();
        entry["inbound_nodes"] = inbound;
        layer_configs.push_back(entry);
    }
    nlohmann::json inputs = nlohmann::json::array();
    for (const SymbolicTensor& t : model.inputs()) inputs.push_back(io_ref(t));
    nlohmann::json outputs = nlohmann::json::array();
    for (const SymbolicTensor& t : model.outputs()) outputs.push_back(io_ref(t));
    return {{"name", model.name()},
            {"trainable", model.trainable()},
            {"layers", layer_configs},
            {"input_layers", inputs.size() == 1 ? inputs.at(0) : inputs},
            {"output_layers", outputs.size() == 1 ? outputs.at(0) : outputs}};
}

}  // namespace

nlohmann::json serialize_model(const ModelLayer& model) {
    nlohmann::json out;
    if (const auto* sequential = dynamic_cast<const SequentialLayer*>(&model)) {
        out = {{"module", "keras"},
               {"class_name", "Sequential"},
               {"config", sequential_config(*sequential)},
               {"registered_name", nullptr}};
        if (out["config"].contains("build_input_shape"))
            out["build_config"] = {{"input_shape", out["config"]["build_input_shape"]}};
    } else if (const auto* functional = dynamic_cast<const FunctionalLayer*>(&model)) {
        out = {{"module", "keras.src.models.functional"},
               {"class_name", "Functional"},
               {"config", functional_config(*functional)},
               {"registered_name", "Functional"},
               {"build_config", {{"input_shape", nullptr}}}};
    } else {
        throw NotImplementedError(cat(model.describe(), ": only Sequential and Functional models can be serialized"));
    }
    if (model.training_state) out["compile_config"] = compile_config(model);
    return out;
}

}  // namespace kiln::serialization

namespace kiln {

std::string Model::to_json() const { return serialization::serialize_model(*layer_).dump(); }

nlohmann::json Model::get_config() const { return serialization::serialize_model(*layer_).at("config"); }

}  // namespace kiln
