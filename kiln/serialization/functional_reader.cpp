// Reading a Functional config (class "Functional" or "Model"): every layer is created first, then each layer's
// calls (inbound nodes) are replayed on symbolic tensors with a retry queue, as Keras 3 does, so entries may come
// in any order and shared layers may be called at several depths. Legacy nodes ([name, node, tensor, kwargs]
// items) and Keras 3 nodes ({"args", "kwargs"} with __keras_tensor__ references) are both read.
#include <map>

#include "kiln/core/errors.hpp"
#include "kiln/serialization/detail/reading.hpp"

namespace kiln::serialization::detail {
namespace {

// A reference to output `tensor` of call `node` of layer `layer`, as written in the file.
struct Ref {
    std::string layer;
    int64_t node = 0;
    int64_t tensor = 0;
};

// One recorded call of a layer.
struct Call {
    std::vector<Ref> refs;
    bool multi = false;  // called with a list of tensors
    std::optional<bool> training{};
    std::string path;
};

// A layer with the calls still to replay.
struct PendingLayer {
    std::string name;
    LayerPtr layer;
    std::string context;
    std::vector<Call> calls{};
    size_t next = 0;
};

int64_t integer_at(const nlohmann::json& item, size_t i, const std::string& where) {
    if (!item.at(i).is_number_integer())
        throw ValueError(cat(where, ": expected [layer name, node index, tensor index], got ", item.dump()));
    return item.at(i).get<int64_t>();
}

// [name, node_index, tensor_index] (legacy items may add a kwargs dict as a 4th element).
Ref parse_triple(const nlohmann::json& item, const std::string& where, bool allow_kwargs) {
    const size_t max_size = allow_kwargs ? 4 : 3;
    if (!item.is_array() || item.size() < 3 || item.size() > max_size || !item.at(0).is_string())
        throw ValueError(cat(where, ": expected [layer name, node index, tensor index", allow_kwargs ? "(, kwargs)" : "",
                             "], got ", item.dump()));
    return Ref{item.at(0).get<std::string>(), integer_at(item, 1, where), integer_at(item, 2, where)};
}

bool is_triple(const nlohmann::json& value) { return value.is_array() && value.size() == 3 && value.at(0).is_string(); }

// Call kwargs: "training" is honoured (an explicit training argument of the node), "mask" is recomputed.
void read_call_kwargs(const nlohmann::json& kwargs, Call& call, const std::string& where) {
    if (!kwargs.is_object()) throw ValueError(cat(where, ": call kwargs must be an object, got ", kwargs.dump()));
    for (const auto& [key, value] : kwargs.items()) {
        if (key == "mask") continue;
        if (key != "training")
            throw NotImplementedError(cat(where, ": call argument '", key, "' is not supported (only training and mask)"));
        if (value.is_boolean())
            call.training = value.get<bool>();
        else if (!value.is_null())
            throw ValueError(cat(where, ": call argument 'training' must be true, false or null, got ", value.dump()));
    }
}

Call parse_legacy_node(const nlohmann::json& node, const std::string& where) {
    Call call{{}, node.size() > 1, std::nullopt, where};
    if (node.empty()) throw ValueError(cat(where, ": an inbound node needs at least one input"));
    for (size_t i = 0; i < node.size(); ++i) {
        const std::string item_where = index_path(where, i);
        call.refs.push_back(parse_triple(node.at(i), item_where, true));
        if (node.at(i).size() == 4) read_call_kwargs(node.at(i).at(3), call, item_where);
    }
    return call;
}

// {"class_name": "__keras_tensor__", "config": {"shape", "dtype", "keras_history": [name, node, tensor]}}; the
// shape and dtype are recomputed by the graph.
Ref parse_keras_tensor(const nlohmann::json& tensor, const std::string& where) {
    if (!tensor.is_object() || tensor.value("class_name", "") != "__keras_tensor__" || !tensor.contains("config") ||
        !tensor.at("config").is_object() || !tensor.at("config").contains("keras_history"))
        throw NotImplementedError(cat(where, ": only symbolic tensors (__keras_tensor__ with keras_history) are "
                                             "supported as call arguments, got ",
                                      tensor.dump().substr(0, 200)));
    return parse_triple(tensor.at("config").at("keras_history"), join_path(where, "config.keras_history"), false);
}

Call parse_keras3_node(const nlohmann::json& node, const std::string& where) {
    check_keys(node, where, {"args", "kwargs"});
    const nlohmann::json& args = require(node, where, "args");
    if (!args.is_array() || args.size() != 1)
        throw NotImplementedError(cat(join_path(where, "args"), ": kiln layers take exactly one positional argument "
                                                                "(a tensor or a list of tensors), got ",
                                      args.dump().substr(0, 200)));
    Call call{{}, args.at(0).is_array(), std::nullopt, where};
    const std::string args_where = index_path(join_path(where, "args"), 0);
    if (call.multi) {
        for (size_t i = 0; i < args.at(0).size(); ++i)
            call.refs.push_back(parse_keras_tensor(args.at(0).at(i), index_path(args_where, i)));
    } else {
        call.refs.push_back(parse_keras_tensor(args.at(0), args_where));
    }
    if (node.contains("kwargs")) read_call_kwargs(node.at("kwargs"), call, join_path(where, "kwargs"));
    return call;
}

// input_layers / output_layers: one triple, a list of triples (or of further lists) or a dict of them.
void parse_io(const nlohmann::json& value, const std::string& where, std::vector<std::pair<Ref, std::string>>& out) {
    if (is_triple(value)) {
        out.emplace_back(parse_triple(value, where, false), where);
    } else if (value.is_array()) {
        for (size_t i = 0; i < value.size(); ++i) parse_io(value.at(i), index_path(where, i), out);
    } else if (value.is_object()) {
        for (const auto& [key, item] : value.items()) parse_io(item, join_path(where, key), out);
    } else {
        throw ValueError(cat(where, ": expected [layer name, node index, tensor index], a list or a dict of them, got ",
                             value.dump()));
    }
}

// The graph being rebuilt: each layer by name and the outputs of its calls so far.
class Graph {
public:
    Graph(std::string path, bool legacy_nodes) : path_(std::move(path)), legacy_nodes_(legacy_nodes) {}

