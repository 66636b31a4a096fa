// Reading whole small text files (specs, profiles, config.json) into memory, with errors that
// name the path. Binary model files are never read whole: see byte_reader.hpp.
#pragma once

#include <string>

#include "util/result.hpp"

namespace moefit::spec {

// The file's bytes; fails with an io error naming `path` when it cannot be read or is larger
// than `max_bytes`.
Result<std::string> read_text_file(const std::string& path, std::uint64_t max_bytes = 64ull << 20);

}  // namespace moefit::spec
