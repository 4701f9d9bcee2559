#include "kiln/layers/detail/layer_config.hpp"

namespace kiln::layers::detail {

std::vector<int64_t> axis_list(const std::variant<int64_t, std::vector<int64_t>>& axis) {
    if (const int64_t* one = std::get_if<int64_t>(&axis)) return {*one};
    return std::get<std::vector<int64_t>>(axis);
}

void read_unsupported(ConfigReader& r, const std::string& key, const nlohmann::json& fallback) {
    const nlohmann::json& value = r.raw(key);
    if (!value.is_null() && value != fallback)
        throw NotImplementedError(cat(r.where(key), ": kiln supports only ", fallback.dump(), ", got ", value.dump()));
}

nlohmann::json optional_config(const RegularizerPtr& regularizer) {
    return regularizer ? regularizers::serialize(*regularizer) : nlohmann::json(nullptr);
}

nlohmann::json optional_config(const ConstraintPtr& constraint) {
    return constraint ? constraints::serialize(*constraint) : nlohmann::json(nullptr);
}

}  // namespace kiln::layers::detail
