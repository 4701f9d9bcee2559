// kiln's exception hierarchy. Every error message names the op or layer and the shapes or values involved,
// e.g. "matmul: inner dimensions differ: [32,784] x [512,10]".
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace kiln {

// Base of every exception kiln throws.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Shapes that do not fit the op (rank, dimension sizes, broadcasting).
class ShapeError : public Error {
public:
    using Error::Error;
};

// An argument with an invalid value (a negative size, an unknown name, an axis out of range).
class ValueError : public Error {
public:
    using Error::Error;
};

// An operation that is not valid in the current state (a spent GradientTape, a layer used before build).
class StateError : public Error {
public:
    using Error::Error;
};

// A file that cannot be opened, read or written (missing, truncated, not what it claims to be).
class IOError : public Error {
public:
    using Error::Error;
};

// A request for more memory than the machine has, or than a configured limit allows (Python's MemoryError).
class MemoryError : public Error {
public:
    using Error::Error;
};

// A documented combination that kiln does not support (yet); never a silent fallback.
class NotImplementedError : public Error {
public:
    using Error::Error;
};

// Concatenates anything streamable into one string; used to build error messages.
template <class... Parts>
std::string cat(Parts&&... parts) {
    std::ostringstream out;
    (out << ... << std::forward<Parts>(parts));
    return out.str();
}

}  // namespace kiln
