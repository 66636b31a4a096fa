// Exactness at the edges the CLI accepts: 10^13 parameters, 10^7 tokens of context and 10^4
// sequences are computed exactly in 64 bits; shapes beyond that raise ArithmeticOverflow (which
// the CLI reports as an input error) or an Error, never a wrapped number.
#include <doctest/doctest.h>

#include "engine/fit.hpp"
#include "engine/kv_cache.hpp"
#include "engine/scheme.hpp"
#include "engine/weights.hpp"
#include "engine_helpers.hpp"
#include "model/accounting.hpp"
#include "model/inventory.hpp"
#include "model/validate.hpp"
#include "spec/hardware_catalog.hpp"
#include "spec/model_catalog.hpp"
#include "util/checked.hpp"
#include "util/units.hpp"

using namespace moefit;

using moefit::test::weights_of;

namespace {

constexpr std::uint64_t kMaxContext = 10'000'000;  // the --ctx limit
constexpr std::uint64_t kMaxSequences = 10'000;    // the --batch limit

// 16 layers of 2048 experts 16384 x 8192: 3 * 16384 * 8192 * 2048 * 16 = 13.2 x 10^12 routed
// parameters, plus a plain GQA attention (8 KV heads of 128).
model::ModelSpec ten_trillion() {
    model::ModelSpec s;
    s.id = "ten-trillion";
    s.name = "Ten trillion";
    s.vocab_size = 256'000;
    s.hidden_size = 16'384;
    s.num_layers = 16;
    s.attention.num_heads = 128;
    s.attention.num_kv_heads = 8;
    s.attention.head_dim = 128;
    s.moe.num_experts = 2048;
    s.moe.experts_per_token = 8;
    s.moe.expert_intermediate_size = 8192;
    REQUIRE(model::finalize_spec(s).ok());
    return s;
}

}  // namespace

TEST_SUITE("properties::arithmetic") {
    TEST_CASE("ten trillion parameters are counted and sized exactly") {
        const model::ModelSpec spec = ten_trillion();
        const model::Inventory inv = model::build_inventory(spec);
        const model::ParamCounts c = model::count_params(spec, inv);
        const std::uint64_t routed = 3ull * 16'384 * 8192 * 2048 * 16;
        CHECK(routed == 13'194'139'533'312ull);
        CHECK(c.of(model::TensorClass::routed_expert).total == routed);
        CHECK(c.of(model::TensorClass::routed_expert).active == routed / 2048 * 8);
        CHECK(c.total > routed);
        CHECK(c.active < c.total);
        // Every element of f32 is 4 bytes and of bf16 2: the sums stay exact far past 2^32.
        CHECK(weights_of(spec, inv, "default=f32").total_bytes == 4 * c.total);
        CHECK(weights_of(spec, inv, "default=bf16").total_bytes == 2 * c.total);
        // q8_0 everywhere: 34 bytes per 32 elements; every row here divides by 32.
        CHECK(weights_of(spec, inv, "default=q8_0,router=q8_0,norms=q8_0").total_bytes == c.total / 32 * 34);
    }

    TEST_CASE("a KV cache of 10^7 tokens for 10^4 sequences is exact in every runtime") {
        const model::ModelSpec spec = ten_trillion();
        // 16 layers x (K + V) x 8 heads x 128 x 2 bytes (f16).
        const std::uint64_t per_token = 16ull * 2 * 8 * 128 * 2;
        for (engine::Runtime rt : {engine::Runtime::llama_cpp, engine::Runtime::vllm, engine::Runtime::sglang}) {
            CAPTURE(engine::runtime_name(rt));
            engine::KvOptions o;
            o.runtime = rt;
            o.sequences = kMaxSequences;
            o.context_tokens = rt == engine::Runtime::llama_cpp ? kMaxContext * kMaxSequences : kMaxContext;
            auto kv = engine::kv_cache(spec, o);
            REQUIRE_MESSAGE(kv.ok(), (kv.ok() ? std::string() : kv.error().to_string()));
            CHECK(kv->bytes_per_token == per_token);
            CHECK(kv->context_cells >= kMaxContext * kMaxSequences);
            CHECK(kv->total_bytes == per_token * kv->context_cells);
            CHECK(kv->total_bytes >= 6'553'600'000'000'000ull);  // 6.6 x 10^15 bytes, exact
        }
    }

    TEST_CASE("built-in models at 10^7 tokens and 10^4 sequences get a verdict, not an overflow") {
        auto hw = spec::find_builtin_hardware("8x-h200");
        REQUIRE(hw.ok());
        for (const char* id : {"kimi-k2", "deepseek-v3", "qwen3-next-80b-a3b", "gpt-oss-120b", "llama-4-scout"}) {
            CAPTURE(id);
            auto spec = spec::find_builtin_model(id);
            REQUIRE(spec.ok());
            const model::Inventory inv = model::build_inventory(*spec);
            for (engine::Runtime rt : {engine::Runtime::llama_cpp, engine::Runtime::vllm}) {
                CAPTURE(engine::runtime_name(rt));
                engine::FitRequest r;
                r.runtime = rt;
                r.context_tokens = kMaxContext;
                r.sequences = kMaxSequences;
                auto f = engine::fit(*spec, inv, *hw, r);
                REQUIRE_MESSAGE(f.ok(), (f.ok() ? std::string() : f.error().to_string()));
                CHECK(f->verdict == engine::Verdict::does_not_fit);
                CHECK(f->required_bytes > f->available_bytes);
                std::uint64_t sum = 0;
                for (const auto& line : f->breakdown) sum = checked_add(sum, line.bytes);
                CHECK(sum == f->required_bytes);
            }
        }
    }

    TEST_CASE("shapes past 2^64 elements raise ArithmeticOverflow instead of wrapping") {
        model::ModelSpec s = ten_trillion();
        s.hidden_size = 10'000'000;  // the schema's largest width
        s.moe.expert_intermediate_size = 10'000'000;
        s.moe.num_experts = 100'000;
        s.num_layers = 10'000;
        s.attention.head_dim = 10'000'000;
        REQUIRE(model::finalize_spec(s).ok());
        CHECK_THROWS_AS((void)model::count_params(s, model::build_inventory(s)), ArithmeticOverflow);

        // The KV cache of 10^4 layers of 8 x 10^7-wide heads at the largest context and batch.
        engine::KvOptions o;
        o.runtime = engine::Runtime::vllm;
        o.context_tokens = kMaxContext;
        o.sequences = kMaxSequences;
        bool overflow = false;
        try {
            auto kv = engine::kv_cache(s, o);
            overflow = !kv.ok();  // an Error is as good as the exception: no wrapped number
        } catch (const ArithmeticOverflow&) {
            overflow = true;
        }
        CHECK(overflow);
    }

    TEST_CASE("checked helpers throw at the 64-bit edge and are exact just below it") {
        CHECK(checked_mul(4'294'967'296ull, 4'294'967'295ull) == 18'446'744'069'414'584'320ull);
        CHECK_THROWS_AS((void)checked_mul(4'294'967'296ull, 4'294'967'296ull), ArithmeticOverflow);
        CHECK(checked_add(UINT64_MAX - 1, 1) == UINT64_MAX);
        CHECK_THROWS_AS((void)checked_add(UINT64_MAX, 1), ArithmeticOverflow);
        CHECK_THROWS_AS((void)round_up(UINT64_MAX, 16), ArithmeticOverflow);
        CHECK(ceil_div(UINT64_MAX, 2) == (UINT64_MAX >> 1) + 1);
    }
}
