#include <doctest/doctest.h>

#include "engine/compare.hpp"
#include "engine/fit.hpp"
#include "engine/speed_summary.hpp"
#include "fit_case.hpp"
#include "json_schema_check.hpp"
#include "report/compare_report.hpp"
#include "report/fit_report.hpp"
#include "spec/hardware_catalog.hpp"
#include "spec/model_catalog.hpp"
#include "util/units.hpp"

using namespace moefit;

namespace {

using test::Case;
using test::load;
using test::run;

// The breakdown adds up, the verdict agrees with the headroom, the limits agree with the verdict.
void check_fit_invariants(const engine::FitResult& f) {
    std::uint64_t sum = 0;
    for (const auto& line : f.breakdown) sum += line.bytes;
    CHECK(sum == f.required_bytes);
    CHECK(f.available_bytes <= f.capacity.total_bytes);
    CHECK(f.headroom_bytes == std::int64_t(f.available_bytes) - std::int64_t(f.required_bytes));
    // The most loaded device decides: short anywhere means does not fit, and short overall means
    // short somewhere.
    const auto& b = f.placement.binding_row();
    CHECK((f.verdict == engine::Verdict::does_not_fit) == (b.headroom_bytes < 0));
    if (f.headroom_bytes < 0) CHECK(f.verdict == engine::Verdict::does_not_fit);
    for (const auto& row : f.placement.stages) CHECK(row.headroom_bytes >= b.headroom_bytes);
    if (f.verdict != engine::Verdict::does_not_fit) {
        CHECK(f.max_context_tokens >= f.setup.context_tokens);
        CHECK(f.max_sequences >= f.setup.sequences);
    } else {
        CHECK(f.max_sequences < f.setup.sequences);
    }
    CHECK_FALSE(f.reasons.empty());
}

engine::FitRequest request(const char* quant, std::uint64_t ctx, std::uint64_t batch = 1) {
    engine::FitRequest r;
    r.quant = quant;
    r.context_tokens = ctx;
    r.sequences = batch;
    return r;
}

}  // namespace

