// Internal: config and option handling shared by layers. The kernel/bias family (activation, use_bias, kernel and
// bias initializers, regularizers and constraints) is identical in Dense and Conv2D, and the gamma/beta family
// (initializers, regularizers, constraints) in the normalization layers, so their defaults, validation,
// get_config and from_config live here once; the helpers read the options' members by their Keras names.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiln/core/errors.hpp"
#include "kiln/layers/activations.hpp"
#include "kiln/layers/config_reader.hpp"
#include "kiln/layers/constraints.hpp"
#include "kiln/layers/initializers.hpp"
#include "kiln/layers/regularizers.hpp"

namespace kiln::layers::detail {

// Reads `key`, which kiln supports only at its Keras default: absent, null or equal to `fallback` passes;
// any other value raises NotImplementedError naming the key.
void read_unsupported(ConfigReader& r, const std::string& key, const nlohmann::json& fallback = nullptr);

// A layer's `axis` argument (one axis or a list, as Keras takes it) as a list.
std::vector<int64_t> axis_list(const std::variant<int64_t, std::vector<int64_t>>& axis);

// The Keras 3 dict of an optional regularizer or constraint; null when absent.
nlohmann::json optional_config(const RegularizerPtr& regularizer);
nlohmann::json optional_config(const ConstraintPtr& constraint);

// Fills the default initializers (glorot_uniform kernel, zeros bias), stores the activation under its Keras
// name and refuses an activity_regularizer (NotImplementedError); `who` names the layer in errors.
template <class Options>
void prepare_kernel_bias_options(Options& o, const std::string& who) {
    if (!o.kernel_initializer) o.kernel_initializer = initializers::get("glorot_uniform");
    if (!o.bias_initializer) o.bias_initializer = initializers::get("zeros");
    o.activation = activations::canonical_name(o.activation, who);
    if (o.activity_regularizer)
        throw NotImplementedError(cat(who, ": activity_regularizer is not supported by kiln (yet)"));
}

// Writes activation, use_bias, the initializers, regularizers and constraints in Keras 3 order. With
// `activity_regularizer_key` (Keras 3 convolutions always write it) "activity_regularizer": null goes between
// the regularizers and the constraints.
template <class Options>
void write_kernel_bias_config(nlohmann::json& config, const Options& o, bool activity_regularizer_key) {
    config["activation"] = o.activation;
    config["use_bias"] = o.use_bias;
    config["kernel_initializer"] = initializers::serialize(*o.kernel_initializer);
    config["bias_initializer"] = initializers::serialize(*o.bias_initializer);
    config["kernel_regularizer"] = optional_config(o.kernel_regularizer);
    config["bias_regularizer"] = optional_config(o.bias_regularizer);
    if (activity_regularizer_key) config["activity_regularizer"] = nullptr;
    config["kernel_constraint"] = optional_config(o.kernel_constraint);
    config["bias_constraint"] = optional_config(o.bias_constraint);
}

// Reads the keys write_kernel_bias_config writes, plus the LoRA keys Keras 3 writes when LoRA is enabled
// (only their null defaults are accepted, as is a null activity_regularizer).
template <class Options>
void read_kernel_bias_config(ConfigReader& r, Options& o) {
    o.activation = r.string("activation", o.activation);
    o.use_bias = r.boolean("use_bias", o.use_bias);
    o.kernel_initializer = r.initializer("kernel_initializer", "glorot_uniform");
    o.bias_initializer = r.initializer("bias_initializer", "zeros");
    o.kernel_regularizer = r.regularizer("kernel_regularizer");
    o.bias_regularizer = r.regularizer("bias_regularizer");
    o.kernel_constraint = r.constraint("kernel_constraint");
    o.bias_constraint = r.constraint("bias_constraint");
    for (const char* key : {"activity_regularizer", "lora_rank", "lora_alpha"}) read_unsupported(r, key);
}

// Fills the default initializers of the gamma/beta family: ones for gamma, zeros for beta.
template <class Options>
void prepare_gamma_beta_options(Options& o) {
    if (!o.gamma_initializer) o.gamma_initializer = initializers::get("ones");
    if (!o.beta_initializer) o.beta_initializer = initializers::get("zeros");
}

// Writes the gamma/beta initializers, regularizers and constraints.
template <class Options>
void write_gamma_beta_config(nlohmann::json& config, const Options& o) {
    config["beta_initializer"] = initializers::serialize(*o.beta_initializer);
    config["gamma_initializer"] = initializers::serialize(*o.gamma_initializer);
    config["beta_regularizer"] = optional_config(o.beta_regularizer);
    config["gamma_regularizer"] = optional_config(o.gamma_regularizer);
    config["beta_constraint"] = optional_config(o.beta_constraint);
    config["gamma_constraint"] = optional_config(o.gamma_constraint);
}

// Reads the keys write_gamma_beta_config writes.
template <class Options>
void read_gamma_beta_config(ConfigReader& r, Options& o) {
    o.beta_initializer = r.initializer("beta_initializer", "zeros");
    o.gamma_initializer = r.initializer("gamma_initializer", "ones");
    o.beta_regularizer = r.regularizer("beta_regularizer");
    o.gamma_regularizer = r.regularizer("gamma_regularizer");
    o.beta_constraint = r.constraint("beta_constraint");
    o.gamma_constraint = r.constraint("gamma_constraint");
}

}  // namespace kiln::layers::detail