    void add_layer(const std::string& name, const LayerPtr& layer, const std::string& where) {
        if (!layers_.emplace(name, layer).second)
            throw ValueError(cat(where, ": the layer name '", name, "' is used by two entries"));
    }
    // The outputs of the next call of layer `name`.
    void add_call(const std::string& name, std::vector<SymbolicTensor> outputs) {
        outputs_[name].push_back(std::move(outputs));
    }

    // The tensor `ref` names, or nothing when that call has not been replayed yet. `io` marks input_layers and
    // output_layers references, where Keras 3 starts a nested Functional (not a Sequential) at 1. In legacy
    // nodes every nested model starts at 1 (its node 0 is its own graph).
    std::optional<SymbolicTensor> find(const Ref& ref, bool io, const std::string& where) const {
        const auto layer = layers_.find(ref.layer);
        if (layer == layers_.end())
            throw ValueError(cat(where, ": refers to layer '", ref.layer, "', which is not in the model"));
        const bool nested = dynamic_cast<const ModelLayer*>(layer->second.get()) != nullptr;
        const bool functional = dynamic_cast<const FunctionalLayer*>(layer->second.get()) != nullptr;
        const int64_t offset = nested && (legacy_nodes_ || (io && functional)) ? 1 : 0;
        const int64_t call = ref.node - offset;
        if (call < 0)
            throw ValueError(cat(where, ": node index ", ref.node, " of layer '", ref.layer,
                                 "' does not name a call of it", offset ? " (calls of a nested model start at 1)" : ""));
        const auto outputs = outputs_.find(ref.layer);
        if (outputs == outputs_.end() || call >= static_cast<int64_t>(outputs->second.size())) return std::nullopt;
        const std::vector<SymbolicTensor>& tensors = outputs->second[static_cast<size_t>(call)];
        if (ref.tensor < 0 || ref.tensor >= static_cast<int64_t>(tensors.size()))
            throw ValueError(cat(where, ": refers to output ", ref.tensor, " of node ", ref.node, " of layer '",
                                 ref.layer, "', which has ", tensors.size(), tensors.size() == 1 ? " output" : " outputs"));
        return tensors[static_cast<size_t>(ref.tensor)];
    }

    // Replays the calls of every pending layer whose inputs exist, in entry order, until none are left.
    void replay(std::vector<PendingLayer>& pending) {
        bool progress = true;
        while (progress) {
            progress = false;
            for (PendingLayer& p : pending)
                while (p.next < p.calls.size() && replay_one(p)) progress = true;
        }
        std::string unresolved;
        for (const PendingLayer& p : pending)
            for (size_t i = p.next; i < p.calls.size(); ++i)
                for (const Ref& ref : p.calls[i].refs)
                    if (!find(ref, false, p.calls[i].path))
                        unresolved += cat(unresolved.empty() ? "" : "; ", p.calls[i].path, " needs node ", ref.node,
                                          " of '", ref.layer, "'");
        if (!unresolved.empty())
            throw ValueError(cat(path_, ": the graph has a loop or refers to layer calls that do not exist: ",
                                 unresolved));
    }

private:
    bool replay_one(PendingLayer& p) {
        const Call& call = p.calls[p.next];
        try {
            std::vector<SymbolicTensor> args;
            for (const Ref& ref : call.refs) {
                std::optional<SymbolicTensor> t = find(ref, false, call.path);
                if (!t) return false;
                args.push_back(*t);
            }
            add_call(p.name, p.layer->call_outputs(args, call.multi, call.training));
        } catch (...) {
            rethrow_with_context(p.context);
        }
        ++p.next;
        return true;
    }

