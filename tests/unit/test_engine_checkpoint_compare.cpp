#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "binary_builders.hpp"
#include "engine/checkpoint_compare.hpp"
#include "engine/gguf_summary.hpp"
#include "engine/scheme.hpp"
#include "engine/weights.hpp"
#include "model/validate.hpp"
#include "spec/gguf_model.hpp"

using namespace moefit;
using namespace moefit::engine;
using moefit::test::GgufBuilder;
using namespace moefit::test::ggml_type;
using moefit::test::MemoryFileSystem;
using moefit::test::SafetensorsBuilder;

namespace {

// The 1-layer Mixtral-like model of tests/golden/inspect_gguf_tiny_mixtral (scripts/
// make_checkpoint_fixtures.py writes the same file).
GgufBuilder tiny_mixtral(bool with_down_exps = true) {
    GgufBuilder b;
    b.kv_string("general.architecture", "llama")
        .kv_string("general.name", "tiny-mixtral")
        .kv_u32("general.file_type", 15)
        .kv_u32("llama.block_count", 1)
        .kv_u32("llama.embedding_length", 256)
        .kv_u32("llama.feed_forward_length", 32)
        .kv_u32("llama.attention.head_count", 2)
        .kv_u32("llama.attention.head_count_kv", 1)
        .kv_u32("llama.attention.key_length", 32)
        .kv_u32("llama.expert_count", 2)
        .kv_u32("llama.expert_used_count", 1)
        .tensor("token_embd.weight", {256, 8}, Q4_K, 8 * 144)
        .tensor("blk.0.attn_norm.weight", {256}, F32, 1024)
        .tensor("blk.0.ffn_norm.weight", {256}, F32, 1024)
        .tensor("blk.0.attn_q.weight", {256, 64}, Q4_K, 64 * 144)
        .tensor("blk.0.attn_k.weight", {256, 32}, Q4_K, 32 * 144)
        .tensor("blk.0.attn_v.weight", {256, 32}, Q6_K, 32 * 210)
        .tensor("blk.0.attn_output.weight", {64, 256}, Q8_0, 256 * 2 * 34)
        .tensor("blk.0.ffn_gate_inp.weight", {256, 2}, F32, 2048)
        .tensor("blk.0.ffn_gate_exps.weight", {256, 32, 2}, Q4_K, 64 * 144)
        .tensor("blk.0.ffn_up_exps.weight", {256, 32, 2}, Q4_K, 64 * 144);
    if (with_down_exps) b.tensor("blk.0.ffn_down_exps.weight", {32, 256, 2}, Q8_0, 512 * 34);
    b.tensor("output_norm.weight", {256}, F32, 1024).tensor("output.weight", {256, 8}, Q6_K, 8 * 210);
    return b;
}

spec::GgufModel read_tiny(const GgufBuilder& b) {
    MemoryFileSystem fs;
    fs.add("tiny.gguf", b.build());
    auto m = spec::read_gguf_model("tiny.gguf", fs, spec::GgufReadOptions{ggml_type_table()});
    REQUIRE_MESSAGE(m.ok(), m.error().to_string());
    return std::move(m).value();
}

const TypeBytes& type_row(const std::vector<TypeBytes>& rows, const std::string& type) {
    for (const auto& r : rows)
        if (r.type == type) return r;
    FAIL("no row for " << type);
    return rows.front();
}

// A Mixtral-like spec small enough to write every tensor: h 64, 2 experts of width 64.
model::ModelSpec small_spec(const std::string& native) {
    model::ModelSpec s;
    s.id = "small";
    s.vocab_size = 8, s.hidden_size = 64, s.num_layers = 1;
    s.attention.num_heads = 2, s.attention.num_kv_heads = 1, s.attention.head_dim = 32;
    s.moe.num_experts = 2, s.moe.experts_per_token = 1, s.moe.expert_intermediate_size = 64;
    s.native_format = native;
    REQUIRE(model::finalize_spec(s).ok());
    return s;
}

// Writes the checkpoint the way the Hugging Face release of each layout stores it: Mixtral
// names (per-expert w1/w2/w3), and gpt-oss's fused MXFP4 blocks for mxfp4_experts.
spec::SafetensorsModel write_checkpoint(const model::ModelSpec& s, const std::string& layout, bool drop_one = false) {
    SafetensorsBuilder b;
    const std::string p = "model.layers.0.";
    auto matrix = [&](const std::string& name, std::uint64_t out, std::uint64_t in) {
        if (layout == "bf16") {
            b.tensor(name + ".weight", "BF16", {out, in});
        } else if (layout == "fp8_block128") {
            b.tensor(name + ".weight", "F8_E4M3", {out, in});
            b.tensor(name + ".weight_scale_inv", "F32", {(out + 127) / 128, (in + 127) / 128});
        } else if (layout == "int4_g32_experts") {
            b.tensor(name + ".weight_packed", "I32", {out, (in + 7) / 8});
            b.tensor(name + ".weight_scale", "BF16", {out, (in + 31) / 32});
            b.tensor(name + ".weight_shape", "I64", {2});
        }
    };
    const std::uint64_t h = s.hidden_size, w = s.moe.expert_intermediate_size;
    const bool fp8 = layout == "fp8_block128";
    b.tensor("model.embed_tokens.weight", "BF16", {s.vocab_size, h});
    b.tensor("lm_head.weight", "BF16", {s.vocab_size, h});
    b.tensor("model.norm.weight", "BF16", {h});
    b.tensor(p + "input_layernorm.weight", "BF16", {h});
    b.tensor(p + "post_attention_layernorm.weight", "BF16", {h});
    for (const char* proj : {"q_proj", "k_proj", "v_proj", "o_proj"}) {
        const std::string name = p + "self_attn." + proj;
        const std::uint64_t out = proj[0] == 'q' || proj[0] == 'o' ? 64 : 32;
        if (fp8)
            matrix(name, proj[0] == 'o' ? h : out, proj[0] == 'o' ? 64 : h);
        else
            b.tensor(name + ".weight", "BF16", {proj[0] == 'o' ? h : out, proj[0] == 'o' ? 64 : h});
    }
    if (layout == "mxfp4_experts") {
        b.tensor(p + "mlp.router.weight", "BF16", {2, h});
        b.tensor(p + "mlp.experts.gate_up_proj_blocks", "U8", {2, 2 * w, h / 32, 16});
        b.tensor(p + "mlp.experts.gate_up_proj_scales", "U8", {2, 2 * w, h / 32});
        if (!drop_one) b.tensor(p + "mlp.experts.down_proj_blocks", "U8", {2, h, w / 32, 16});
        b.tensor(p + "mlp.experts.down_proj_scales", "U8", {2, h, w / 32});
    } else {
        b.tensor(p + "block_sparse_moe.gate.weight", "BF16", {2, h});
        for (int e = 0; e < 2; ++e) {
            const std::string ex = p + "block_sparse_moe.experts." + std::to_string(e) + ".";
            if (drop_one && e == 1) continue;
            matrix(ex + "w1", w, h);
            matrix(ex + "w3", w, h);
            matrix(ex + "w2", h, w);
        }
    }
    MemoryFileSystem fs;
    fs.add("m/model.safetensors", b.build());
    auto m = spec::read_safetensors_model("m", fs);
    REQUIRE_MESSAGE(m.ok(), m.error().to_string());
    return std::move(m).value();
}

CheckpointComparison compare_layout(const model::ModelSpec& s, const spec::SafetensorsModel& files,
                                    WeightBytes* weights_out = nullptr) {
    const auto inventory = model::build_inventory(s);
    auto scheme = parse_scheme("native", s);
    REQUIRE_MESSAGE(scheme.ok(), scheme.error().to_string());
    auto weights = compute_weights(inventory, s, *scheme);
    REQUIRE_MESSAGE(weights.ok(), weights.error().to_string());
    if (weights_out) *weights_out = *weights;
    return compare_checkpoint(inventory, found_in_safetensors(files), &*weights);
}

}  // namespace

