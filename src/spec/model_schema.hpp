// The model-spec TOML schema: one row per key, with the setter that stores it in a ModelSpec.
#pragma once

#include <span>

#include "model/spec.hpp"
#include "spec/schema.hpp"

namespace moefit::spec {

// Every key a model spec may hold, in listing order.
std::span<const KeySpec> model_keys();

// Stores `value` (already type- and range-checked against model_keys()[index]) in `spec`.
void apply_model_key(std::size_t index, const Value& value, model::ModelSpec& spec);

}  // namespace moefit::spec
