// The optimizer registry: reading each optimizer's Keras config, and case-insensitive lookup.
#include "kiln/optim/registry.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "kiln/optim/adagrad.hpp"
#include "kiln/optim/adam.hpp"
#include "kiln/optim/adamw.hpp"
#include "kiln/optim/detail/config.hpp"
#include "kiln/optim/rmsprop.hpp"
#include "kiln/optim/sgd.hpp"

namespace kiln::optim {

namespace {

using detail::ConfigReader;
using Ptr = std::shared_ptr<const Optimizer>;

// "learning_rate": a number, or a serialized schedule dict.
LearningRate read_learning_rate(ConfigReader& r, double fallback) {
    const nlohmann::json* v = r.find("learning_rate");
    if (!v) return fallback;
    if (v->is_object()) return schedules::deserialize(*v);
    if (!v->is_number()) r.wrong_type("learning_rate", "a number or a schedule dict", *v);
    return v->get<double>();
}

// The BaseOptimizer keys; "name" null or absent gives the class default.
OptimizerOptions read_common(ConfigReader& r) {
    OptimizerOptions o;
    o.name = detail::name(r, "");
    o.weight_decay = detail::optional_number(r, "weight_decay");
    o.clipnorm = detail::optional_number(r, "clipnorm");
    o.clipvalue = detail::optional_number(r, "clipvalue");
    o.global_clipnorm = detail::optional_number(r, "global_clipnorm");
    o.use_ema = detail::boolean(r, "use_ema", false);
    o.ema_momentum = r.number("ema_momentum", 0.99);
    o.ema_overwrite_frequency = detail::optional_integer(r, "ema_overwrite_frequency");
    o.loss_scale_factor = detail::optional_number(r, "loss_scale_factor");
    o.gradient_accumulation_steps = detail::optional_integer(r, "gradient_accumulation_steps");
    return o;
}

AdamOptions read_adam(ConfigReader& r) {
    return {read_learning_rate(r, 0.001), r.number("beta_1", 0.9), r.number("beta_2", 0.999),
            r.number("epsilon", 1e-7), detail::boolean(r, "amsgrad", false)};
}

const kiln::detail::Registry<Optimizer>& registry() {
    static const kiln::detail::Registry<Optimizer> instance(
        "optimizer", "keras.optimizers",
        {
            {"SGD",
             {"sgd"},
             [](ConfigReader& r) -> Ptr {
                 SGDOptions o{read_learning_rate(r, 0.01), r.number("momentum", 0.0),
                              detail::boolean(r, "nesterov", false)};
                 return std::make_shared<SGD>(o, read_common(r));
             }},
            {"Adam",
             {"adam"},
             [](ConfigReader& r) -> Ptr {
                 AdamOptions o = read_adam(r);
                 return std::make_shared<Adam>(o, read_common(r));
             }},
            {"AdamW",
             {"adamw"},
             [](ConfigReader& r) -> Ptr {
                 // Keras refuses AdamW(weight_decay=None); absent means the default 0.004.
                 const nlohmann::json* wd = r.find("weight_decay");
                 if (wd && wd->is_null()) r.wrong_type("weight_decay", "a number", *wd);
                 AdamOptions o = read_adam(r);
                 return std::make_shared<AdamW>(o, read_common(r));
             }},
            {"RMSprop",
             {"rmsprop"},
             [](ConfigReader& r) -> Ptr {
                 RMSpropOptions o{read_learning_rate(r, 0.001), r.number("rho", 0.9), r.number("momentum", 0.0),
                                  r.number("epsilon", 1e-7), detail::boolean(r, "centered", false)};
                 return std::make_shared<RMSprop>(o, read_common(r));
             }},
            {"Adagrad",
             {"adagrad"},
             [](ConfigReader& r) -> Ptr {
                 AdagradOptions o{read_learning_rate(r, 0.001), r.number("initial_accumulator_value", 0.1),
                                  r.number("epsilon", 1e-7)};
                 return std::make_shared<Adagrad>(o, read_common(r));
             }},
        });
    return instance;
}

// As Keras: a name whose lower case is a built-in alias is looked up in lower case; others stay as given.
std::string canonical(std::string_view name) {
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    for (std::string_view alias : {"sgd", "adam", "adamw", "rmsprop", "adagrad"})
        if (lower == alias) return lower;
    return std::string(name);
}

// The registry hands out const objects; every one is created non-const by the factories above.
OptimizerPtr mutable_ptr(Ptr p) { return std::const_pointer_cast<Optimizer>(std::move(p)); }

}  // namespace

OptimizerPtr get(std::string_view name) { return mutable_ptr(registry().get(canonical(name))); }

OptimizerPtr deserialize(const nlohmann::json& j) {
    if (j.is_string()) return get(j.get<std::string>());
    if (j.is_object() && j.contains("class_name") && j["class_name"].is_string()) {
        nlohmann::json copy = j;
        copy["class_name"] = canonical(j["class_name"].get<std::string>());
        return mutable_ptr(registry().deserialize(copy));
    }
    return mutable_ptr(registry().deserialize(j));
}

OptimizerPtr from_config(std::string_view class_name, const nlohmann::json& config) {
    return deserialize({{"class_name", class_name}, {"config", config}});
}

nlohmann::json serialize(const Optimizer& optimizer) { return registry().serialize(optimizer); }

}  // namespace kiln::optim