TEST_SUITE("engine::fit") {
    TEST_CASE("every seed model gets a consistent verdict on DGX Spark, one RTX 4090, 8xH100 and 8xH200") {
        for (const char* model : {"mixtral-8x7b", "deepseek-v3", "qwen3-235b-a22b", "kimi-k2"})
            for (const char* hw : {"dgx-spark", "rtx-4090", "8x-h100", "8x-h200"}) {
                CAPTURE(model);
                CAPTURE(hw);
                const Case c = load(model, hw);
                check_fit_invariants(run(c, {}));
            }
    }

    TEST_CASE("DeepSeek-V3 in FP8 fits one 8xH200 node and not one 8xH100 node") {
        const auto h200 = run(load("deepseek-v3", "8x-h200"), request("native", 32768));
        CHECK(h200.verdict == engine::Verdict::fits);
        const auto h100 = run(load("deepseek-v3", "8x-h100"), request("native", 32768));
        CHECK(h100.verdict == engine::Verdict::does_not_fit);
        // 671B FP8 weights alone exceed the 640 GB of eight H100s.
        CHECK(h100.weights.total_bytes > 640'000'000'000ULL);
        CHECK(h100.reasons[1].find("weights alone") != std::string::npos);
    }

    TEST_CASE("Mixtral-8x7B Q4_K_M weights exceed one RTX 4090 and a 3-bit quant fits it") {
        const Case c = load("mixtral-8x7b", "rtx-4090");
        const auto q4 = run(c, request("Q4_K_M", 4096));
        CHECK(q4.verdict == engine::Verdict::does_not_fit);
        const auto q3 = run(c, request("IQ3_XXS", 4096));
        CHECK(q3.verdict == engine::Verdict::fits);
        check_fit_invariants(q3);
    }

    TEST_CASE("more context, more sequences or more bits never need less memory") {
        const Case c = load("qwen3-30b-a3b", "rtx-4090");
        std::uint64_t previous = 0;
        for (std::uint64_t ctx : {1ULL, 512ULL, 4096ULL, 32768ULL, 40960ULL}) {
            const auto f = run(c, request("Q4_K_M", ctx));
            check_fit_invariants(f);
            CHECK(f.required_bytes >= previous);
            previous = f.required_bytes;
        }
        previous = 0;
        for (std::uint64_t batch : {1ULL, 2ULL, 8ULL, 64ULL}) {
            const auto f = run(c, request("Q4_K_M", 4096, batch));
            CHECK(f.required_bytes >= previous);
            previous = f.required_bytes;
        }
        previous = 0;
        for (const char* q : {"Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0"}) {
            const auto f = run(c, request(q, 4096));
            CHECK(f.required_bytes > previous);
            previous = f.required_bytes;
        }
    }

    TEST_CASE("the largest context fits and one token more does not") {
        Case c = load("qwen3-30b-a3b", "rtx-4090");
        auto small = spec::custom_hardware(Size{19 * GiB, UnitFamily::binary});
        REQUIRE(small.ok());
        c.hw = *small;
        const auto f = run(c, request("Q4_K_M", 4096));
        REQUIRE(f.max_context_tokens > 0);
        REQUIRE_FALSE(f.max_context_is_model_limit);
        CHECK(run(c, request("Q4_K_M", f.max_context_tokens)).verdict != engine::Verdict::does_not_fit);
        CHECK(run(c, request("Q4_K_M", f.max_context_tokens + 1)).verdict == engine::Verdict::does_not_fit);
        CHECK(run(c, request("Q4_K_M", 4096, f.max_sequences + 1)).verdict == engine::Verdict::does_not_fit);
    }

    TEST_CASE("the largest context stops at the model's maximum when memory allows more") {
        const auto f = run(load("mixtral-8x7b", "8x-h200"), request("native", 4096));
        CHECK(f.max_context_tokens == 32768);
        CHECK(f.max_context_is_model_limit);
    }

    TEST_CASE("defaults follow the hardware: llama.cpp Q4_K_M on a 4090, vLLM native on a node") {
        const auto consumer = run(load("mixtral-8x7b", "rtx-4090"), {});
        CHECK(consumer.setup.runtime == engine::Runtime::llama_cpp);
        CHECK(consumer.setup.quant == "Q4_K_M");
        CHECK(consumer.setup.context_tokens == 32768);
        const auto node = run(load("deepseek-v3", "8x-h200"), {});
        CHECK(node.setup.runtime == engine::Runtime::vllm);
        CHECK(node.setup.quant == "native");
        CHECK(node.capacity.devices == 8);
        CHECK(node.kv.ranks == 8);
    }

    TEST_CASE("a CPU host keeps memory for the OS and a unified pool gives the GPU its limit") {
        const auto cpu = run(load("qwen3-30b-a3b", "cpu-desktop-ddr5"), {});
        CHECK(cpu.capacity.device_bytes < cpu.capacity.total_bytes + 1);
        CHECK(cpu.capacity.device_bytes == 64'000'000'000ULL - 3'200'000'000ULL);
        const auto spark = run(load("qwen3-30b-a3b", "dgx-spark"), {});
        CHECK(spark.capacity.device_bytes == 102 * GiB);
    }

    TEST_CASE("bad requests are errors that name the option") {
        const Case c = load("mixtral-8x7b", "rtx-4090");
        engine::FitRequest r;
        r.sequences = 0;
        auto f = engine::fit(c.spec, c.inventory, c.hw, r);
        REQUIRE_FALSE(f.ok());
        CHECK(f.error().where.key == "batch");
        r = request("Q4_K_Q", 4096);
        f = engine::fit(c.spec, c.inventory, c.hw, r);
        REQUIRE_FALSE(f.ok());
        CHECK(f.error().kind == ErrorKind::not_found);
        r = request("Q4_K_M", 20'000'000);
        CHECK_FALSE(engine::fit(c.spec, c.inventory, c.hw, r).ok());
    }

    TEST_CASE("fit and compare JSON conform to their schemas and are byte-identical for identical input") {
        const auto fit_schema = test::load_schema("fit");
        const auto compare_schema = test::load_schema("compare");
        for (const char* hw : {"rtx-4090", "8x-h200", "dgx-spark", "cpu-epyc-12ch"}) {
            CAPTURE(hw);
            const Case c = load("deepseek-v3", hw);
            const auto f = run(c, {});
            const std::string a = report::fit_json({c.spec, c.hw, f}).dump(2);
            CHECK(a == report::fit_json({c.spec, c.hw, run(c, {})}).dump(2));
            CHECK(test::schema_problem(fit_schema, nlohmann::json::parse(a)) == "");
            // With the speed beside the memory, as `moefit fit --json` prints it.
            auto speed = engine::speed_summary(c.spec, c.inventory, f.weights, f.kv, c.hw, f.setup.runtime,
                                               f.setup.sequences, f.setup.context_tokens);
            REQUIRE_MESSAGE(speed.ok(), speed.error().to_string());
            report::FitInput with_speed{c.spec, c.hw, f};
            with_speed.speed = &*speed;
            const auto js = nlohmann::json::parse(report::fit_json(with_speed).dump(2));
            CHECK(test::schema_problem(fit_schema, js) == "");
            CHECK(js["speed"]["unavailable"].is_null());
            CHECK(js["speed"]["decode"]["total_tokens_per_second"]["value"].get<double>() ==
                  doctest::Approx(speed->decode.total.value));
            report::FitInput without{c.spec, c.hw, f};
            without.speed_unavailable = "no bandwidth";
            const auto jn = nlohmann::json::parse(report::fit_json(without).dump(2));
            CHECK(test::schema_problem(fit_schema, jn) == "");
            CHECK(jn["speed"]["unavailable"] == "no bandwidth");
            auto cmp = engine::compare_quants(c.spec, c.inventory, c.hw, {},
                                              engine::all_quants(c.spec, f.setup.runtime, true));
            REQUIRE(cmp.ok());
            const auto j = nlohmann::json::parse(report::compare_json({c.spec, c.hw, *cmp}).dump(2));
            CHECK(test::schema_problem(compare_schema, j) == "");
        }
    }
}

TEST_SUITE("engine::compare") {
    TEST_CASE("compare sorts by size and marks the largest option that fits") {
        const Case c = load("mixtral-8x7b", "rtx-4090");
        auto cmp = engine::compare_quants(c.spec, c.inventory, c.hw, request("", 8192),
                                          {"Q2_K", "Q8_0", "Q4_K_M", "IQ3_XXS", "Q3_K_M"});
        REQUIRE(cmp.ok());
        REQUIRE(cmp->rows.size() == 5);
        for (std::size_t i = 1; i < cmp->rows.size(); ++i)
            CHECK(cmp->rows[i - 1].fit.weights.total_bytes >= cmp->rows[i].fit.weights.total_bytes);
        REQUIRE(cmp->best >= 0);
        const auto& best = cmp->rows[cmp->best];
        CHECK(best.fit.verdict == engine::Verdict::fits);
        for (int i = 0; i < cmp->best; ++i) CHECK(cmp->rows[i].fit.verdict != engine::Verdict::fits);
    }

    TEST_CASE("compare of options that never fit marks nothing") {
        const Case c = load("kimi-k2", "rtx-4090");
        auto cmp = engine::compare_quants(c.spec, c.inventory, c.hw, request("", 4096), {"Q8_0", "Q4_K_M"});
        REQUIRE(cmp.ok());
        CHECK(cmp->best == -1);
    }
}
