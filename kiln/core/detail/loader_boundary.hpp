// Internal: what every public loader (configs, .keras, HDF5 weights, legacy .h5, .npy, IDX) runs its work in, so
// that a file, however damaged, gives a value or a kiln::Error and never anything else.
#pragma once

#include <new>
#include <stdexcept>
#include <string>

#include "kiln/core/errors.hpp"
#include "kiln/core/limits.hpp"

namespace kiln::detail {

// Runs `body` under a LoadingBudget named `what`. kiln errors pass through unchanged; std::bad_alloc and
// std::length_error become MemoryError, and any other exception (from the standard library, nlohmann::json, ...)
// an IOError, each with "<what>: " before its message.
template <class Body>
decltype(auto) guarded_load(const std::string& what, Body&& body) {
    const LoadingBudget budget(what);
    try {
        return body();
    } catch (const Error&) {
        throw;
    } catch (const std::bad_alloc&) {
        throw MemoryError(cat(what, ": not enough memory for what the file describes"));
    } catch (const std::length_error& e) {
        throw MemoryError(cat(what, ": a size too large for memory (", e.what(), ")"));
    } catch (const std::exception& e) {
        throw IOError(cat(what, ": ", e.what()));
    }
}

}  // namespace kiln::detail