TEST_SUITE("engine::checkpoint_compare") {
    TEST_CASE("a GGUF file gives exact bytes per ggml type and class, its mix and bits per weight") {
        const spec::GgufModel m = read_tiny(tiny_mixtral());
        auto spec = spec::spec_from_gguf(m.header);
        REQUIRE_MESSAGE(spec.ok(), spec.error().to_string());
        auto s = summarize_gguf(m, spec->num_layers);
        REQUIRE_MESSAGE(s.ok(), s.error().to_string());
        CHECK_EQ(s->file_type, "Q4_K_M");
        CHECK_EQ(s->tensors, 13);
        CHECK_EQ(s->total_bytes, 81744);
        CHECK_EQ(s->mtp_bytes, 0);
        CHECK_EQ(s->params, 103680);
        CHECK_EQ(s->bits_per_weight, doctest::Approx(8.0 * 81744 / 103680));
        CHECK_EQ(type_row(s->by_type, "Q8_0").bytes, 34816);
        CHECK_EQ(type_row(s->by_type, "Q4_K").bytes, 33408);
        CHECK_EQ(type_row(s->by_type, "Q6_K").bytes, 8400);
        CHECK_EQ(type_row(s->by_type, "F32").bytes, 5120);
        CHECK_EQ(s->by_type.front().type, "Q8_0");  // most bytes first
        std::uint64_t class_sum = 0, type_sum = 0;
        for (const auto& c : s->by_class) class_sum += c.bytes;
        for (const auto& t : s->by_type) type_sum += t.bytes;
        CHECK_EQ(class_sum, s->total_bytes);  // parts sum to the total
        CHECK_EQ(type_sum, s->total_bytes);
        REQUIRE_EQ(s->by_class.size(), 6);
        CHECK_EQ(s->by_class[3].cls, "routed experts");
        CHECK_EQ(s->by_class[3].bytes, 2 * 9216 + 17408);
        CHECK_EQ(type_row(s->by_class[3].types, "Q8_0").tensors, 1);
        CHECK_EQ(s->mix[10].kind, "ffn_down_exps.weight");
        CHECK_EQ(s->mix[10].types.front().type, "Q8_0");
        CHECK(s->other.empty());
    }

    TEST_CASE("a GGUF file agrees with the inventory of its own metadata, and a missing tensor is reported") {
        const spec::GgufModel m = read_tiny(tiny_mixtral());
        auto spec = spec::spec_from_gguf(m.header);
        REQUIRE(spec.ok());
        const auto inventory = model::build_inventory(*spec);
        const auto c = compare_checkpoint(inventory, found_in_gguf(m.header), nullptr);
        CHECK(c.agrees());
        CHECK_EQ(c.matched, 13);
        CHECK_EQ(c.expected_elements, 103680);
        CHECK_EQ(c.found_elements, 103680);
        CHECK_EQ(c.found_bytes, 81744);

        const spec::GgufModel partial = read_tiny(tiny_mixtral(/*with_down_exps=*/false));
        const auto d = compare_checkpoint(inventory, found_in_gguf(partial.header), nullptr);
        REQUIRE_EQ(d.mismatches.size(), 1);
        CHECK_EQ(d.mismatches[0].kind, MismatchKind::missing);
        CHECK_EQ(d.mismatches[0].name, "blk.0.ffn_down_exps.weight");
        CHECK_EQ(d.mismatches[0].message, "missing from the checkpoint (expected 16,384 weights)");
    }

    TEST_CASE("safetensors checkpoints in every native layout give exactly the predicted bytes") {
        for (const std::string layout : {"bf16", "fp8_block128", "mxfp4_experts", "int4_g32_experts"}) {
            CAPTURE(layout);
            const model::ModelSpec s = small_spec(layout);
            const spec::SafetensorsModel files = write_checkpoint(s, layout);
            WeightBytes weights;
            const auto c = compare_layout(s, files, &weights);
            for (const auto& m : c.mismatches) CAPTURE(m.name + ": " + m.message);
            CHECK(c.agrees());
            CHECK_EQ(c.found_bytes, files.total.bytes);
            CHECK_EQ(c.expected_bytes, weights.with_mtp_bytes());
            CHECK_EQ(c.found_bytes, c.expected_bytes);
            CHECK_EQ(c.found_elements, c.expected_elements);
        }
    }

    TEST_CASE("a bf16 checkpoint's exact bytes and the per-class dtypes") {
        const model::ModelSpec s = small_spec("bf16");
        const auto c = compare_layout(s, write_checkpoint(s, "bf16"));
        // 8x64 embedding and head, 3 norms of 64, q/o 64x64, k/v 32x64, router 2x64, 6 experts 64x64.
        CHECK_EQ(c.expected_elements, 2 * 512 + 3 * 64 + 2 * 4096 + 2 * 2048 + 128 + 6 * 4096);
        CHECK_EQ(c.found_bytes, 2 * c.expected_elements);
        REQUIRE_EQ(c.by_class[3].cls, "routed experts");
        CHECK_EQ(c.by_class[3].dtypes.size(), 1);
        CHECK_EQ(c.by_class[3].dtypes[0].dtype, "BF16");
        CHECK_EQ(c.by_class[3].dtypes[0].tensors, 6);
        CHECK_EQ(c.by_class[3].found_bytes, 6 * 4096 * 2);
    }

    TEST_CASE("a missing expert and an unknown tensor are reported tensor by tensor") {
        const model::ModelSpec s = small_spec("fp8_block128");
        auto files = write_checkpoint(s, "fp8_block128", /*drop_one=*/true);
        spec::SafetensorsTensor extra;
        extra.name = "model.layers.0.self_attn.rotary_emb.inv_freq";
        extra.dtype = spec::SafetensorsDtype::f32;
        extra.elements = 16;
        extra.bytes = 64;
        files.tensors.push_back(extra);
        const auto c = compare_layout(s, files);
        REQUIRE_EQ(c.mismatches.size(), 4);
        CHECK_EQ(c.mismatches[0].name, "blk.0.ffn_gate_exps.weight");
        CHECK_EQ(c.mismatches[0].kind, MismatchKind::elements);
        CHECK_EQ(c.mismatches[0].message, "expected 8,192 weights, found 4,096");
        CHECK_EQ(c.mismatches[2].name, "blk.0.ffn_down_exps.weight");
        CHECK_EQ(c.mismatches[3].kind, MismatchKind::unexpected);
        CHECK_EQ(c.mismatches[3].message, "not in our description (unknown tensor name)");
        CHECK_EQ(c.by_class.back().cls, "not in our description");
        CHECK_EQ(c.by_class.back().found_bytes, 64);
    }

    TEST_CASE("a checkpoint in another layout than the description shows byte mismatches") {
        const model::ModelSpec s = small_spec("bf16");
        const auto c = compare_layout(s, write_checkpoint(s, "mxfp4_experts"));
        REQUIRE_EQ(c.mismatches.size(), 2);
        CHECK_EQ(c.mismatches[0].kind, MismatchKind::bytes);
        CHECK_EQ(c.mismatches[0].name, "blk.0.ffn_gate_exps.weight + blk.0.ffn_up_exps.weight");
        CHECK_EQ(c.mismatches[0].message, "expected 32,768 bytes in the native format, found 8,704");
    }

    TEST_CASE("a fused MXFP4 tensor left out is missing as a group") {
        const model::ModelSpec s = small_spec("mxfp4_experts");
        const auto c = compare_layout(s, write_checkpoint(s, "mxfp4_experts", /*drop_one=*/true));
        REQUIRE_EQ(c.mismatches.size(), 1);
        CHECK_EQ(c.mismatches[0].name, "blk.0.ffn_down_exps.weight");
        CHECK_EQ(c.mismatches[0].kind, MismatchKind::elements);  // its scales are still there
        CHECK_EQ(c.mismatches[0].message, "expected 8,192 weights, found 0");
    }

}  // TEST_SUITE
