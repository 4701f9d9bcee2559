// The compile config (Keras 3's get_compile_config / compile_from_config): what compile() was given, in the
// serialized forms of the optimizer, loss and metrics.
#include "kiln/core/errors.hpp"
#include "kiln/models/training_state.hpp"
#include "kiln/optim/registry.hpp"
#include "kiln/serialization/detail/reading.hpp"
#include "kiln/serialization/model_config.hpp"

namespace kiln {
namespace {

MetricArg read_metric(const nlohmann::json& metric) {
    if (metric.is_string()) return metric.get<std::string>();
    if (metric.is_object()) return metrics::deserialize(metric);
    throw NotImplementedError(cat("metrics: expected names or serialized metrics, got ", metric.dump()));
}

// One entry: a metric, or a list of metrics for one output.
MetricsEntry read_metrics_entry(const nlohmann::json& value) {
    if (value.is_null()) return MetricsEntry(std::vector<MetricArg>{});  // Keras: no metrics for this output
    if (!value.is_array()) return MetricsEntry(read_metric(value));
    std::vector<MetricArg> list;
    for (const auto& metric : value) list.push_back(read_metric(metric));
    return MetricsEntry(std::move(list));
}

MetricsArg read_metrics(const nlohmann::json& value) {
    if (value.is_null()) return {};
    if (value.is_object()) {
        MetricsByOutput by_name;
        for (const auto& [name, entry] : value.items())
            if (!entry.is_null()) by_name.emplace(name, read_metrics_entry(entry));
        return by_name;
    }
    if (!value.is_array())
        throw ValueError(cat("metrics: expected null, a list or a dict by output name, got ", value.dump()));
    std::vector<MetricsEntry> entries;
    for (const auto& entry : value) entries.push_back(read_metrics_entry(entry));
    return entries;
}

LossArg read_loss(const nlohmann::json& value) {
    if (value.is_null()) return {};
    if (value.is_string()) return value.get<std::string>();
    if (value.is_object()) return losses::deserialize(value);
    throw ValueError(cat("loss: expected a name, a serialized loss or null, got ", value.dump()));
}

// A single loss, a list by output position, or a dict by output name (as Keras 3 writes them).
LossesArg read_losses(const nlohmann::json& value) {
    if (value.is_null()) return {};
    if (value.is_array()) {
        std::vector<LossArg> list;
        for (const auto& loss : value) list.push_back(read_loss(loss));
        return list;
    }
    if (value.is_object() && !value.contains("class_name")) {
        std::map<std::string, LossArg> by_name;
        for (const auto& [name, loss] : value.items()) by_name.emplace(name, read_loss(loss));
        return by_name;
    }
    return read_loss(value);
}

double read_weight(const nlohmann::json& value) {
    if (!value.is_number()) throw ValueError(cat("loss_weights: expected numbers, got ", value.dump()));
    return value.get<double>();
}

LossWeightsArg read_loss_weights(const nlohmann::json& value) {
    if (value.is_null()) return {};
    if (value.is_number()) return std::vector<double>{read_weight(value)};
    if (value.is_array()) {
        std::vector<double> list;
        for (const auto& w : value) list.push_back(read_weight(w));
        return list;
    }
    if (value.is_object()) {
        std::map<std::string, double> by_name;
        for (const auto& [name, w] : value.items()) by_name.emplace(name, read_weight(w));
        return by_name;
    }
    throw ValueError(cat("loss_weights: expected null, a number, a list or a dict, got ", value.dump()));
}

nlohmann::json write_loss(const LossArg& loss) {
    if (loss.loss()) return losses::serialize(*loss.loss());
    return loss.name().empty() ? nlohmann::json(nullptr) : nlohmann::json(loss.name());
}

nlohmann::json write_losses(const LossesArg& arg) {
    if (arg.one()) return write_loss(*arg.one());
    if (!arg.list().empty()) {
        nlohmann::json out = nlohmann::json::array();
        for (const LossArg& loss : arg.list()) out.push_back(write_loss(loss));
        return out;
    }
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [name, loss] : arg.map()) out[name] = write_loss(loss);
    return out;
}

nlohmann::json write_loss_weights(const LossWeightsArg& arg) {
    if (!arg.given()) return nullptr;
    if (!arg.list().empty()) return arg.list();
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [name, w] : arg.map()) out[name] = w;
    return out;
}

