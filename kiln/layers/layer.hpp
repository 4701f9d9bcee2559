// Layer: the base class every kiln layer (and Model) derives from, and the contract a new layer follows.
//
// The contract:
// - Construction stores options only; no variables exist yet. A layer gets a unique name ("dense", "dense_1",
//   ...) unless the user gives one.
// - build(input_shape) runs once, on the first call, with the full input shape (batch first). It creates the
//   layer's variables with add_weight(); the layer owns them. build() must not depend on the batch size.
// - call(inputs, ctx) computes the output with kiln ops (so the tape sees it). ctx.training is already
//   resolved: the explicit argument of this call, else the value of the enclosing layer's call, else false
//   (inference). ctx.mask is the optional mask (empty when absent).
// - compute_output_shape(input_shape) gives the output shape without computing anything.
// - get_config() returns the layer's Keras 3 config (base keys name, trainable, dtype, plus the layer's own);
//   a static from_config(json) in each class rebuilds it, reached through the registry in serialization/.
// - Sublayers are registered with track_layer(); weights, trainable and losses recurse into them.
// - A sublayer's variable that the layer also keeps for itself (Keras: a variable assigned to an attribute, as
//   SpectralNormalization's kernel) is adopted with track_variable(): it counts among the layer's own variables
//   (and so is saved twice in Keras weight files) while its owner keeps its trainable flag, regularizer and
//   constraint.
//
// Weights: weights() = own variables created trainable, then own non-trainable ones (each in creation order,
// adopted ones included), then each sublayer's weights() not listed yet. trainable_weights() filters by the
// variables' trainable flags and is empty while the layer is not trainable; non_trainable_weights() is then
// every weight, in the same order. Setting trainable recurses into sublayers and flips the trainable flag of the
// variables created trainable.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kiln/core/tensor.hpp"
#include "kiln/core/variable.hpp"
#include "kiln/layers/symbolic.hpp"

namespace kiln {

class Initializer;
class Regularizer;
class Constraint;
using InitializerPtr = std::shared_ptr<const Initializer>;
using RegularizerPtr = std::shared_ptr<const Regularizer>;
using ConstraintPtr = std::shared_ptr<const Constraint>;

// Options every layer accepts (Keras base-layer keyword arguments).
struct LayerOptions {
    std::string name{};       // empty: a unique name from the class ("batch_normalization_2")
    bool trainable = true;
    std::string dtype = "float32";  // kiln computes in float32; other dtypes are refused
};

// What a layer's call() receives besides its inputs.
struct CallContext {
    bool training = false;
    Tensor mask{};  // undefined when there is no mask
};

// Everything add_weight() needs to create a variable.
struct WeightSpec {
    std::string name{};
    Shape shape{};
    InitializerPtr initializer{};  // required
    bool trainable = true;
    RegularizerPtr regularizer{};  // optional
    ConstraintPtr constraint{};    // optional
    // "float32", or "int64" for a scalar counter Keras keeps as an integer (Normalization's count): kiln holds
    // every value in float32, weight files store this one as int64.
    std::string dtype = "float32";
};

// Checks applied to a layer's input before call(): rank and fixed dimension sizes.
struct InputSpec {
    std::optional<int64_t> ndim{};
    std::optional<int64_t> min_ndim{};
    std::vector<std::pair<int64_t, int64_t>> axes{};  // (axis, required size); negative axes count from the end
};

class Layer : public std::enable_shared_from_this<Layer> {
public:
    virtual ~Layer();
    Layer(const Layer&) = delete;
    Layer& operator=(const Layer&) = delete;

    // The Keras class name, e.g. "Dense".
    virtual std::string class_name() const = 0;
    const std::string& name() const { return name_; }

    // Builds on the first call, checks the input spec, resolves `training`, then runs call().
    Tensor operator()(const Tensor& input, std::optional<bool> training = std::nullopt, const Tensor& mask = {});
    // For layers with several inputs (Add, Concatenate).
    Tensor operator()(const std::vector<Tensor>& inputs, std::optional<bool> training = std::nullopt);
    // Functional API: records a Node (building the layer if needed) and returns its symbolic output. The layer
    // must be owned by a shared_ptr (every handle is). An explicit `training` is kept with the node.
    SymbolicTensor operator()(const SymbolicTensor& input, std::optional<bool> training = std::nullopt);
    SymbolicTensor operator()(const std::vector<SymbolicTensor>& inputs, std::optional<bool> training = std::nullopt);
    // Every output of a call: layers have one, a Functional model one per output (operator() refuses a layer
    // with several). `inputs` holds the one input (multi_input false) or the list a multi-input layer takes.
    std::vector<Tensor> call_outputs(const std::vector<Tensor>& inputs, bool multi_input,
                                     std::optional<bool> training = std::nullopt, const Tensor& mask = {});
    std::vector<SymbolicTensor> call_outputs(const std::vector<SymbolicTensor>& inputs, bool multi_input,
                                             std::optional<bool> training = std::nullopt);

    bool built() const { return built_; }
    // Builds now (idempotent); layers with several inputs use build_multi.
    void build(const Shape& input_shape);
    void build_multi(const std::vector<Shape>& input_shapes);

    virtual Shape compute_output_shape(const Shape& input_shape) const;
    virtual Shape compute_output_shape_multi(const std::vector<Shape>& input_shapes) const;
    // The mask of this layer's output, given its input mask: by default passed through (empty stays empty).
    virtual Tensor compute_mask(const Tensor& input, const Tensor& mask) const;

