// Finding a hardware profile by what the user typed: a built-in profile's id or alias
// (case-insensitive), the path of a profile file, or a bare capacity (`--memory 24GiB`).
// Built-in profiles are embedded in the binary; a lookup parses only the file named by the id
// (or the few that quote the alias), the whole catalog only on a miss.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "spec/hardware.hpp"
#include "util/result.hpp"

namespace moefit::spec {

// Every built-in profile, sorted by id (parsed on the first call). Fails only if an embedded
// profile is broken (a bug, caught by the tests).
Result<std::vector<HardwareProfile>> builtin_hardware();

// The built-in profile whose id, alias or name matches `name`; a not_found error with "did you
// mean" and the listing command otherwise.
Result<HardwareProfile> find_builtin_hardware(std::string_view name);

// `arg` as a path when it names an existing file, ends in .toml or holds a '/', else as a
// built-in name. A file that cannot be read is an io error naming the path.
Result<HardwareProfile> load_hardware(const std::string& arg);

// A single device of `memory` capacity (taken as usable as given) and unknown speed, for
// `--memory 24GiB`: id "custom", kind gpu, origin "--memory". Fails when `memory` is under
// 512 MiB (a size written without its unit) or over 1024 TiB (a unit slip).
Result<HardwareProfile> custom_hardware(Size memory);

}  // namespace moefit::spec
