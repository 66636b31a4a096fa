#include <doctest/doctest.h>

#include <map>
#include <string>

#include "engine/scheme.hpp"
#include "engine/weights.hpp"
#include "invariants.hpp"
#include "spec/model_catalog.hpp"
#include "util/units.hpp"

using namespace moefit;

namespace {

engine::WeightBytes weights_of(const char* model, const char* scheme) {
    auto spec = spec::find_builtin_model(model);
    REQUIRE(spec.ok());
    auto inv = model::build_inventory(*spec);
    auto sch = engine::parse_scheme(scheme, *spec);
    REQUIRE_MESSAGE(sch.ok(), sch.error().to_string());
    auto w = engine::compute_weights(inv, *spec, *sch);
    REQUIRE_MESSAGE(w.ok(), w.error().to_string());
    return std::move(*w);
}

std::map<std::string, std::uint64_t> tensors_per_format(const engine::WeightBytes& w) {
    std::map<std::string, std::uint64_t> out;
    for (const auto& f : w.by_format) out[std::string(f.format)] = f.tensors;
    return out;
}

// Parts sum to the whole, per class and per format, and every tensor has a format.
void check_sums(const engine::WeightBytes& w) {
    std::uint64_t by_class = 0, by_format = 0, by_tensor = 0;
    for (auto b : w.by_class) by_class += b;
    for (const auto& f : w.by_format) by_format += f.bytes;
    for (const auto& t : w.tensors) {
        REQUIRE(t.format != nullptr);
        by_tensor += t.bytes;
    }
    CHECK(by_class == w.with_mtp_bytes());
    CHECK(by_format == w.with_mtp_bytes());
    CHECK(by_tensor == w.with_mtp_bytes());
    CHECK(w.active_bytes_per_token <= w.total_bytes);
    CHECK(w.bits_per_weight > 0);
}

}  // namespace

