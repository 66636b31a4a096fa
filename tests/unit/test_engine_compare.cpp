#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "engine/compare.hpp"
#include "engine/throughput_kv.hpp"
#include "fit_case.hpp"
#include "spec/hardware_catalog.hpp"
#include "spec/model_catalog.hpp"
#include "util/units.hpp"

using namespace moefit;

namespace {

using test::Case;
using test::load;

engine::CompareResult compare(const Case& c, engine::FitRequest r, const std::vector<std::string>& quants) {
    auto cmp = engine::compare_quants(c.spec, c.inventory, c.hw, r, quants);
    REQUIRE_MESSAGE(cmp.ok(), cmp.error().to_string());
    return std::move(*cmp);
}

}  // namespace

TEST_SUITE("engine::compare") {
    TEST_CASE("compare rows carry the speed predict_decode gives for their weights, batch and context") {
        const Case c = load("mixtral-8x7b", "rtx-4090");
        engine::FitRequest r;
        r.context_tokens = 8192;
        const auto cmp = compare(c, r, {"Q8_0", "Q4_K_M", "IQ2_XXS"});
        CHECK(cmp.speed_unavailable.empty());
        for (const engine::CompareRow& row : cmp.rows) {
            CAPTURE(row.quant);
            REQUIRE(row.speed.has_value());
            const engine::TokenCost cost = engine::token_cost(c.spec, c.inventory, row.fit.weights);
            engine::ThroughputInput in;
            in.cost = &cost;
            in.kv = engine::kv_traffic(c.spec, row.fit.kv);
            in.hardware = &c.hw;
            in.runtime = "llama.cpp";
            in.placement = engine::default_placement(c.hw, "llama.cpp");
            in.batch = 1;
            in.context_tokens = 8192;
            auto d = engine::predict_decode(in);
            REQUIRE(d.ok());
            CHECK(row.speed->decode.per_sequence.value == d->per_sequence.value);
            CHECK(row.speed->decode.per_sequence.low == d->per_sequence.low);
            CHECK(row.speed->decode.per_sequence.high == d->per_sequence.high);
            CHECK(row.speed->context_tokens == 8192);
            CHECK(row.speed->batch == 1);
            CHECK(row.speed->prefill.available);
        }
    }

    TEST_CASE("larger quants never decode faster at batch 1 on the same device") {
        // The usual ladders: the ten common llama.cpp types, and bf16 > fp8 > native for vLLM.
        const char* machines[] = {"rtx-4090", "dgx-spark", "m3-ultra", "cpu-epyc-12ch", "8x-h100"};
        for (const char* model : {"mixtral-8x7b", "qwen3-30b-a3b", "deepseek-v3"}) {
            for (const char* hw : machines) {
                CAPTURE(model);
                CAPTURE(hw);
                const Case c = load(model, hw);
                for (engine::Runtime rt : {engine::Runtime::llama_cpp, engine::Runtime::vllm}) {
                    engine::FitRequest r;
                    r.runtime = rt;
                    r.context_tokens = 4096;
                    const auto cmp = compare(c, r, engine::all_quants(c.spec, rt, true));
                    REQUIRE(cmp.rows.size() >= 2);
                    for (std::size_t i = 1; i < cmp.rows.size(); ++i) {
                        const auto& bigger = cmp.rows[i - 1];
                        const auto& smaller = cmp.rows[i];
                        CAPTURE(bigger.quant);
                        CAPTURE(smaller.quant);
                        REQUIRE(bigger.speed.has_value());
                        REQUIRE(smaller.speed.has_value());
                        CHECK(bigger.fit.weights.total_bytes >= smaller.fit.weights.total_bytes);
                        CHECK(bigger.speed->decode.per_sequence.value <= smaller.speed->decode.per_sequence.value);
                    }
                }
            }
        }
    }

    TEST_CASE("over every llama.cpp type, reading more bytes per token never decodes faster") {
        // Total size and bytes per token can disagree between types with different mixes:
        // MXFP4_MOE is smaller than Q4_0 for Qwen3-30B-A3B but keeps the always-read tensors at
        // more bits, so each token reads more and decodes slower.
        for (const char* hw : {"rtx-4090", "dgx-spark"}) {
            CAPTURE(hw);
            const Case c = load("qwen3-30b-a3b", hw);
            engine::FitRequest r;
            r.context_tokens = 4096;
            auto cmp = compare(c, r, engine::all_quants(c.spec, engine::Runtime::llama_cpp, false));
            auto read = [](const engine::CompareRow& row) {
                return row.speed->decode.step.device_bytes + row.speed->decode.step.host_bytes;
            };
            // Sorted by pointer: moving whole rows trips GCC 12's false -Wmaybe-uninitialized on
            // the optional inside them when this file is compiled in a unity batch.
            std::vector<const engine::CompareRow*> by_read;
            for (const engine::CompareRow& x : cmp.rows) by_read.push_back(&x);
            std::sort(by_read.begin(), by_read.end(),
                      [&](const engine::CompareRow* a, const engine::CompareRow* b) { return read(*a) > read(*b); });
            for (std::size_t i = 1; i < by_read.size(); ++i) {
                CAPTURE(by_read[i - 1]->quant);
                CAPTURE(by_read[i]->quant);
                CHECK(by_read[i - 1]->speed->decode.per_sequence.value <= by_read[i]->speed->decode.per_sequence.value);
            }
            const auto row = [&](const char* q) {
                return *std::find_if(cmp.rows.begin(), cmp.rows.end(),
                                     [&](const engine::CompareRow& x) { return x.quant == q; });
            };
            const auto q4_0 = row("Q4_0"), mxfp4 = row("MXFP4_MOE");
            CHECK(q4_0.fit.weights.total_bytes > mxfp4.fit.weights.total_bytes);
            CHECK(read(q4_0) < read(mxfp4));
            CHECK(q4_0.speed->decode.per_sequence.value > mxfp4.speed->decode.per_sequence.value);
        }
    }

    TEST_CASE("a machine without bandwidth still compares memory and says why there is no speed") {
        auto spec = spec::find_builtin_model("mixtral-8x7b");
        REQUIRE(spec.ok());
        auto hw = spec::custom_hardware(Size{24ULL << 30, UnitFamily::binary});
        REQUIRE(hw.ok());
        const Case c{*spec, model::build_inventory(*spec), *hw};
        const auto cmp = compare(c, {}, {"Q4_K_M", "IQ2_XXS"});
        REQUIRE(cmp.rows.size() == 2);
        for (const auto& row : cmp.rows) CHECK_FALSE(row.speed.has_value());
        CHECK(cmp.speed_unavailable.find("has no memory bandwidth") != std::string::npos);
    }
}
