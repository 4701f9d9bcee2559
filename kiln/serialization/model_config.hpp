// Model configs in the Keras JSON schema (shared/docs/keras_json_schema.md): writing the Keras 3 object form of a
// Sequential or Functional model, and reading every form Keras 1, Keras 2, tf.keras, tf.js and Keras 3 write.
//
//   std::string text = model.to_json();          // {"module": "keras", "class_name": "Sequential", ...}
//   Model again = model_from_json(text);         // same architecture, fresh weights
//   compile_from_config(again, serialization::compile_config(*model.layer()));
//
// Reading accepts: the tf.js wrapper {"modelTopology": {"model_config": ...}}, the legacy envelope {class_name,
// config, keras_version, backend}, the Keras 3 envelope {module, class_name, config, registered_name,
// build_config, compile_config}, and a bare get_config() dict (Functional when it has input_layers). Sequential
// configs may be a bare list (Keras 2.0), a dict without InputLayer whose first layer has batch_input_shape, a dict
// with an InputLayer first, or the Keras 3 dict. Functional configs (class "Functional" or "Model") may use legacy
// inbound_nodes ([name, node, tensor(, kwargs)] items) or Keras 3 ones ({"args", "kwargs"} with
// __keras_tensor__ references), in any entry order. Each nested object is read in the legacy {class_name, config}
// or the new {module, class_name, config, registered_name} form, decided per object.
//
// Node indices of nested models: Keras 2 counts a nested model's own node as node 0, so its calls start at 1; Keras
// 3 keras_history references count calls from 0, and Keras 3 input_layers/output_layers start a nested Functional
// (not a Sequential) at 1. Both are read, and written as Keras 3 writes them.
//
// dtype: "float32" as a string or a DTypePolicy/Policy dict. The mixed_float16 and mixed_bfloat16 policies keep
// float32 variables in Keras, so kiln accepts them and computes in float32 (re-saving writes float32); any other
// dtype raises NotImplementedError.
//
// Keys that are read and deliberately ignored (everything else unknown is an error naming the key and its path):
//   | where                        | key                                   | why                                        |
//   |------------------------------|---------------------------------------|--------------------------------------------|
//   | tf.js wrapper                | format, generatedBy, convertedBy,     | metadata and the weights list; weights are  |
//   |                              | weightsManifest, signature,           | read by the file loaders                    |
//   |                              | userDefinedMetadata, modelInitializer |                                            |
//   | envelopes                    | keras_version, backend                | provenance only                            |
//   | envelopes, layer entries     | build_config                          | recomputed by building the model           |
//   | envelopes, layer entries     | compile_config, training_config       | architecture only; see compile_from_config |
//   | any object                   | shared_object_id,                     | object sharing/passive markers of the      |
//   |                              | __passive_serialization__             | writers, opaque                            |
//   | legacy initializer configs   | dtype ("float32")                     | TF1 tf.keras wrote it; kiln is float32     |
//   | layer configs (not Input)    | batch_input_shape, input_shape        | become the Sequential model's input when it |
//   |                              |                                       | has none yet, else dropped (the graph has   |
//   |                              |                                       | the shapes)                                |
//   | InputLayer                   | sparse, ragged, optional = false      | true raises NotImplementedError            |
//   | Dropout with rate 0          | noise_shape that is not a list        | never used by Keras; real files hold it    |
//   | Sequential config            | build_input_shape                     | used as the input when no layer gives one  |
//   | inbound node kwargs          | mask                                  | masks are recomputed along the graph       |
//   | __keras_tensor__ config      | shape, dtype                          | recomputed by replaying the graph          |
//
// input_layers given as a dict (Keras 3 dict inputs) are taken in the order of their keys, sorted.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "kiln/models/model.hpp"
#include "kiln/models/model_layer.hpp"

namespace kiln {

// A model from the JSON text of any accepted form (CRLF line endings included). Malformed JSON raises ValueError
// with the parser's position; every other problem names the path inside the document, e.g.
// "config.layers[3] (class 'Foo', name 'foo')".
Model model_from_json(std::string_view text);
// A model from a parsed document of any accepted form.
Model model_from_config(const nlohmann::json& config);

// Compiles `model` from a compile config as serialization::compile_config writes it (Keras 3's
// get_compile_config): optimizer, loss and metrics by name or serialized form. loss_weights must be null and
// weighted_metrics null or empty; run_eagerly, steps_per_execution and jit_compile only tune Keras's execution and
// are accepted and ignored. An empty dict (Keras's form for an uncompiled model) leaves the model uncompiled.
void compile_from_config(const Model& model, const nlohmann::json& config);

}  // namespace kiln

namespace kiln::serialization {

// The Keras 3 object form of a model: {"module", "class_name", "config", "registered_name", "build_config",
// "compile_config" (only when compiled)}.
nlohmann::json serialize_model(const ModelLayer& model);
// The compile config of a compiled model (StateError when it is not compiled).
nlohmann::json compile_config(const ModelLayer& model);

}  // namespace kiln::serialization
