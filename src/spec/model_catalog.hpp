// Finding a model by what the user typed: a built-in spec's id or alias (case-insensitive), or
// the path of a spec file. Built-in specs are embedded in the binary; a lookup parses only the
// file named by the id (or the few that quote the alias), the whole catalog only on a miss.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/spec.hpp"
#include "util/result.hpp"

namespace moefit::spec {

// Every built-in spec, sorted by id (parsed on the first call). Fails only if an embedded spec
// is broken (a bug, caught by the tests).
Result<std::vector<model::ModelSpec>> builtin_models();

// The built-in spec whose id or alias matches `name`; a not_found error with "did you mean"
// and the listing command otherwise.
Result<model::ModelSpec> find_builtin_model(std::string_view name);

// `arg` as a path when it names an existing file (a .toml spec), else as a built-in name.
Result<model::ModelSpec> load_model(const std::string& arg);

}  // namespace moefit::spec
