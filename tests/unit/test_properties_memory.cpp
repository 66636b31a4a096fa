// Properties of the memory engine over generated specs (test_properties_generator.hpp) and
// made-up hardware: counts add up and active never exceeds total; weights, KV cache and the fit's
// required memory never shrink when context, batch, bits or layers grow; more devices never raise
// the share one device holds; identical input renders byte-identical JSON.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "engine/fit.hpp"
#include "engine/kv_cache.hpp"
#include "engine/scheme.hpp"
#include "engine/weights.hpp"
#include "engine_helpers.hpp"
#include "invariants.hpp"
#include "model/accounting.hpp"
#include "model/inventory.hpp"
#include "report/fit_report.hpp"
#include "spec/hardware_catalog.hpp"
#include "test_properties_generator.hpp"
#include "util/checked.hpp"
#include "util/units.hpp"

using namespace moefit;

using moefit::test::weights_of;

namespace {

constexpr std::uint64_t kSeeds = 24;

spec::HardwareProfile device(std::uint64_t bytes) {
    auto hw = spec::custom_hardware(Size{bytes, UnitFamily::binary});
    REQUIRE(hw.ok());
    return std::move(hw).value();
}

// A node of `count` equal devices of `bytes` each, as a profile file would describe it.
spec::HardwareProfile node(std::uint64_t count, std::uint64_t bytes) {
    spec::HardwareProfile hw = device(bytes);
    hw.id = "gen-node";
    hw.kind = spec::HardwareKind::node;
    hw.device_count = count;
    hw.host.memory = Size{count * bytes, UnitFamily::binary};
    return hw;
}

engine::FitRequest request(engine::Runtime rt, const char* quant, std::uint64_t ctx, std::uint64_t seqs) {
    engine::FitRequest r;
    r.runtime = rt;
    r.quant = quant;
    r.context_tokens = ctx;
    r.sequences = seqs;
    return r;
}

engine::FitResult run_fit(const model::ModelSpec& spec, const model::Inventory& inv, const spec::HardwareProfile& hw,
                          const engine::FitRequest& r) {
    auto f = engine::fit(spec, inv, hw, r);
    REQUIRE_MESSAGE(f.ok(), spec.id, ": ", (f.ok() ? std::string() : f.error().to_string()));
    return std::move(f).value();
}

const engine::Runtime kRuntimes[] = {engine::Runtime::llama_cpp, engine::Runtime::vllm, engine::Runtime::sglang};

// The quantization each runtime is asked for in the fit properties.
const char* quant_for(engine::Runtime rt) {
    return rt == engine::Runtime::llama_cpp ? "Q4_K_M" : "bf16";
}

}  // namespace

