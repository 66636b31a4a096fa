// Invariant checks every test that computes counts or bytes runs on its result.
#pragma once

#include <doctest/doctest.h>

#include <set>

#include "model/accounting.hpp"
#include "model/inventory.hpp"

namespace moefit::test {

// Parts sum to totals, active never exceeds total, names are unique, layer kinds add up.
inline void check_count_invariants(const model::ModelSpec& spec, const model::Inventory& inv,
                                   const model::ParamCounts& c) {
    std::set<std::string> names;
    for (const auto& t : inv.tensors) {
        CHECK_MESSAGE(names.insert(t.name).second, "duplicate tensor name ", t.name);
        CHECK(t.elements() > 0);
        if (t.experts > 1) CHECK(t.elements() % t.experts == 0);
    }
    std::uint64_t class_total = 0, class_active = 0;
    for (const auto& cc : c.by_class) {
        class_total += cc.total;
        class_active += cc.active;
        CHECK(cc.active <= cc.total);
    }
    CHECK(class_total == c.total + c.mtp_total);
    CHECK(class_active == c.active + c.mtp_active);
    CHECK(c.active <= c.total);
    std::uint64_t layers = 0, kind_total = 0, kind_active = 0;
    for (const auto& k : c.by_layer_kind) {
        layers += k.layers;
        kind_total += k.total;
        kind_active += k.active;
    }
    CHECK(layers == spec.num_layers);
    CHECK(kind_total + c.model_level == c.total);
    CHECK(kind_active + c.model_level == c.active);
    if (!spec.is_moe()) CHECK(c.active == c.total);
}

}  // namespace moefit::test