nlohmann::json write_metric(const MetricArg& metric) {
    return metric.metric() ? metrics::serialize(*metric.metric()) : nlohmann::json(metric.name());
}

nlohmann::json write_metrics_entry(const MetricsEntry& entry) {
    if (!entry.is_list()) return write_metric(entry.metrics().at(0));
    nlohmann::json out = nlohmann::json::array();
    for (const MetricArg& m : entry.metrics()) out.push_back(write_metric(m));
    return out;
}

nlohmann::json write_metrics(const MetricsArg& arg) {
    if (arg.empty()) return nullptr;
    if (arg.is_map()) {
        nlohmann::json out = nlohmann::json::object();
        for (const auto& [name, entry] : arg.map()) out[name] = write_metrics_entry(entry);
        return out;
    }
    nlohmann::json out = nlohmann::json::array();
    for (const MetricsEntry& entry : arg.list()) out.push_back(write_metrics_entry(entry));
    return out;
}

void check_type(const nlohmann::json& config, const char* key, bool ok, const char* expected) {
    if (config.contains(key) && !config.at(key).is_null() && !ok)
        throw ValueError(cat(key, ": expected ", expected, ", got ", config.at(key).dump()));
}

}  // namespace

void compile_from_config(const Model& model, const nlohmann::json& config) {
    if (!config.is_object()) throw ValueError(cat("compile_config: expected an object, got ", config.dump()));
    if (config.empty()) return;  // Keras 3 writes {} for a model that was not compiled
    serialization::detail::check_keys(config, "compile_config",
                                      {"optimizer", "loss", "loss_weights", "metrics", "weighted_metrics",
                                       "run_eagerly", "steps_per_execution", "jit_compile"});
    CompileOptions options;
    try {
        auto value = [&config](const char* key) { return config.value(key, nlohmann::json()); };
        if (!value("optimizer").is_null()) options.optimizer = optim::deserialize(value("optimizer"));
        options.loss = read_losses(value("loss"));
        options.loss_weights = read_loss_weights(value("loss_weights"));
        options.metrics = read_metrics(value("metrics"));
        const nlohmann::json weighted = value("weighted_metrics");
        if (!weighted.is_null() && weighted != nlohmann::json::array())
            throw NotImplementedError(cat("weighted_metrics: only null or [] is supported, got ", weighted.dump()));
        // Execution settings of Keras; kiln always runs eagerly, one step at a time.
        check_type(config, "run_eagerly", value("run_eagerly").is_boolean(), "true or false");
        check_type(config, "steps_per_execution", value("steps_per_execution").is_number_integer(), "an integer");
        check_type(config, "jit_compile", value("jit_compile").is_boolean() || value("jit_compile") == "auto",
                   "true, false or \"auto\"");
        model.compile(options);
    } catch (...) {
        serialization::detail::rethrow_with_context("compile_config");
    }
}

namespace serialization {

nlohmann::json compile_config(const ModelLayer& model) {
    if (!model.training_state)
        throw StateError(cat(model.describe(), ": compile_config: the model is not compiled"));
    const TrainingState& state = *model.training_state;
    return {{"optimizer", optim::serialize(*state.optimizer)},
            {"loss", write_losses(state.requested_loss)},
            {"loss_weights", write_loss_weights(state.requested_loss_weights)},
            {"metrics", write_metrics(state.requested_metrics)},
            {"weighted_metrics", nullptr},
            {"run_eagerly", false},
            {"steps_per_execution", 1},
            {"jit_compile", false}};
}

}  // namespace serialization
}  // namespace kiln