    std::string path_;
    bool legacy_nodes_;
    std::map<std::string, LayerPtr> layers_;
    std::map<std::string, std::vector<std::vector<SymbolicTensor>>> outputs_;
};

// Whether the config's nodes are in the legacy list form (else Keras 3 dicts, or no nodes at all).
bool has_legacy_nodes(const nlohmann::json& entries) {
    for (const auto& entry : entries)
        if (entry.is_object() && entry.contains("inbound_nodes") && entry.at("inbound_nodes").is_array())
            for (const auto& node : entry.at("inbound_nodes"))
                if (node.is_array()) return true;
    return false;
}

// The tensors input_layers or output_layers name.
std::vector<SymbolicTensor> resolve_io(const Graph& graph, const nlohmann::json& config, const std::string& path,
                                       const std::string& key) {
    std::vector<std::pair<Ref, std::string>> refs;
    parse_io(require(config, path, key), join_path(path, key), refs);
    std::vector<SymbolicTensor> tensors;
    for (const auto& [ref, where] : refs) {
        std::optional<SymbolicTensor> t = graph.find(ref, true, where);
        if (!t) throw ValueError(cat(where, ": layer '", ref.layer, "' has no node ", ref.node));
        tensors.push_back(*t);
    }
    return tensors;
}

}  // namespace

std::shared_ptr<FunctionalLayer> functional_from_config(const nlohmann::json& config, const std::string& path) {
    if (!config.is_object())
        throw ValueError(cat(path, ": a Functional config must be an object, got ", config.type_name()));
    check_keys(config, path, {"name", "trainable", "layers", "input_layers", "output_layers"});
    const bool trainable = read_model_trainable(config, path);
    const std::string name = read_model_name(config, path);
    const nlohmann::json& entries = require(config, path, "layers");
    if (!entries.is_array()) throw ValueError(cat(join_path(path, "layers"), ": expected a list of layers"));

    Graph graph(path, has_legacy_nodes(entries));
    std::vector<PendingLayer> pending;
    for (size_t i = 0; i < entries.size(); ++i) {
        const std::string entry_path = index_path(join_path(path, "layers"), i);
        LayerEntry entry = read_layer_entry(entries[i], entry_path, {"name", "inbound_nodes"});
        const nlohmann::json given_name = entries[i].value("name", nlohmann::json());
        if (!given_name.is_null() && !given_name.is_string())
            throw ValueError(cat(join_path(entry_path, "name"), ": expected a string, got ", given_name.dump()));
        const std::string layer_name = given_name.is_string() ? given_name.get<std::string>() : entry.layer->name();
        const std::string context = cat(entry_path, " (class '", entry.class_name, "', name '", layer_name, "')");
        graph.add_layer(layer_name, entry.layer, context);
        const nlohmann::json nodes = entries[i].value("inbound_nodes", nlohmann::json::array());
        const std::string nodes_path = join_path(entry_path, "inbound_nodes");
        if (!nodes.is_array()) throw ValueError(cat(nodes_path, ": expected a list, got ", nodes.dump()));
        if (auto input = std::dynamic_pointer_cast<layers::InputLayerLayer>(entry.layer)) {
            if (!nodes.empty()) throw ValueError(cat(context, ": an InputLayer has no inbound nodes"));
            graph.add_call(layer_name, {input_tensor(input)});
            continue;
        }
        PendingLayer p{layer_name, entry.layer, context};
        try {
            for (size_t n = 0; n < nodes.size(); ++n) {
                const std::string node_path = index_path(nodes_path, n);
                if (!nodes[n].is_array() && !nodes[n].is_object())
                    throw ValueError(cat(node_path, ": expected a list (legacy) or an {\"args\", \"kwargs\"} dict, got ",
                                         nodes[n].dump()));
                p.calls.push_back(nodes[n].is_array() ? parse_legacy_node(nodes[n], node_path)
                                                      : parse_keras3_node(nodes[n], node_path));
            }
        } catch (...) {
            rethrow_with_context(context);
        }
        pending.push_back(std::move(p));
    }
    graph.replay(pending);

    const std::vector<SymbolicTensor> inputs = resolve_io(graph, config, path, "input_layers");
    const std::vector<SymbolicTensor> outputs = resolve_io(graph, config, path, "output_layers");
    std::shared_ptr<FunctionalLayer> model;
    try {
        model = std::make_shared<FunctionalLayer>(inputs, outputs, LayerOptions{.name = name});
    } catch (...) {
        rethrow_with_context(path);
    }
    if (!trainable) model->set_trainable(false);
    return model;
}

}  // namespace kiln::serialization::detail
