#include "kiln/layers/input.hpp"

#include "kiln/core/errors.hpp"
#include "kiln/layers/input_layer.hpp"

namespace kiln::layers {

SymbolicTensor Input(const Shape& shape, const InputOptions& options) {
    InputLayerOptions layer_options;
    for (int64_t d : shape) {
        if (d < -1) throw ValueError(cat("Input: invalid dimension ", d, " in shape ", shape, " (use -1 for any size)"));
        layer_options.shape.push_back(d < 0 ? std::nullopt : std::optional<int64_t>(d));
    }
    layer_options.batch_size = options.batch_size;
    layer_options.name = options.name;
    auto layer = std::make_shared<InputLayerLayer>(layer_options);
    Shape output{options.batch_size ? *options.batch_size : -1};
    output.insert(output.end(), shape.begin(), shape.end());
    return SymbolicTensor(std::make_shared<Node>(Node{layer, {}, std::nullopt, {output}, false}));
}

}  // namespace kiln::layers
