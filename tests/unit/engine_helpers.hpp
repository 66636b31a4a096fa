// Engine calls the tests repeat, failing the test (with the error) when the engine rejects them.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <utility>

#include "engine/scheme.hpp"
#include "engine/weights.hpp"
#include "model/inventory.hpp"
#include "model/spec.hpp"

namespace moefit::test {

// The weight bytes of `inv` under quantization scheme `scheme` (engine::parse_scheme syntax).
inline engine::WeightBytes weights_of(const model::ModelSpec& spec, const model::Inventory& inv,
                                      const std::string& scheme) {
    auto parsed = engine::parse_scheme(scheme, spec);
    REQUIRE_MESSAGE(parsed.ok(), scheme, ": ", (parsed.ok() ? std::string() : parsed.error().to_string()));
    auto w = engine::compute_weights(inv, spec, *parsed);
    REQUIRE_MESSAGE(w.ok(), scheme, ": ", (w.ok() ? std::string() : w.error().to_string()));
    return std::move(w).value();
}

}  // namespace moefit::test
