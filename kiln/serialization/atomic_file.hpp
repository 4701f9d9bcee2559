// write_file_atomically: replaces a file all at once or not at all. The content is written under a temporary name
// in the same folder, synced to disk, then renamed over the destination (atomic on POSIX file systems), so that
// readers (and a crash) see the old file or the new one, never a partial one.
#pragma once

#include <functional>
#include <string>

namespace kiln::serialization {

// Calls write(temp_path), which must create the complete content at temp_path (a new name beside `path`), then
// moves it to `path`. If `write` throws, or the file cannot be synced or renamed, the temporary file is removed,
// `path` is left as it was, and the exception propagates (IOError naming the paths for file-system failures).
void write_file_atomically(const std::string& path, const std::function<void(const std::string& temp_path)>& write);

}  // namespace kiln::serialization
