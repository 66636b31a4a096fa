#include <doctest/doctest.h>

#include <cmath>

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

    TEST_CASE("DeepSeek-V3 counts 671,026,419,200 with its MTP module apart") {
        const Counted m = count("deepseek-v3");
        CHECK(m.counts.total == 671'026'419'200ull);
        CHECK(m.counts.active_in(Convention::no_input_embedding) == 36'625'618'432ull);
        CHECK(m.counts.mtp_total > 11'000'000'000ull);  // README_WEIGHTS: 11.5B unique MTP parameters
        CHECK(m.counts.mtp_total < 12'000'000'000ull);
        CHECK(count("deepseek-r1").counts.total == m.counts.total);  // alias
    }

    TEST_CASE("Qwen3-235B-A22B counts are exact to the unit") {
        const Counted m = count("qwen3-235b-a22b");
        CHECK(m.counts.total == 235'093'634'560ull);
        CHECK(m.counts.active == 22'190'763'520ull);
    }

    TEST_CASE("Kimi-K2 counts are exact to the unit") {
        const Counted m = count("kimi-k2");
        CHECK(m.counts.total == 1'026'408'232'448ull);
        CHECK(m.counts.active_in(Convention::no_input_embedding) == 31'687'095'808ull);
    }

    TEST_CASE("Mixtral-8x22B counts are exact to the unit") {
        const Counted m = count("mixtral-8x22b");
        CHECK(m.counts.total == 140'620'634'112ull);
        CHECK(m.counts.active == 39'152'031'744ull);
    }

    TEST_CASE("a dense model is all active and has no expert classes") {
        const Counted m = count("llama-3.1-70b");
        CHECK(m.counts.active == m.counts.total);
        CHECK(m.counts.of(model::TensorClass::routed_expert).tensors == 0);
        CHECK(m.counts.of(model::TensorClass::dense_ffn).tensors == 80 * 3);
    }

    TEST_CASE("layer kinds follow the dense-prefix and interleave patterns") {
        const Counted ds = count("deepseek-v3");
        REQUIRE(ds.counts.by_layer_kind.size() == 2);
        CHECK(ds.counts.by_layer_kind[0].layers == 3);   // first_k_dense_replace
        CHECK(ds.counts.by_layer_kind[1].layers == 58);
        const Counted mav = count("llama-4-maverick");
        std::uint64_t moe_layers = 0;
        for (const auto& k : mav.counts.by_layer_kind)
            if (k.kind.find("MoE") != std::string::npos) moe_layers += k.layers;
        CHECK(moe_layers == 24);  // every second of 48 layers
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
            // Within 0.5% of the vendor's figure, or a note explains the rounding (and then
            // within 10%: a note cannot excuse a wrong architecture).
            const auto& p = spec.published;
            CHECK(p.total_params > 0);
            CHECK(p.active_params > 0);
            CHECK_FALSE(p.source.empty());
            const double total_rel = static_cast<double>(model::comparable_total(c.counts, p)) /
                                     static_cast<double>(p.total_params);
            const double active_rel = static_cast<double>(model::comparable_active(c.counts, p)) /
                                      static_cast<double>(p.active_params);
            const bool close = std::abs(total_rel - 1) <= 0.005 && std::abs(active_rel - 1) <= 0.005;
            if (!close) CHECK_MESSAGE(!p.note.empty(), "more than 0.5% off and no published.note");
            CHECK(std::abs(total_rel - 1) < 0.10);
            CHECK(std::abs(active_rel - 1) < 0.10);
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
