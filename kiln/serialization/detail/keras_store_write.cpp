// Writing the Keras 3 weights store.
#include <cmath>
#include <string>

#include "kiln/serialization/detail/keras_layout.hpp"
#include "kiln/serialization/detail/keras_store.hpp"

namespace kiln::serialization::detail {

void write_keras_weights(const h5::Group& root, const Model& model) {
    for (const Saveable& saveable : saveables(*model.layer())) {
        const h5::Group vars = root.require_group(vars_path(layer_path(saveable.keys)));
        vars.write_string("name", saveable.layer->name());
        for (size_t i = 0; i < saveable.variables.size(); ++i) {
            const Variable& v = saveable.variables[i];
            if (saveable.layer->weight_dtype(v) == "int64")
                vars.write_int64(std::to_string(i), std::llround(v.value().item()));
            else
                vars.write_tensor(std::to_string(i), v.value());
        }
    }
    if (!model.compiled()) return;
    const optim::Optimizer& optimizer = model.optimizer();
    const h5::Group vars = root.require_group("optimizer/vars");
    vars.write_string("name", optimizer.name());
    const std::vector<std::pair<std::string, Tensor>> state = optimizer.variables();
    for (size_t i = 0; i < state.size(); ++i) {
        const auto& [name, value] = state[i];
        if (name == "iteration")
            vars.write_int64(std::to_string(i), std::llround(value.item()));
        else
            vars.write_tensor(std::to_string(i), value);
    }
}

}  // namespace kiln::serialization::detail
