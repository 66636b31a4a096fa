// Reads a model spec written in our TOML format (see `moefit list keys`).
#pragma once

#include <string>
#include <string_view>

#include "model/spec.hpp"
#include "util/result.hpp"

namespace moefit::spec {

// Parses, completes and validates a spec. `file` names the source in messages; every error
// carries file:line:column and the key.
Result<model::ModelSpec> read_model_toml(std::string_view text, const std::string& file);

}  // namespace moefit::spec
