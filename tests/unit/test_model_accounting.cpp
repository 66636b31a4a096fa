#include <doctest/doctest.h>

#include "invariants.hpp"
#include "model/accounting.hpp"
#include "model/inventory.hpp"
#include "spec/model_catalog.hpp"

using namespace moefit;
using model::Convention;

namespace {

struct Counted {
    model::ModelSpec spec;
    model::Inventory inventory;
    model::ParamCounts counts;
};

Counted count(const std::string& name) {
    auto spec = spec::find_builtin_model(name);
    if (!spec.ok()) FAIL(spec.error().to_string());
    Counted c{*spec, model::build_inventory(*spec), {}};
    c.counts = model::count_params(c.spec, c.inventory);
    test::check_count_invariants(c.spec, c.inventory, c.counts);
    return c;
}

}  // namespace

TEST_SUITE("model::accounting") {
    TEST_CASE("Mixtral-8x7B counts are exact to the unit") {
        const Counted m = count("mixtral-8x7b");
        CHECK(m.counts.total == 46'702'792'704ull);
        CHECK(m.counts.active == 12'879'925'248ull);
        CHECK(m.counts.input_embedding == 32000ull * 4096);
        CHECK(m.counts.output_head == 32000ull * 4096);
        CHECK(m.counts.of(model::TensorClass::routed_expert).total == 32ull * 8 * 3 * 4096 * 14336);
        CHECK(m.counts.of(model::TensorClass::routed_expert).active == 32ull * 2 * 3 * 4096 * 14336);
        REQUIRE(m.counts.by_layer_kind.size() == 1);
        CHECK(m.counts.by_layer_kind[0].layers == 32);
    }

    TEST_CASE("conventions subtract the embedding and the head") {
        const Counted m = count("mixtral-8x7b");
        CHECK(m.counts.total_in(Convention::no_input_embedding) == m.counts.total - 131'072'000);
        CHECK(m.counts.total_in(Convention::no_embeddings) == m.counts.total - 2 * 131'072'000ull);
        CHECK(m.counts.active_in(Convention::no_embeddings) == m.counts.active - 2 * 131'072'000ull);
    }

    TEST_CASE("every built-in model satisfies the invariants and is near its published figures") {
        auto models = spec::builtin_models();
        REQUIRE(models.ok());
        for (const model::ModelSpec& spec : *models) {
            CAPTURE(spec.id);
            const Counted c = count(spec.id);
            const auto& p = spec.published;
            if (p.total_params > 0) {
                const double rel = static_cast<double>(c.counts.total_in(p.total_convention)) /
                                   static_cast<double>(p.total_params);
                CHECK(rel > 0.995);
                CHECK(rel < 1.005);
            }
            if (p.active_params > 0) {
                const double rel = static_cast<double>(c.counts.active_in(p.active_convention)) /
                                   static_cast<double>(p.active_params);
                CHECK(rel > 0.995);
                CHECK(rel < 1.005);
            }
        }
    }

    TEST_CASE("more layers never means fewer parameters") {
        model::ModelSpec spec = count("mixtral-8x7b").spec;
        std::uint64_t previous = 0;
        for (std::uint64_t layers : {1, 2, 8, 32}) {
            spec.num_layers = layers;
            const auto c = model::count_params(spec, model::build_inventory(spec));
            CHECK(c.total > previous);
            previous = c.total;
        }
    }
}
