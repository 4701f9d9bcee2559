// Splitting an HDF5 object path relative to a group ("a/b/c") into its components, for the reader and the writer.
#pragma once

#include <string>
#include <vector>

namespace kiln::serialization::detail {

// "a/b/c" -> {"a", "b", "c"}; empty components are kept ("a//b" -> {"a", "", "b"}), so that callers refuse them.
inline std::vector<std::string> split_h5_path(const std::string& relative) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= relative.size()) {
        const size_t slash = relative.find('/', start);
        const size_t end = slash == std::string::npos ? relative.size() : slash;
        parts.push_back(relative.substr(start, end - start));
        start = end + 1;
    }
    return parts;
}

}  // namespace kiln::serialization::detail
