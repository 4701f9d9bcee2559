// ModelLayer: what Sequential and Functional models have in common as layers. A model is a Layer (so models
// nest and `trainable` recurses through them) holding an ordered list of layers; its weights are theirs, in
// order. The user-facing handle with compile/fit/evaluate/predict is kiln::Model (model.hpp).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kiln/layers/layer.hpp"

namespace kiln {

struct TrainingState;

// One row of a model summary: the layer, its output shapes (batch -1), and the layers feeding it.
struct SummaryRow {
    LayerPtr layer;
    std::vector<Shape> output_shapes;
    bool shape_known = false;
    std::vector<std::string> connected_to;
};

class ModelLayer : public Layer {
public:
    ~ModelLayer() override;

    // The model's layers in Keras order (Sequential: without its InputLayer; Functional: with them).
    const std::vector<LayerPtr>& layers() const { return layers_; }
    // The layer called `name`; ValueError names the model and lists the layers when there is none.
    LayerPtr get_layer(const std::string& name) const;
    // Rows for summary(), in layer order.
    virtual std::vector<SummaryRow> summary_rows() const = 0;
    // The input shape (batch -1) when the model knows it (from an Input, or after it was built).
    virtual std::optional<Shape> known_input_shape() const = 0;
    // Keras's input_names / output_names: the names of the layers producing each input and output, in order.
    virtual std::vector<std::string> input_names() const = 0;
    virtual std::vector<std::string> output_names() const = 0;

    // compile() state, owned by the model so that every handle to it sees the same (null before compile).
    std::shared_ptr<TrainingState> training_state;

protected:
    ModelLayer(const LayerOptions& options, std::string_view default_name);
    // Appends to layers() and tracks it as a sublayer (for weights, trainable and losses).
    void add_layer(LayerPtr layer);
    void remove_last_layer();

private:
    std::vector<LayerPtr> layers_;
};

}  // namespace kiln
