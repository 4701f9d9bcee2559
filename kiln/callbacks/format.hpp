// Number formatting shared by the callbacks' files and messages: doubles as Python's repr() writes them, so that
// CSVLogger files and verbose messages read as Keras's do.
#pragma once

#include <string>

namespace kiln {

// The shortest text that reads back as `value`, in Python's repr() style: "0.5", "3.0", "1e-05", "1.5e+16",
// "nan", "inf", "-inf".
std::string python_float(double value);

}  // namespace kiln
