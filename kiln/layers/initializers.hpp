// Initializers: the starting values of layer weights, as keras.initializers (Keras 3 names, defaults, formulas and
// configs). A seeded random initializer returns the same tensor on every call; an unseeded one draws a fresh seed
// from next_random_seed() on every call, so set_random_seed() makes a sequence of calls reproducible.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiln/core/shape.hpp"
#include "kiln/core/tensor.hpp"

namespace kiln {

// Base of every initializer: a stateless function from a shape to a tensor, with a Keras config.
class Initializer {
public:
    virtual ~Initializer() = default;
    // A new tensor of `shape`.
    virtual Tensor operator()(const Shape& shape) const = 0;
    // The Keras 3 class name, e.g. "GlorotUniform".
    virtual std::string class_name() const = 0;
    // The Keras 3 config dict (the constructor arguments); {} by default.
    virtual nlohmann::json get_config() const { return nlohmann::json::object(); }
};

using InitializerPtr = std::shared_ptr<const Initializer>;

// All zeros.
class Zeros : public Initializer {
public:
    Tensor operator()(const Shape& shape) const override;
    std::string class_name() const override { return "Zeros"; }
};

// All ones.
class Ones : public Initializer {
public:
    Tensor operator()(const Shape& shape) const override;
    std::string class_name() const override { return "Ones"; }
};

// Every element equal to `value`.
class Constant : public Initializer {
public:
    explicit Constant(double value = 0.0) : value_(value) {}
    Tensor operator()(const Shape& shape) const override;
    std::string class_name() const override { return "Constant"; }
    nlohmann::json get_config() const override { return {{"value", value_}}; }
    double value() const { return value_; }

private:
    double value_;
};

// Base of the random initializers: holds the optional seed and picks the seed of each call.
class RandomInitializer : public Initializer {
public:
    const std::optional<uint64_t>& seed() const { return seed_; }

protected:
    explicit RandomInitializer(std::optional<uint64_t> seed) : seed_(seed) {}
    // The explicit seed, or a fresh one from next_random_seed().
    uint64_t call_seed() const;
    // {"seed": null or the seed}.
    nlohmann::json seed_config() const;

private:
    std::optional<uint64_t> seed_;
};

// Arguments of RandomNormal and TruncatedNormal.
struct NormalOptions {
    double mean = 0.0;
    double stddev = 0.05;  // must be >= 0
    std::optional<uint64_t> seed = std::nullopt;  // none: a fresh seed per call
};

// Normal samples with `mean` and `stddev`.
class RandomNormal : public RandomInitializer {
public:
    explicit RandomNormal(NormalOptions options = {});
    Tensor operator()(const Shape& shape) const override;
    std::string class_name() const override { return "RandomNormal"; }
    nlohmann::json get_config() const override;
    const NormalOptions& options() const { return options_; }

private:
    NormalOptions options_;
};

// Normal samples with `mean` and `stddev`, redrawn when further than 2 stddev from the mean.
class TruncatedNormal : public RandomInitializer {
public:
    explicit TruncatedNormal(NormalOptions options = {});
    Tensor operator()(const Shape& shape) const override;
    std::string class_name() const override { return "TruncatedNormal"; }
    nlohmann::json get_config() const override;
    const NormalOptions& options() const { return options_; }

private:
    NormalOptions options_;
};

// Arguments of RandomUniform.
struct RandomUniformOptions {
    double minval = -0.05;
    double maxval = 0.05;  // must be >= minval
    std::optional<uint64_t> seed = std::nullopt;  // none: a fresh seed per call
};

// Uniform samples in [minval, maxval).
class RandomUniform : public RandomInitializer {
public:
    explicit RandomUniform(RandomUniformOptions options = {});
    Tensor operator()(const Shape& shape) const override;
    std::string class_name() const override { return "RandomUniform"; }
    nlohmann::json get_config() const override;
    const RandomUniformOptions& options() const { return options_; }

private:
    RandomUniformOptions options_;
};

// The axes of a weight shape whose sizes multiply to its fan-in and fan-out, for kernels whose layout is not
// (..., in, out) (Keras 3.15's input_axes/output_axes). Negative axes count from the end.
struct FanAxes {
    std::vector<int64_t> input_axes{};
    std::vector<int64_t> output_axes{};
};

// Arguments of VarianceScaling.
struct VarianceScalingOptions {
    double scale = 1.0;                           // must be > 0
    std::string mode = "fan_in";                  // "fan_in", "fan_out" or "fan_avg"
    std::string distribution = "truncated_normal";  // "truncated_normal", "untruncated_normal" or "uniform"
    std::optional<uint64_t> seed = std::nullopt;  // none: a fresh seed per call
    std::optional<FanAxes> fan_axes = std::nullopt;  // none: initializers::compute_fans(shape)
};

// Samples scaled to the shape: with n = fan_in, fan_out or their mean (by mode, at least 1), a normal with stddev
// sqrt(scale / n) (after truncation at 2 stddev for "truncated_normal") or a uniform in +-sqrt(3 * scale / n).
// `distribution` is lower-cased and Keras's legacy "normal" means "truncated_normal".
class VarianceScaling : public RandomInitializer {
public:
    explicit VarianceScaling(VarianceScalingOptions options = {});
    Tensor operator()(const Shape& shape) const override;
    std::string class_name() const override { return "VarianceScaling"; }
    nlohmann::json get_config() const override;
    const VarianceScalingOptions& options() const { return options_; }

private:
    VarianceScalingOptions options_;
};

// A VarianceScaling with fixed arguments under its own Keras name; its config holds the seed and, when given, the
// fan axes.
class VarianceScalingPreset : public VarianceScaling {
public:
    std::string class_name() const override { return name_; }
    nlohmann::json get_config() const override;

protected:
    VarianceScalingPreset(std::string name, double scale, std::string mode, std::string distribution,
                          std::optional<uint64_t> seed, std::optional<FanAxes> fan_axes);

private:
    std::string name_;
};

// Uniform in +-sqrt(6 / (fan_in + fan_out)).
class GlorotUniform : public VarianceScalingPreset {
public:
    explicit GlorotUniform(std::optional<uint64_t> seed = std::nullopt, std::optional<FanAxes> fan_axes = std::nullopt)
        : VarianceScalingPreset("GlorotUniform", 1.0, "fan_avg", "uniform", seed, std::move(fan_axes)) {}
};

// Truncated normal with stddev sqrt(2 / (fan_in + fan_out)).
class GlorotNormal : public VarianceScalingPreset {
public:
    explicit GlorotNormal(std::optional<uint64_t> seed = std::nullopt, std::optional<FanAxes> fan_axes = std::nullopt)
        : VarianceScalingPreset("GlorotNormal", 1.0, "fan_avg", "truncated_normal", seed, std::move(fan_axes)) {}
};

// Truncated normal with stddev sqrt(2 / fan_in).
class HeNormal : public VarianceScalingPreset {
public:
    explicit HeNormal(std::optional<uint64_t> seed = std::nullopt, std::optional<FanAxes> fan_axes = std::nullopt)
        : VarianceScalingPreset("HeNormal", 2.0, "fan_in", "truncated_normal", seed, std::move(fan_axes)) {}
};

// Uniform in +-sqrt(6 / fan_in).
class HeUniform : public VarianceScalingPreset {
public:
    explicit HeUniform(std::optional<uint64_t> seed = std::nullopt, std::optional<FanAxes> fan_axes = std::nullopt)
        : VarianceScalingPreset("HeUniform", 2.0, "fan_in", "uniform", seed, std::move(fan_axes)) {}
};

// Truncated normal with stddev sqrt(1 / fan_in).
class LecunNormal : public VarianceScalingPreset {
public:
    explicit LecunNormal(std::optional<uint64_t> seed = std::nullopt, std::optional<FanAxes> fan_axes = std::nullopt)
        : VarianceScalingPreset("LecunNormal", 1.0, "fan_in", "truncated_normal", seed, std::move(fan_axes)) {}
};

// Uniform in +-sqrt(3 / fan_in).
class LecunUniform : public VarianceScalingPreset {
public:
    explicit LecunUniform(std::optional<uint64_t> seed = std::nullopt, std::optional<FanAxes> fan_axes = std::nullopt)
        : VarianceScalingPreset("LecunUniform", 1.0, "fan_in", "uniform", seed, std::move(fan_axes)) {}
};

namespace initializers {

// Fan-in and fan-out of a weight shape.
struct Fans {
    int64_t fan_in;
    int64_t fan_out;
};

// As Keras: rank 0 gives (1, 1); rank 1 (n, n); rank 2 (shape[0], shape[1]); higher ranks multiply shape[-2] and
// shape[-1] by the receptive field, the product of the other dimensions (a conv kernel [kh, kw, in, out]).
Fans compute_fans(const Shape& shape);
// The products of the sizes on the given axes; ShapeError names an axis outside the shape.
Fans compute_fans(const Shape& shape, const FanAxes& axes);

// A default-configured initializer by Keras name: a class name ("GlorotUniform") or its snake_case name
// ("glorot_uniform"; also Keras's aliases "zero", "one", "normal", "uniform"). Throws ValueError when unknown.
InitializerPtr get(std::string_view name);

// From a name string, a Keras 3 dict {"module": "keras.initializers", "class_name", "config", "registered_name"}
// or a legacy Keras 2 dict {"class_name", "config"}. Throws ValueError on unknown names or config keys.
InitializerPtr deserialize(const nlohmann::json& j);

// The Keras 3 dict form of `initializer`.
nlohmann::json serialize(const Initializer& initializer);

}  // namespace initializers

}  // namespace kiln
