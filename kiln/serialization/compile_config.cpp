// The compile config (Keras 3's get_compile_config / compile_from_config): what compile() was given, in the
// serialized forms of the optimizer, loss and metrics.
#include "kiln/core/errors.hpp"
#include "kiln/models/training_state.hpp"
#include "kiln/optim/registry.hpp"
#include "kiln/serialization/detail/reading.hpp"
#include "kiln/serialization/model_config.hpp"

namespace kiln {
namespace {

// A loss or metric as compile() was given it: its name, or the serialized object.
template <class Arg, class Serialize>
nlohmann::json named_or_serialized(const Arg& arg, const std::string& name, Serialize serialize) {
    return arg ? serialize(*arg) : nlohmann::json(name);
}

std::vector<MetricArg> read_metrics(const nlohmann::json& value) {
    std::vector<MetricArg> out;
    if (value.is_null()) return out;
    if (!value.is_array())
        throw NotImplementedError(cat("metrics: expected null or a list (kiln models have one output), got ",
                                      value.dump()));
    for (const auto& metric : value) {
        if (metric.is_string())
            out.emplace_back(metric.get<std::string>());
        else if (metric.is_object())
            out.emplace_back(metrics::deserialize(metric));
        else
            throw NotImplementedError(cat("metrics: expected names or serialized metrics, got ", metric.dump()));
    }
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
        if (value("loss").is_string())
            options.loss = value("loss").get<std::string>();
        else if (!value("loss").is_null())
            options.loss = losses::deserialize(value("loss"));
        options.metrics = read_metrics(value("metrics"));
        if (!value("loss_weights").is_null())
            throw NotImplementedError(cat("loss_weights: only null is supported, got ", value("loss_weights").dump()));
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
    nlohmann::json metric_configs = nullptr;
    for (const MetricArg& metric : state.requested_metrics) {
        if (metric_configs.is_null()) metric_configs = nlohmann::json::array();
        metric_configs.push_back(named_or_serialized(metric.metric(), metric.name(),
                                                     [](const metrics::Metric& m) { return metrics::serialize(m); }));
    }
    const LossArg& loss = state.requested_loss;
    return {{"optimizer", optim::serialize(*state.optimizer)},
            {"loss", named_or_serialized(loss.loss(), loss.name(), [](const losses::Loss& l) { return losses::serialize(l); })},
            {"loss_weights", nullptr},
            {"metrics", metric_configs},
            {"weighted_metrics", nullptr},
            {"run_eagerly", false},
            {"steps_per_execution", 1},
            {"jit_compile", false}};
}

}  // namespace serialization
}  // namespace kiln
