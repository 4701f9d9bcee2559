// Parsing config text, with the nesting bound that keeps the recursive readers on the stack.
#include <utility>
#include <vector>

#include "kiln/core/errors.hpp"
#include "kiln/serialization/detail/reading.hpp"

namespace kiln::serialization::detail {

void check_json_depth(const nlohmann::json& json, const std::string& where) {
    std::vector<std::pair<const nlohmann::json*, int>> pending{{&json, 1}};
    while (!pending.empty()) {
        const auto [value, depth] = pending.back();
        pending.pop_back();
        if (!value->is_structured()) continue;
        if (depth > kMaxJsonDepth)
            throw ValueError(cat(where, ": arrays and objects nest more than ", kMaxJsonDepth,
                                 " deep; no model config does"));
        for (const nlohmann::json& child : *value) pending.emplace_back(&child, depth + 1);
    }
}

nlohmann::json parse_json(std::string_view text, const std::string& where) {
    nlohmann::json parsed;
    try {
        parsed = nlohmann::json::parse(text.begin(), text.end());
    } catch (const nlohmann::json::exception& e) {
        throw ValueError(cat(where, ": malformed JSON: ", e.what()));
    }
    check_json_depth(parsed, where);
    return parsed;
}

}  // namespace kiln::serialization::detail
