// Internal: what the model-config readers share: paths and error context, key checks, and reading one layer entry
// of a Sequential or Functional config (nested models included).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/layers/input_layer.hpp"
#include "kiln/models/functional.hpp"
#include "kiln/models/sequential.hpp"

namespace kiln::serialization::detail {

// A batch shape as configs write it: batch first, nullopt for a size that is not fixed.
using BatchShape = std::vector<std::optional<int64_t>>;

// "config.layers" from ("config", "layers"); a key of the root has no leading dot.
std::string join_path(const std::string& path, std::string_view key);
// "config.layers[3]".
std::string index_path(const std::string& path, size_t index);

// Rethrows the exception in flight with the same kiln error type (other exceptions become ValueError) and
// "<context>: " before its message. Call only inside a catch block.
[[noreturn]] void rethrow_with_context(const std::string& context);

// The deepest nesting of arrays and objects a model config may have. Real configs stay below 30 even with models
// nested in models; the readers recurse once per nested model, so a bound keeps a hostile file off the stack's end.
inline constexpr int kMaxJsonDepth = 512;
// ValueError naming `where` when `json` nests deeper than kMaxJsonDepth (measured without recursion).
void check_json_depth(const nlohmann::json& json, const std::string& where);
// The JSON in `text`, depth-checked; ValueError naming `where` for malformed JSON.
nlohmann::json parse_json(std::string_view text, const std::string& where);

// ValueError naming `path` and the key when `object` (which must be a JSON object) has a key not in `allowed`.
void check_keys(const nlohmann::json& object, const std::string& path, std::initializer_list<std::string_view> allowed);
// The JSON object at `object[key]`; ValueError naming the path when absent or not an object.
const nlohmann::json& require(const nlohmann::json& object, const std::string& path, const std::string& key);

// A JSON batch shape: a non-empty list of integers >= 0 or nulls.
BatchShape parse_batch_shape(const nlohmann::json& value, const std::string& where);
// The symbolic tensor an InputLayer produces, as layers::Input makes it (-1 for sizes not fixed).
SymbolicTensor input_tensor(const std::shared_ptr<layers::InputLayerLayer>& layer);
// An InputLayer of `batch_shape` named `name`.
std::shared_ptr<layers::InputLayerLayer> make_input_layer(const BatchShape& batch_shape, const std::string& name);

// One layer read from a model's "layers" list.
struct LayerEntry {
    LayerPtr layer;
    std::string class_name;
    std::optional<BatchShape> input_shape{};  // from a legacy batch_input_shape or input_shape key
};

// Reads the entry at `path`: checks its keys (the object-form keys plus `extra_keys`), normalizes legacy forms
// (legacy_config.hpp) and builds the layer; Sequential, Functional and Model entries go to the readers below.
// Errors name "<path> (class 'X', name 'y')".
LayerEntry read_layer_entry(const nlohmann::json& entry, const std::string& path,
                            std::initializer_list<std::string_view> extra_keys);

// The readers of a model's "config" value at `path` (a Sequential config may be a bare list).
std::shared_ptr<SequentialLayer> sequential_from_config(const nlohmann::json& config, const std::string& path);
std::shared_ptr<FunctionalLayer> functional_from_config(const nlohmann::json& config, const std::string& path);

// Whether `class_name` names a model class: Sequential, Functional or Model.
bool is_model_class(std::string_view class_name);
// Reads the model-level trainable/dtype keys shared by both model configs; `path` names them in errors.
bool read_model_trainable(const nlohmann::json& config, const std::string& path);
// The "name" of a model config: a string, or "" when absent or null (an automatic name).
std::string read_model_name(const nlohmann::json& config, const std::string& path);

}  // namespace kiln::serialization::detail
