// Renders the `moefit list` listings: built-in models, spec keys.
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "model/spec.hpp"
#include "spec/schema.hpp"

namespace moefit::report {

std::string render_models_text(const std::vector<model::ModelSpec>& models);
nlohmann::ordered_json models_json(const std::vector<model::ModelSpec>& models);

// The schema listing: one line per key with type, unit, default and doc.
std::string render_keys_text(std::span<const spec::KeySpec> keys);
nlohmann::ordered_json keys_json(std::span<const spec::KeySpec> keys);

}  // namespace moefit::report
