// Whole-file reads and atomic whole-file writes for the model and weight files.
//
// Every file kiln writes goes through write_bytes_atomically(): the bytes go to a temporary file in the same
// folder, which replaces `path` by a rename only once it is complete, so a failed save leaves the old file as
// it was.
#pragma once

#include <functional>
#include <string>

namespace kiln::serialization::detail {

// The contents of `path`; IOError names the path when it cannot be read.
std::string read_file_bytes(const std::string& path);

// Replaces `path` by a file holding `bytes`, atomically (see above); IOError names the path on failure.
void write_bytes_atomically(const std::string& path, const std::string& bytes);

// Testing only: `fault` runs in the middle of every write_bytes_atomically() call, after half of the bytes
// reached the temporary file (whose path it receives); what it throws aborts the write. Empty: no fault.
void set_write_fault_for_testing(std::function<void(const std::string& temp_path)> fault);

}  // namespace kiln::serialization::detail