    std::vector<Variable> weights() const;
    // This layer's own variables (created or adopted, not its sublayers'), trainable-created first, each in
    // creation order: what Keras saves in the layer's own vars group.
    std::vector<Variable> own_weights() const;
    // The dtype WeightSpec gave `variable` ("float32" or "int64"); "float32" for a variable this layer does not own.
    std::string weight_dtype(const Variable& variable) const;
    std::vector<Variable> trainable_weights() const;
    std::vector<Variable> non_trainable_weights() const;
    // Values of weights(), copied; set_weights takes them in the same order with the same shapes.
    std::vector<Tensor> get_weights() const;
    void set_weights(const std::vector<Tensor>& values);
    int64_t count_params() const;

    bool trainable() const { return trainable_; }
    // Recurses into sublayers; flips the trainable flag of variables created trainable.
    void set_trainable(bool trainable);
    // This layer only (its flag and its own variables), not its sublayers: for restoring a saved state of
    // every layer, as Model does with the state captured by compile().
    void set_own_trainable(bool trainable);

    // Regularization penalties of this layer's and its sublayers' weights, computed now from their values
    // (call inside a GradientTape to differentiate them).
    std::vector<Tensor> losses() const;
    // Applies every weight constraint (own and sublayers'); optimizers call this after each update.
    void apply_constraints();

    const std::vector<std::shared_ptr<Layer>>& sublayers() const { return sublayers_; }
    // Every layer below this one, depth-first, not including this one.
    std::vector<std::shared_ptr<Layer>> all_sublayers() const;

    // Keras 3 config: name, trainable, dtype (a DTypePolicy dict) and the layer's own keys.
    virtual nlohmann::json get_config() const;

    // "Dense 'dense_1'": how errors name a layer.
    std::string describe() const;

protected:
    // `default_name` is the snake_case class name used for automatic names.
    Layer(const LayerOptions& options, std::string_view default_name);

    // Creates the layer's variables. Default: nothing.
    virtual void build_impl(const Shape& input_shape);
    // Multi-input layers override this; the default requires exactly one input and calls build_impl.
    virtual void build_multi_impl(const std::vector<Shape>& input_shapes);
    virtual Tensor call(const Tensor& input, const CallContext& ctx);
    // Multi-input layers override this; the default requires exactly one input and calls call().
    virtual Tensor call_multi(const std::vector<Tensor>& inputs, const CallContext& ctx);
    // Layers with several outputs override this; the default returns the one output of call() or call_multi().
    virtual std::vector<Tensor> call_all(const std::vector<Tensor>& inputs, const CallContext& ctx, bool multi_input);

    // The single output of a call; ValueError naming this layer when it has several.
    template <class T>
    T only_output(std::vector<T> outputs) const;

    Variable add_weight(const WeightSpec& spec);
    // Adopts `variable`, a variable of one of this layer's sublayers, as one of its own (see the contract above).
    void track_variable(const Variable& variable);
    void track_layer(std::shared_ptr<Layer> layer);
    void untrack_layer(const std::shared_ptr<Layer>& layer);
    void set_input_spec(InputSpec spec) { input_spec_ = std::move(spec); }
    // Throws ShapeError naming this layer when `shape` does not satisfy the input spec.
    void check_input_spec(const Shape& shape) const;

private:
    struct Weight {
        Variable variable;
        bool created_trainable;
        RegularizerPtr regularizer;
        std::string dtype;
        bool adopted;  // owned by a sublayer, which applies its trainable flag, regularizer and constraint
    };
    std::vector<Tensor> run(const std::vector<Tensor>& inputs, std::optional<bool> training, const Tensor& mask,
                            bool multi);
    std::vector<SymbolicTensor> run_symbolic(const std::vector<SymbolicTensor>& inputs, std::optional<bool> training,
                                             bool multi);

    std::string name_;
    bool trainable_;
    bool built_ = false;
    std::vector<Weight> weights_;
    std::vector<std::shared_ptr<Layer>> sublayers_;
    std::optional<InputSpec> input_spec_;
};

using LayerPtr = std::shared_ptr<Layer>;

// A shared handle to a layer of type L, as Keras objects are references: copies share the layer.
// `auto bn = layers::BatchNormalization({.momentum = 0.9}); bn->set_trainable(false); Tensor y = bn(x, true);`
template <class L>
class LayerHandle {
public:
    LayerHandle() requires std::is_default_constructible_v<L> : layer_(std::make_shared<L>()) {}
    template <class O = typename L::Options>
    LayerHandle(const O& options) : layer_(std::make_shared<L>(options)) {}
    explicit LayerHandle(std::shared_ptr<L> layer) : layer_(std::move(layer)) {}

    L* operator->() const { return layer_.get(); }
    L& operator*() const { return *layer_; }
    const std::shared_ptr<L>& ptr() const { return layer_; }
    operator LayerPtr() const { return layer_; }

    Tensor operator()(const Tensor& x, std::optional<bool> training = std::nullopt, const Tensor& mask = {}) const {
        return (*layer_)(x, training, mask);
    }
    Tensor operator()(const std::vector<Tensor>& xs, std::optional<bool> training = std::nullopt) const {
        return (*layer_)(xs, training);
    }
    SymbolicTensor operator()(const SymbolicTensor& x, std::optional<bool> training = std::nullopt) const {
        return (*layer_)(x, training);
    }
    SymbolicTensor operator()(const std::vector<SymbolicTensor>& xs, std::optional<bool> training = std::nullopt) const {
        return (*layer_)(xs, training);
    }

private:
    std::shared_ptr<L> layer_;
};

// The JSON Keras 3 writes for a dtype policy: {"module": "keras", "class_name": "DTypePolicy", ...}.
nlohmann::json dtype_policy_config(const std::string& dtype);

// The Keras 3 object form of a layer that is not a model (models have serialization::serialize_model's form):
// {"module": "keras.layers", "class_name", "config": get_config(), "registered_name": null}.
nlohmann::json layer_object_config(const Layer& layer);

}  // namespace kiln