TEST_SUITE("properties::memory") {
    TEST_CASE("generated specs count consistently and active never exceeds total") {
        for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
            CAPTURE(seed);
            const model::ModelSpec spec = test::generated_spec(seed);
            const model::Inventory inv = model::build_inventory(spec);
            const model::ParamCounts c = model::count_params(spec, inv);
            test::check_count_invariants(spec, inv, c);
            CHECK(c.active <= c.total);
            if (spec.is_moe()) CHECK(c.active < c.total);
            const engine::WeightBytes w = weights_of(spec, inv, "Q4_K_M");
            CHECK(w.active_bytes_per_token <= w.total_bytes);
            CHECK(w.params == c.total);
        }
    }

    TEST_CASE("more bits per weight never take fewer bytes, tensor by tensor") {
        const char* schemes[] = {"default=q4_0", "default=q8_0", "default=bf16", "default=f32"};
        for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
            CAPTURE(seed);
            const model::ModelSpec spec = test::generated_spec(seed);
            const model::Inventory inv = model::build_inventory(spec);
            std::vector<engine::WeightBytes> all;
            for (const char* s : schemes) all.push_back(weights_of(spec, inv, s));
            for (std::size_t i = 1; i < all.size(); ++i) {
                CAPTURE(schemes[i]);
                CHECK(all[i - 1].total_bytes < all[i].total_bytes);
                REQUIRE(all[i].tensors.size() == all[i - 1].tensors.size());
                for (std::size_t t = 0; t < all[i].tensors.size(); ++t)
                    CHECK(all[i - 1].tensors[t].bytes <= all[i].tensors[t].bytes);
            }
            // The llama.cpp mixes keep the order of their nominal bits.
            CHECK(weights_of(spec, inv, "Q2_K").total_bytes <= weights_of(spec, inv, "Q4_K_M").total_bytes);
            CHECK(weights_of(spec, inv, "Q4_K_M").total_bytes <= weights_of(spec, inv, "Q8_0").total_bytes);
        }
    }

    TEST_CASE("one more layer never takes fewer weight or KV bytes") {
        for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
            CAPTURE(seed);
            const model::ModelSpec spec = test::generated_spec(seed);
            model::ModelSpec deeper = spec;
            deeper.num_layers += 1;
            REQUIRE(model::finalize_spec(deeper).ok());
            const auto inv = model::build_inventory(spec), deeper_inv = model::build_inventory(deeper);
            CHECK(model::count_params(spec, inv).total < model::count_params(deeper, deeper_inv).total);
            CHECK(weights_of(spec, inv, "Q4_K_M").total_bytes < weights_of(deeper, deeper_inv, "Q4_K_M").total_bytes);
            for (engine::Runtime rt : kRuntimes) {
                CAPTURE(engine::runtime_name(rt));
                engine::KvOptions o;
                o.runtime = rt;
                o.context_tokens = 8192;
                auto a = engine::kv_cache(spec, o), b = engine::kv_cache(deeper, o);
                REQUIRE(a.ok() == b.ok());
                if (a.ok()) CHECK(a->total_bytes <= b->total_bytes);
            }
        }
    }

    TEST_CASE("the KV cache never shrinks with more context or more sequences, and its layers sum to it") {
        const std::uint64_t contexts[] = {1, 512, 4096, 4097, 32768, 131072, 1'000'000};
        for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
            CAPTURE(seed);
            const model::ModelSpec spec = test::generated_spec(seed);
            for (engine::Runtime rt : kRuntimes) {
                CAPTURE(engine::runtime_name(rt));
                for (std::uint64_t seqs : {1ull, 3ull, 16ull}) {
                    CAPTURE(seqs);
                    std::uint64_t previous = 0;
                    for (std::uint64_t ctx : contexts) {
                        CAPTURE(ctx);
                        engine::KvOptions o;
                        o.runtime = rt;
                        o.sequences = seqs;
                        // llama.cpp's context holds every sequence; the others size per sequence.
                        o.context_tokens = rt == engine::Runtime::llama_cpp ? ctx * seqs : ctx;
                        auto kv = engine::kv_cache(spec, o);
                        if (!kv) {
                            MESSAGE(kv.error().to_string());
                            continue;
                        }
                        CHECK(kv->total_bytes >= previous);
                        previous = kv->total_bytes;
                        std::uint64_t sum = 0;
                        for (std::uint64_t b : kv->layer_bytes) sum += b;
                        CHECK(sum == kv->total_bytes);
                        CHECK(kv->layer_bytes.size() == spec.num_layers);
                        engine::KvOptions more = o;
                        more.sequences = seqs + 1;
                        if (rt == engine::Runtime::llama_cpp) more.context_tokens = ctx * (seqs + 1);
                        if (auto kv2 = engine::kv_cache(spec, more)) CHECK(kv2->total_bytes >= kv->total_bytes);
                    }
                }
            }
        }
    }

    TEST_CASE("the fit never needs less memory for more context, batch or bits") {
        const spec::HardwareProfile hw = device(80 * GiB);
        for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
            CAPTURE(seed);
            const model::ModelSpec spec = test::generated_spec(seed);
            const model::Inventory inv = model::build_inventory(spec);
            for (engine::Runtime rt : kRuntimes) {
                CAPTURE(engine::runtime_name(rt));
                std::uint64_t previous = 0;
                for (std::uint64_t ctx : {1024ull, 8192ull, 65536ull, 1'000'000ull}) {
                    const auto f = run_fit(spec, inv, hw, request(rt, quant_for(rt), ctx, 2));
                    CHECK(f.required_bytes >= previous);
                    previous = f.required_bytes;
                }
                previous = 0;
                for (std::uint64_t seqs : {1ull, 2ull, 7ull, 64ull}) {
                    const auto f = run_fit(spec, inv, hw, request(rt, quant_for(rt), 8192, seqs));
                    CHECK(f.required_bytes >= previous);
                    previous = f.required_bytes;
                }
            }
            const auto q4 = run_fit(spec, inv, hw, request(engine::Runtime::llama_cpp, "Q4_K_M", 8192, 1));
            const auto q8 = run_fit(spec, inv, hw, request(engine::Runtime::llama_cpp, "Q8_0", 8192, 1));
            const auto f16 = run_fit(spec, inv, hw, request(engine::Runtime::llama_cpp, "F16", 8192, 1));
            CHECK(q4.required_bytes <= q8.required_bytes);
            CHECK(q8.required_bytes <= f16.required_bytes);
        }
    }

    TEST_CASE("more devices never raise the share one device holds") {
        for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
            CAPTURE(seed);
            const model::ModelSpec spec = test::generated_spec(seed);
            const model::Inventory inv = model::build_inventory(spec);
            std::uint64_t previous = UINT64_MAX;
            for (std::uint64_t devices : {1ull, 2ull, 4ull, 8ull}) {
                CAPTURE(devices);
                if (devices > spec.num_layers) break;  // llama.cpp needs a layer per pipeline stage
                const auto f =
                    run_fit(spec, inv, node(devices, 80 * GiB), request(engine::Runtime::llama_cpp, "Q4_K_M", 8192, 1));
                const std::uint64_t share = ceil_div(f.required_bytes, f.capacity.devices);
                CHECK(share <= previous);
                previous = share;
            }
        }
    }

    TEST_CASE("identical input renders byte-identical JSON") {
        for (std::uint64_t seed = 1; seed <= 6; ++seed) {
            CAPTURE(seed);
            const model::ModelSpec a = test::generated_spec(seed), b = test::generated_spec(seed);
            const spec::HardwareProfile hw_a = device(48 * GiB), hw_b = device(48 * GiB);
            const auto inv_a = model::build_inventory(a), inv_b = model::build_inventory(b);
            engine::FitRequest r;  // every default resolved by fit
            r.sequences = 3;
            const auto fa = run_fit(a, inv_a, hw_a, r), fb = run_fit(b, inv_b, hw_b, r);
            const std::string ja = report::fit_json({a, hw_a, fa}).dump(2);
            const std::string jb = report::fit_json({b, hw_b, fb}).dump(2);
            CHECK(ja == jb);
            CHECK(report::render_fit_text({a, hw_a, fa}) == report::render_fit_text({b, hw_b, fb}));
        }
    }
}
