#include <doctest/doctest.h>

#include "engine/fit.hpp"
#include "engine/placement.hpp"
#include "fit_case.hpp"
#include "spec/hardware_catalog.hpp"
#include "spec/model_catalog.hpp"
#include "util/units.hpp"

using namespace moefit;

namespace {

using test::Case;
using test::load;
using test::run;

engine::FitRequest placement_request(const char* quant, std::uint64_t ctx) {
    engine::FitRequest r;
    r.quant = quant;
    r.context_tokens = ctx;
    return r;
}

std::uint64_t host_weights(const engine::FitResult& f) {
    return f.placement.host ? f.placement.host->weight_bytes : 0;
}

// Bytes every device holds beyond one copy: replicated tensors and per-rank rounding.
std::uint64_t extra_bytes(const engine::FitResult& f) {
    return f.placement.device_weight_bytes() + host_weights(f) - f.weights.total_bytes;
}

std::uint64_t most_loaded_weights(const engine::FitResult& f) {
    std::uint64_t m = 0;
    for (const auto& row : f.placement.stages) m = std::max(m, row.weight_bytes);
    return m;
}

}  // namespace

TEST_SUITE("engine::placement") {
    TEST_CASE("per-device weights sum to the single-device total plus what replication adds") {
        const Case c = load("deepseek-v3", "8x-h200");
        const auto one = run(c, [] {
            auto r = placement_request("native", 4096);
            r.placement.gpus = 1;
            return r;
        }());
        CHECK(one.placement.device_weight_bytes() == one.weights.total_bytes);
        CHECK(extra_bytes(one) == 0);
        const auto tp8 = run(c, placement_request("native", 4096));
        CHECK(tp8.placement.layout.tp == 8);
        // Norms, router and MLA q_a/kv_a are whole on every rank: 7 extra copies, plus rounding.
        std::uint64_t replicated = 0;
        for (std::size_t i = 0; i < c.inventory.tensors.size(); ++i) {
            const auto& t = c.inventory.tensors[i];
            if (t.mtp) continue;
            if (t.cls == model::TensorClass::norm || t.cls == model::TensorClass::router ||
                t.role == model::Role::attn_q_a || t.role == model::Role::attn_kv_a)
                replicated += tp8.weights.tensors[i].bytes;
        }
        CHECK(extra_bytes(tp8) >= 7 * replicated);
        CHECK(extra_bytes(tp8) <= 7 * replicated + 8 * c.inventory.tensors.size());
        // Layer split: nothing is replicated; llama.cpp keeps token_embd in host RAM.
        auto r = placement_request("Q4_K_M", 4096);
        r.runtime = engine::Runtime::llama_cpp;
        const auto split = run(c, r);
        CHECK(split.placement.layout.pp == 8);
        CHECK(extra_bytes(split) == 0);
        CHECK(host_weights(split) == split.weights.of(model::TensorClass::embedding));
        CHECK(split.placement.stages.size() == 8);
        CHECK(split.placement.stages.back().kv_bytes + split.placement.stages.front().kv_bytes <= split.kv.total_bytes);
    }

    TEST_CASE("splitting never lowers the most loaded device below the even share") {
        for (const char* model : {"deepseek-v3", "mixtral-8x7b", "qwen3-235b-a22b"}) {
            CAPTURE(model);
            const Case c = load(model, "8x-h200");
            for (auto runtime : {engine::Runtime::vllm, engine::Runtime::llama_cpp})
                for (std::uint64_t gpus : {2ULL, 4ULL, 8ULL}) {
                    auto r = placement_request(runtime == engine::Runtime::vllm ? "native" : "Q4_K_M", 4096);
                    r.runtime = runtime;
                    r.placement.gpus = gpus;
                    const auto f = run(c, r);
                    CHECK(most_loaded_weights(f) * gpus >= f.placement.device_weight_bytes());
                    CHECK(most_loaded_weights(f) * gpus + host_weights(f) >= f.weights.total_bytes);
                }
        }
    }

    TEST_CASE("more devices never raise the per-device share") {
        const Case c = load("qwen3-235b-a22b", "8x-h100");
        for (auto runtime : {engine::Runtime::vllm, engine::Runtime::llama_cpp}) {
            std::uint64_t previous = ~0ULL;
            for (std::uint64_t gpus : {1ULL, 2ULL, 4ULL, 8ULL}) {
                auto r = placement_request(runtime == engine::Runtime::vllm ? "native" : "Q4_K_M", 4096);
                r.runtime = runtime;
                r.placement.gpus = gpus;
                const auto f = run(c, r);
                CHECK(most_loaded_weights(f) <= previous);
                previous = most_loaded_weights(f);
            }
        }
    }

    TEST_CASE("DeepSeek-V3 FP8 at 128K fits one 8xH200 node and not one 8xH100 node") {
        const auto h200 = run(load("deepseek-v3", "8x-h200"), placement_request("native", 131072));
        CHECK(h200.verdict != engine::Verdict::does_not_fit);
        CHECK(h200.placement.stages.size() == 1);
        CHECK(h200.placement.stages[0].count == 8);
        const auto h100 = run(load("deepseek-v3", "8x-h100"), placement_request("native", 131072));
        CHECK(h100.verdict == engine::Verdict::does_not_fit);
    }

    TEST_CASE("Kimi-K2 FP8 at 128K needs more than one 8xH200 node and fits two") {
        const Case c = load("kimi-k2", "8x-h200");
        CHECK(run(c, placement_request("native", 131072)).verdict == engine::Verdict::does_not_fit);
        auto r = placement_request("native", 131072);
        r.placement.nodes = 2;
        const auto two = run(c, r);
        CHECK(two.capacity.devices == 16);
        CHECK(two.placement.layout.tp == 8);
        CHECK(two.placement.layout.pp == 2);
        CHECK(two.verdict != engine::Verdict::does_not_fit);
    }

    TEST_CASE("experts of the first blocks move to host RAM and the host is checked") {
        const Case c = load("mixtral-8x7b", "rtx-4090");
        auto r = placement_request("Q4_K_M", 32768);
        r.placement.host_memory_bytes = 64'000'000'000ULL;
        const auto none = run(c, r);
        CHECK(none.verdict == engine::Verdict::does_not_fit);
        r.placement.n_cpu_moe = 12;
        const auto some = run(c, r);
        CHECK(some.verdict != engine::Verdict::does_not_fit);
        CHECK(some.placement.layout.host_expert_layers == 12);
        CHECK(host_weights(some) > 12 * 800 * MiB);
        CHECK(some.placement.device_weight_bytes() + host_weights(some) == some.weights.total_bytes);
        // The main GPU's compute buffer holds one offloaded expert tensor.
        CHECK(some.placement.stages[0].overhead_bytes > none.placement.stages[0].overhead_bytes);
        r.placement.n_cpu_moe.reset();
        r.placement.cpu_moe = true;
        r.placement.host_memory_bytes = 16'000'000'000ULL;
        const auto small_host = run(c, r);
        CHECK(small_host.verdict == engine::Verdict::does_not_fit);
        CHECK(small_host.placement.binding == small_host.placement.stages.size());
    }

    TEST_CASE("placement options that cannot work are errors naming the option") {
        const Case c = load("mixtral-8x7b", "8x-h100");
        auto bad = [&](engine::FitRequest r, const char* key) {
            auto f = engine::fit(c.spec, c.inventory, c.hw, r);
            REQUIRE_FALSE(f.ok());
            CHECK(f.error().where.key == key);
        };
        auto r = placement_request("native", 4096);
        r.placement.tp = 3;
        bad(r, "tp");
        r = placement_request("native", 4096);
        r.placement.gpus = 9;
        bad(r, "gpus");
        r = placement_request("native", 4096);
        r.placement.cpu_moe = true;
        bad(r, "cpu-moe");
        r = placement_request("Q4_K_M", 4096);
        r.runtime = engine::Runtime::llama_cpp;
        r.placement.tp = 2;
        bad(r, "tp");
        const Case spark = load("mixtral-8x7b", "dgx-spark");
        r = placement_request("Q4_K_M", 4096);
        r.placement.n_cpu_moe = 4;
        auto f = engine::fit(spark.spec, spark.inventory, spark.hw, r);
        REQUIRE_FALSE(f.ok());
        CHECK(f.error().where.key == "cpu-moe");
    }

    TEST_CASE("a llama.cpp split of fewer layers than devices puts one layer per device and leaves the rest unused") {
        Case c = load("mixtral-8x7b", "8x-h200");
        c.spec.num_layers = 7;
        c.inventory = model::build_inventory(c.spec);
        auto r = placement_request("Q4_K_M", 4096);
        r.runtime = engine::Runtime::llama_cpp;
        const auto f = run(c, r);
        const auto& l = f.placement.layout;
        CHECK(l.pp == 7);
        CHECK(l.devices == 7);
        CHECK(l.unused_devices == 1);
        CHECK(l.how == "layer split over 7, 1 device unused (7 layers) (llama.cpp default)");
        CHECK(f.capacity.devices == 7);
        REQUIRE(f.placement.stages.size() == 7);
        std::uint64_t kv = 0;
        for (std::size_t st = 0; st < 7; ++st) {
            CAPTURE(st);
            CHECK(f.placement.stages[st].first_layer == st);
            CHECK(f.placement.stages[st].layers == 1);
            CHECK(f.placement.stages[st].count == 1);
            CHECK(f.placement.stages[st].kv_bytes > 0);
            kv += f.placement.stages[st].kv_bytes;
        }
        CHECK(kv == f.kv.total_bytes);
        CHECK(extra_bytes(f) == 0);  // every tensor on exactly one device or the host
        // --pp must match the stages llama.cpp uses: one per layer here.
        r.placement.pp = 7;
        CHECK(run(c, r).placement.layout.pp == 7);
        r.placement.pp = 8;
        auto bad = engine::fit(c.spec, c.inventory, c.hw, r);
        REQUIRE_FALSE(bad.ok());
        CHECK(bad.error().where.key == "pp");
        CHECK(bad.error().message == "llama.cpp splits the 7 layers over 7 of the 8 devices: expected --pp 7, found 8");
    }

    TEST_CASE("expert parallel with data-parallel attention splits experts and sequences") {
        const Case c = load("deepseek-v3", "8x-h200");
        auto r = placement_request("native", 32768);
        r.sequences = 16;
        r.placement.ep = 8;
        const auto ep = run(c, r);
        CHECK(ep.placement.layout.tp == 1);
        CHECK(ep.placement.layout.dp == 8);
        r.placement.ep.reset();
        const auto tp = run(c, r);
        // The MLA latent is on every TP rank; with DP attention each rank holds 2 of 16 sequences.
        CHECK(ep.placement.stages[0].kv_bytes * 8 == tp.placement.stages[0].kv_bytes);
    }
}