TEST_SUITE("engine::weights") {
    TEST_CASE("Qwen3-30B-A3B Q4_K_M has llama.cpp's tensor mix and 17.28 GiB of weights") {
        // llama.cpp load log of Qwen3-30B-A3B-Q4_K_M.gguf (formats.md §2): 241 f32, 289 q4_K, 49 q6_K,
        // "file size = 17.28 GiB (4.86 BPW)".
        const auto w = weights_of("qwen3-30b-a3b", "Q4_K_M");
        check_sums(w);
        const auto mix = tensors_per_format(w);
        CHECK(mix.at("f32") == 241);
        CHECK(mix.at("q4_k") == 289);
        CHECK(mix.at("q6_k") == 49);
        CHECK(mix.size() == 3);
        CHECK(double(w.total_bytes) / double(GiB) == doctest::Approx(17.28).epsilon(0.001));
        CHECK(w.bits_per_weight == doctest::Approx(4.86).epsilon(0.002));
    }

    TEST_CASE("gpt-oss-120b MXFP4_MOE has llama.cpp's tensor mix and 59.02 GiB of weights") {
        // llama.cpp load log of gpt-oss-120b-mxfp4.gguf (formats.md §2): 433 f32, 146 q8_0, 108 mxfp4,
        // "file size = 59.02 GiB".
        const auto w = weights_of("gpt-oss-120b", "MXFP4_MOE");
        check_sums(w);
        const auto mix = tensors_per_format(w);
        CHECK(mix.at("f32") == 433);
        CHECK(mix.at("q8_0") == 146);
        CHECK(mix.at("mxfp4") == 108);
        CHECK(double(w.total_bytes) / double(GiB) == doctest::Approx(59.02).epsilon(0.001));
    }

    TEST_CASE("DeepSeek-V3's native FP8 checkpoint matches the published safetensors size") {
        // deepseek-ai/DeepSeek-V3 model.safetensors.index.json metadata.total_size = 688,586,727,753
        // bytes. The checkpoint also stores the MTP layer's own copies of embed_tokens and
        // shared_head.head (2 x 129280 x 7168 bf16), which our inventory shares with the main model.
        const auto w = weights_of("deepseek-v3", "native");
        check_sums(w);
        CHECK(w.params == 671026419200ULL);
        const std::uint64_t mtp_copies = 2ULL * 129280 * 7168 * 2;
        const double stored = double(w.with_mtp_bytes() + mtp_copies);
        CHECK(stored / 688586727753.0 == doctest::Approx(1.0).epsilon(0.0001));
        CHECK(w.mtp_bytes > 0);
    }

    TEST_CASE("more bits per weight never gives fewer bytes across the llama.cpp K-quant ladder") {
        for (const char* model : {"mixtral-8x7b", "qwen3-235b-a22b", "deepseek-v3", "llama-3.1-70b"}) {
            std::uint64_t previous = 0;
            for (const char* scheme :
                 {"IQ2_XXS", "Q2_K", "Q3_K_M", "Q4_K_S", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0", "bf16"}) {
                CAPTURE(model);
                CAPTURE(scheme);
                const auto w = weights_of(model, scheme);
                check_sums(w);
                CHECK(w.total_bytes > previous);
                previous = w.total_bytes;
            }
        }
    }

    TEST_CASE("bf16 stores two bytes per parameter and f32 four") {
        const auto bf16 = weights_of("mixtral-8x7b", "bf16");
        CHECK(bf16.total_bytes == 2ULL * 46702792704ULL);
        CHECK(bf16.bits_per_weight == doctest::Approx(16.0));
        const auto f32 = weights_of("mixtral-8x7b", "fp32");
        CHECK(f32.total_bytes == 4ULL * 46702792704ULL);
    }

    TEST_CASE("a user mix overrides the experts of a base scheme and nothing else") {
        const auto base = weights_of("mixtral-8x7b", "Q4_K_M");
        const auto mixed = weights_of("mixtral-8x7b", "Q4_K_M,experts=q8_0");
        check_sums(mixed);
        CHECK(mixed.of(model::TensorClass::routed_expert) > base.of(model::TensorClass::routed_expert));
        CHECK(mixed.of(model::TensorClass::attention) == base.of(model::TensorClass::attention));
        CHECK(mixed.of(model::TensorClass::embedding) == base.of(model::TensorClass::embedding));
    }

    TEST_CASE("an unknown scheme name is an error with a suggestion") {
        auto spec = spec::find_builtin_model("mixtral-8x7b");
        REQUIRE(spec.ok());
        auto sch = engine::parse_scheme("Q4_K_N", *spec);
        REQUIRE_FALSE(sch.ok());
        CHECK(sch.error().hint.find("Q4_K_M") != std::string::npos);
        CHECK_FALSE(engine::parse_scheme("experts=q4_k,experts=q8_0", *spec).ok());
        CHECK_FALSE(engine::parse_scheme("experts=q9_k", *spec).ok());
        CHECK_FALSE(engine::parse_scheme("elephants=q4_k", *spec).ok());
    }
}

TEST_SUITE("engine::weights") {
    TEST_CASE("Mixtral-8x22B llama.cpp quantizations match the published GGUF file sizes") {
        // bartowski/Mixtral-8x22B-v0.1-GGUF model card (llama.cpp b2636), file sizes in GB:
        // https://huggingface.co/bartowski/Mixtral-8x22B-v0.1-GGUF. A file also holds its metadata and
        // vocabulary (a few MB), so 0.05% is the tolerance.
        const std::pair<const char*, double> published_gb[] = {
            {"Q5_K_M", 99.96}, {"Q5_K_S", 96.97}, {"Q4_K_M", 85.58}, {"Q4_K_S", 80.47}, {"IQ4_NL", 80.47},
            {"IQ4_XS", 76.35}, {"Q3_K_L", 72.57}, {"Q3_K_M", 67.78}, {"IQ3_M", 64.49},  {"IQ3_S", 61.49},
            {"Q3_K_S", 61.49}, {"IQ3_XS", 58.22}, {"Q2_K", 52.10},
        };
        for (const auto& [scheme, gb] : published_gb) {
            CAPTURE(scheme);
            const auto w = weights_of("mixtral-8x22b", scheme);
            check_sums(w);
            CHECK(double(w.total_bytes) / 1e9 == doctest::Approx(gb).epsilon(0.0005));
        }
    }
}

TEST_SUITE("engine::weights") {
    TEST_CASE("\"native\" stands for a quantized checkpoint's mix (GPTQ) and may be followed by more items") {
        model::ModelSpec spec = spec::find_builtin_model("mixtral-8x7b").value();
        spec.native_format = "fp16,experts=gptq4_g128,attention=gptq4_g128";  // as hf_quant reads a GPTQ config
        const auto native = engine::parse_scheme("native", spec);
        REQUIRE_MESSAGE(native.ok(), native.error().to_string());
        const auto spelled = engine::parse_scheme(spec.native_format, spec);
        REQUIRE(spelled.ok());
        CHECK(native->name == spelled->name);
        const model::Inventory inv = model::build_inventory(spec);
        const auto a = engine::compute_weights(inv, spec, *native);
        const auto b = engine::compute_weights(inv, spec, *spelled);
        REQUIRE(a.ok());
        REQUIRE(b.ok());
        CHECK(a->total_bytes == b->total_bytes);
        // GPTQ 4-bit experts are far smaller than the fp16 rest of the model would make them.
        CHECK(a->total_bytes <
              engine::compute_weights(inv, spec, engine::parse_scheme("fp16", spec).value())->total_bytes / 3);
        // An item after "native" overrides the checkpoint's own.
        const auto more = engine::parse_scheme("native,output=q8_0", spec);
        REQUIRE(more.ok());
        CHECK(more->name.find("output=q8_0") != std::string::npos);
        // A layout that is neither a checkpoint name nor a mix still fails, naming it.
        spec.native_format = "gguf";
        CHECK_FALSE(engine::parse_scheme("native", spec).ok());
    }
}
