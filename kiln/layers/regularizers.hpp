// Regularizers: weight penalties added to a model's loss, as keras.regularizers (Keras 3 names, defaults and configs).
// A penalty is a rank-0 tensor computed with kiln ops, so it is differentiable on a GradientTape.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "kiln/core/tensor.hpp"

namespace kiln {

// Base of every regularizer: a stateless function from a weight to a scalar penalty, with a Keras config.
class Regularizer {
public:
    virtual ~Regularizer() = default;
    // The penalty of `weight`, a rank-0 tensor.
    virtual Tensor operator()(const Tensor& weight) const = 0;
    // The Keras 3 class name, e.g. "L1L2".
    virtual std::string class_name() const = 0;
    // The Keras 3 config dict.
    virtual nlohmann::json get_config() const = 0;
};

using RegularizerPtr = std::shared_ptr<const Regularizer>;

// l1 * sum(|w|); l1 must be a finite number >= 0.
class L1 : public Regularizer {
public:
    explicit L1(double l1 = 0.01);
    Tensor operator()(const Tensor& weight) const override;
    std::string class_name() const override { return "L1"; }
    nlohmann::json get_config() const override { return {{"l1", l1_}}; }
    double l1() const { return l1_; }

private:
    double l1_;
};

// l2 * sum(w^2) (no factor 1/2, as Keras); l2 must be a finite number >= 0.
class L2 : public Regularizer {
public:
    explicit L2(double l2 = 0.01);
    Tensor operator()(const Tensor& weight) const override;
    std::string class_name() const override { return "L2"; }
    nlohmann::json get_config() const override { return {{"l2", l2_}}; }
    double l2() const { return l2_; }

private:
    double l2_;
};

// l1 * sum(|w|) + l2 * sum(w^2), each term only when its factor is nonzero; both factors finite and >= 0.
class L1L2 : public Regularizer {
public:
    explicit L1L2(double l1 = 0.0, double l2 = 0.0);
    Tensor operator()(const Tensor& weight) const override;
    std::string class_name() const override { return "L1L2"; }
    nlohmann::json get_config() const override { return {{"l1", l1_}, {"l2", l2_}}; }
    double l1() const { return l1_; }
    double l2() const { return l2_; }

private:
    double l1_;
    double l2_;
};

namespace regularizers {

// A default-configured regularizer by Keras name: "l1", "l2", "l1_l2" or a class name ("L1", "L2", "L1L2").
// Throws ValueError when unknown.
RegularizerPtr get(std::string_view name);

// From a name string, a Keras 3 dict {"module": "keras.regularizers", "class_name", "config", "registered_name"}
// or a legacy Keras 2 dict {"class_name", "config"} (class_name "l1_l2" accepted too). Throws ValueError on
// unknown names or config keys and on invalid factors.
RegularizerPtr deserialize(const nlohmann::json& j);

// The Keras 3 dict form of `regularizer`.
nlohmann::json serialize(const Regularizer& regularizer);

}  // namespace regularizers

}  // namespace kiln
