// Factor: the float-or-pair argument of Keras's random image layers (RandomRotation's factor, RandomTranslation's
// and RandomZoom's height_factor and width_factor), kept as written so that configs round trip.
#pragma once

#include <array>
#include <nlohmann/json.hpp>
#include <string>

namespace kiln::layers {

// A number f, standing for the range [-|f|, |f|], or a pair {lower, upper} (sorted, as Keras 3 does).
class Factor {
public:
    Factor(double value = 0.0) : values_{value, value}, pair_(false) {}
    Factor(double lower, double upper) : values_{lower, upper}, pair_(true) {}

    bool is_pair() const { return pair_; }
    // The values as written (a single number appears twice).
    const std::array<double, 2>& values() const { return values_; }
    // The range [lower, upper] it stands for.
    std::array<double, 2> range() const;
    // As written: a JSON number or a list of two numbers.
    nlohmann::json to_json() const;
    // "0.2" or "(-0.2, 0.3)": how errors show it.
    std::string str() const;

private:
    std::array<double, 2> values_;
    bool pair_;
};

}  // namespace kiln::layers
