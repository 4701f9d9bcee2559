// Helpers shared by the model-config tests: parameter counts split as Keras's summary does, and the round trip
// (serialize -> read -> serialize, then the same weights give bitwise the same predictions).
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <kiln/kiln.hpp>
#include <string>

namespace kiln::testing {

// Total, trainable and non-trainable parameter counts.
struct ParamCounts {
    int64_t total = 0;
    int64_t trainable = 0;
    int64_t non_trainable = 0;
    bool operator==(const ParamCounts&) const = default;
};

inline int64_t numel_of(const std::vector<Variable>& vs) {
    int64_t n = 0;
    for (const Variable& v : vs) n += v.shape().numel();
    return n;
}

inline ParamCounts param_counts(const Model& model) {
    return {model.count_params(), numel_of(model.trainable_weights()), numel_of(model.non_trainable_weights())};
}

inline std::ostream& operator<<(std::ostream& out, const ParamCounts& c) {
    return out << "{total " << c.total << ", trainable " << c.trainable << ", non-trainable " << c.non_trainable << "}";
}

// Reads `model`'s serialized form back (from the JSON value and from to_json's text): the configs are equal, and
// with `model`'s weights copied in, predictions on `x` are bitwise equal. Returns the model read back.
inline Model check_round_trip(const Model& model, const Tensor& x) {
    const nlohmann::json config = serialization::serialize_model(*model.layer());
    Model again = model_from_config(config);
    nlohmann::json expected = config;
    expected.erase("compile_config");  // the architecture only; compile_from_config restores the rest
    CHECK(serialization::serialize_model(*again.layer()) == expected);
    CHECK(serialization::serialize_model(*model_from_json(model.to_json()).layer()) == expected);
    again.set_weights(model.get_weights());
    CHECK(array_equal(again.predict(x), model.predict(x)));
    return again;
}

}  // namespace kiln::testing
