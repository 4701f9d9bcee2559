// Where Keras 3 keeps each layer's variables in a weights store (a .weights.h5 file, or model.weights.h5 inside a
// .keras archive): the root model at "vars", each layer of a Sequential or Functional model at
// "layers/<snake_case class name>[_n]/vars", numbered per class within its model, nested models recursing into
// ".../layers/...". The user's layer names play no part. Variables are stored as vars/0, vars/1, ... in the
// order the layer created them, trainable ones first.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kiln/core/variable.hpp"
#include "kiln/layers/layer.hpp"
#include "kiln/layers/wrapper.hpp"
#include "kiln/models/model_layer.hpp"

namespace kiln::serialization::detail {

// Keras's naming.to_snake_case: "Conv2D" -> "conv2d", "BatchNormalization" -> "batch_normalization",
// "ReLU" -> "re_lu".
std::string to_snake_case(std::string_view class_name);

// One step down a model's layer list: the snake_case class name and the layer's count among the layers of that
// class before it in the same list (0 for the first), giving the key "dense" (0) or "dense_2" (2). Or, with
// `attribute`, the attribute a layer keeps a sublayer under (a Wrapper's "layer"), a path step of its own.
struct LayerKey {
    std::string base{};
    int index{};
    bool attribute = false;

    std::string name() const;
};

// A layer (or the root model) and the variables Keras saves for it.
struct Saveable {
    std::vector<LayerKey> keys{};  // empty for the root model
    const Layer* layer{};
    std::vector<Variable> variables{};
};

// The variables a layer keeps itself (Layer::own_weights: created or adopted, not its sublayers').
std::vector<Variable> own_variables(const Layer& layer);

// The root model, then every layer depth-first in Keras's order (Sequential without its InputLayer, Functional
// with them; a wrapper's layer right after the wrapper, under the attribute "layer"); a layer reached twice is
// listed once, at its first place. StateError when a layer is not built.
std::vector<Saveable> saveables(const ModelLayer& model);

// "layers/dense_1/layers/conv2d" for keys {dense_1, conv2d}, with `container` in place of "layers"; "" for none.
// An attribute key adds its name alone: "layers/spectral_normalization/layer".
std::string layer_path(const std::vector<LayerKey>& keys, const std::string& container = "layers");

// The path of the vars group of a layer at `layer_group` ("" for the root: "vars").
std::string vars_path(const std::string& layer_group);

}  // namespace kiln::serialization::detail
