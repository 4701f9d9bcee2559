#include "kiln/layers/preprocessing/factor.hpp"

#include <algorithm>
#include <cmath>

#include "kiln/core/errors.hpp"

namespace kiln::layers {

std::array<double, 2> Factor::range() const {
    if (!pair_) return {-std::abs(values_[0]), std::abs(values_[0])};
    return {std::min(values_[0], values_[1]), std::max(values_[0], values_[1])};
}

nlohmann::json Factor::to_json() const {
    return pair_ ? nlohmann::json{values_[0], values_[1]} : nlohmann::json(values_[0]);
}

std::string Factor::str() const { return pair_ ? cat("(", values_[0], ", ", values_[1], ")") : cat(values_[0]); }

}  // namespace kiln::layers
