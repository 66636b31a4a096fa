#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "binary_builders.hpp"
#include "spec/gguf_model.hpp"

using namespace moefit;
using namespace moefit::spec;
using moefit::test::GgufBuilder;
using namespace moefit::test::ggml_type;

namespace {

// Metadata plus one F32 stand-in tensor per name (shapes matter only for token_embd).
Result<model::ModelSpec> spec_of(GgufBuilder& b, const std::vector<std::string>& block_tensors,
                                 std::uint64_t vocab = 1000, std::uint64_t hidden = 64, bool output = true) {
    b.tensor("token_embd.weight", {hidden, vocab}, F32, 0);
    if (output) b.tensor("output.weight", {hidden, vocab}, F32, 0);
    for (const auto& n : block_tensors) b.tensor("blk.0." + n, {1}, F32, 0);
    MemoryByteSource source(b.build(), "m.gguf");
    auto header = read_gguf(source);
    REQUIRE_MESSAGE(header.ok(), header.error().to_string());
    return spec_from_gguf(*header);
}

}  // namespace

TEST_SUITE("spec::gguf_model") {
    TEST_CASE("llama with experts is read as Mixtral") {
        GgufBuilder b;
        b.kv_string("general.architecture", "llama")
            .kv_string("general.name", "Mixtral 8x7B")
            .kv_u32("llama.block_count", 32)
            .kv_u32("llama.embedding_length", 4096)
            .kv_u32("llama.feed_forward_length", 14336)
            .kv_u32("llama.attention.head_count", 32)
            .kv_u32("llama.attention.head_count_kv", 8)
            .kv_u32("llama.expert_count", 8)
            .kv_u32("llama.expert_used_count", 2);
        auto s = spec_of(b, {}, 32000, 4096);
        REQUIRE_MESSAGE(s.ok(), s.error().to_string());
        CHECK_EQ(s->architecture, "MixtralForCausalLM");
        CHECK_EQ(s->gguf_arch, "llama");
        CHECK_EQ(s->name, "Mixtral 8x7B");
        CHECK_EQ(s->id, "m");
        CHECK_EQ(s->origin, "m.gguf");
        CHECK_EQ(s->vocab_size, 32000);
        CHECK_EQ(s->num_layers, 32);
        CHECK_EQ(s->attention.head_dim, 128);
        CHECK_EQ(s->attention.num_kv_heads, 8);
        CHECK_EQ(s->moe.num_experts, 8);
        CHECK_EQ(s->moe.experts_per_token, 2);
        CHECK_EQ(s->moe.expert_intermediate_size, 14336);
        CHECK_EQ(s->intermediate_size, 0);
        CHECK_FALSE(s->tie_embeddings);
    }

    TEST_CASE("deepseek2 reads MLA sizes, shared experts, sigmoid routing and the MTP layer") {
        GgufBuilder b;
        b.kv_string("general.architecture", "deepseek2")
            .kv_u32("deepseek2.block_count", 62)
            .kv_u32("deepseek2.nextn_predict_layers", 1)
            .kv_u32("deepseek2.embedding_length", 7168)
            .kv_u32("deepseek2.feed_forward_length", 18432)
            .kv_u32("deepseek2.attention.head_count", 128)
            .kv_u32("deepseek2.attention.head_count_kv", 1)
            .kv_u32("deepseek2.attention.key_length", 576)
            .kv_u32("deepseek2.attention.value_length", 512)
            .kv_u32("deepseek2.attention.key_length_mla", 192)
            .kv_u32("deepseek2.attention.value_length_mla", 128)
            .kv_u32("deepseek2.attention.q_lora_rank", 1536)
            .kv_u32("deepseek2.attention.kv_lora_rank", 512)
            .kv_u32("deepseek2.rope.dimension_count", 64)
            .kv_u32("deepseek2.leading_dense_block_count", 3)
            .kv_u32("deepseek2.expert_count", 256)
            .kv_u32("deepseek2.expert_used_count", 8)
            .kv_u32("deepseek2.expert_feed_forward_length", 2048)
            .kv_u32("deepseek2.expert_shared_count", 1)
            .kv_u32("deepseek2.expert_gating_func", 2)
            .kv_u32("deepseek2.expert_group_count", 8)
            .kv_u32("deepseek2.expert_group_used_count", 4);
        auto s = spec_of(b, {"ffn_up_shexp.weight", "exp_probs_b.bias"}, 129280, 7168);
        REQUIRE_MESSAGE(s.ok(), s.error().to_string());
        CHECK_EQ(s->architecture, "DeepseekV3ForCausalLM");
        CHECK_EQ(s->num_layers, 61);
        CHECK_EQ(s->mtp_layers, 1);
        CHECK_EQ(s->attention.kind, model::AttentionKind::mla);
        CHECK_EQ(s->attention.qk_nope_head_dim, 128);
        CHECK_EQ(s->attention.qk_rope_head_dim, 64);
        CHECK_EQ(s->attention.v_head_dim, 128);
        CHECK_EQ(s->attention.q_lora_rank, 1536);
        CHECK_EQ(s->attention.kv_lora_rank, 512);
        CHECK_EQ(s->moe.first_dense_layers, 3);
        CHECK_EQ(s->moe.num_shared_experts, 1);
        CHECK_EQ(s->moe.shared_intermediate_size, 2048);
        CHECK_EQ(s->moe.router, model::RouterKind::sigmoid);
        CHECK(s->moe.correction_bias);
        CHECK_EQ(s->moe.num_groups, 8);
        CHECK_EQ(s->moe.topk_groups, 4);
        CHECK_EQ(s->intermediate_size, 18432);
    }

    TEST_CASE("gpt-oss reads sliding layers, sinks and biases from the tensors") {
        GgufBuilder b;
        b.kv_string("general.architecture", "gpt-oss")
            .kv_u32("gpt-oss.block_count", 24)
            .kv_u32("gpt-oss.embedding_length", 2880)
            .kv_u32("gpt-oss.attention.head_count", 64)
            .kv_u32("gpt-oss.attention.head_count_kv", 8)
            .kv_u32("gpt-oss.attention.key_length", 64)
            .kv_u32("gpt-oss.attention.value_length", 64)
            .kv_u32("gpt-oss.attention.sliding_window", 128)
            .kv_u32("gpt-oss.expert_count", 32)
            .kv_u32("gpt-oss.expert_used_count", 4)
            .kv_u32("gpt-oss.expert_feed_forward_length", 2880);
        auto s = spec_of(b,
                         {"attn_q.bias", "attn_k.bias", "attn_v.bias", "attn_output.bias", "attn_sinks.weight",
                          "ffn_gate_inp.bias", "ffn_down_exps.bias"},
                         201088, 2880);
        REQUIRE_MESSAGE(s.ok(), s.error().to_string());
        CHECK_EQ(s->architecture, "GptOssForCausalLM");
        CHECK_EQ(s->attention.layer_pattern, "SF");
        CHECK_EQ(s->attention.sliding_window, 128);
        CHECK(s->attention.sinks);
        CHECK(s->attention.q_bias);
        CHECK(s->attention.o_bias);
        CHECK(s->moe.router_bias);
        CHECK(s->moe.expert_bias);
        CHECK_EQ(s->moe.expert_intermediate_size, 2880);
    }

    TEST_CASE("qwen3next reads its linear-attention layers") {
        GgufBuilder b;
        b.kv_string("general.architecture", "qwen3next")
            .kv_u32("qwen3next.block_count", 48)
            .kv_u32("qwen3next.embedding_length", 2048)
            .kv_u32("qwen3next.attention.head_count", 16)
            .kv_u32("qwen3next.attention.head_count_kv", 2)
            .kv_u32("qwen3next.attention.key_length", 256)
            .kv_u32("qwen3next.full_attention_interval", 4)
            .kv_u32("qwen3next.ssm.conv_kernel", 4)
            .kv_u32("qwen3next.ssm.state_size", 128)
            .kv_u32("qwen3next.ssm.group_count", 16)
            .kv_u32("qwen3next.ssm.time_step_rank", 32)
            .kv_u32("qwen3next.ssm.inner_size", 4096)
            .kv_u32("qwen3next.expert_count", 512)
            .kv_u32("qwen3next.expert_used_count", 10)
            .kv_u32("qwen3next.expert_feed_forward_length", 512)
            .kv_u32("qwen3next.expert_shared_feed_forward_length", 512);
        auto s = spec_of(b, {"ffn_up_shexp.weight", "ffn_gate_inp_shexp.weight", "attn_q_norm.weight"}, 151936, 2048);
        REQUIRE_MESSAGE(s.ok(), s.error().to_string());
        CHECK_EQ(s->attention.layer_pattern, "LLLF");
        CHECK(s->attention.output_gate);
        CHECK(s->attention.qk_norm);
        CHECK_EQ(s->linear.num_key_heads, 16);
        CHECK_EQ(s->linear.num_value_heads, 32);
        CHECK_EQ(s->linear.value_head_dim, 128);
        CHECK_EQ(s->moe.shared_intermediate_size, 512);
        CHECK(s->moe.shared_expert_gate);
    }

    TEST_CASE("a tied head and a dense qwen3 model") {
        GgufBuilder b;
        b.kv_string("general.architecture", "qwen3")
            .kv_u32("qwen3.block_count", 2)
            .kv_u32("qwen3.embedding_length", 64)
            .kv_u32("qwen3.feed_forward_length", 128)
            .kv_u32("qwen3.attention.head_count", 4)
            .kv_u32("qwen3.attention.head_count_kv", 2);
        auto s = spec_of(b, {"attn_q_norm.weight"}, 100, 64, /*output=*/false);
        REQUIRE_MESSAGE(s.ok(), s.error().to_string());
        CHECK_FALSE(s->is_moe());
        CHECK(s->tie_embeddings);
        CHECK_EQ(s->intermediate_size, 128);
        CHECK_EQ(s->attention.head_dim, 16);
    }

    TEST_CASE("unsupported architectures and missing keys are named") {
        GgufBuilder unknown;
        unknown.kv_string("general.architecture", "qwen3mo");
        auto r = spec_of(unknown, {});
        REQUIRE_FALSE(r.ok());
        CHECK_EQ(r.error().to_string(),
                 "m.gguf: general.architecture: architecture \"qwen3mo\" is not supported "
                 "(supported: llama, qwen2, qwen3, qwen2moe, qwen3moe, qwen3next, deepseek2, "
                 "glm4moe, gpt-oss, llama4)");
        CHECK_EQ(r.error().hint, "did you mean \"qwen3\", \"qwen3moe\" or \"qwen2moe\"?");

        GgufBuilder missing;
        missing.kv_string("general.architecture", "qwen3moe")
            .kv_u32("qwen3moe.block_count", 2)
            .kv_u32("qwen3moe.embedding_length", 64)
            .kv_u32("qwen3moe.attention.head_count", 4)
            .kv_u32("qwen3moe.expert_count", 8)
            .kv_u32("qwen3moe.expert_used_count", 2);
        CHECK_EQ(spec_of(missing, {}).error().to_string(),
                 "m.gguf: qwen3moe.expert_feed_forward_length: missing from the GGUF metadata");

        GgufBuilder huge;
        huge.kv_string("general.architecture", "llama").kv_u32("llama.block_count", 1u << 20);
        CHECK_EQ(spec_of(huge, {}).error().to_string(),
                 "m.gguf: llama.block_count: 1048576 is over the limit of 65536");

        GgufBuilder per_layer;
        per_layer.kv_string("general.architecture", "llama")
            .kv_u32("llama.block_count", 2)
            .kv_u32("llama.embedding_length", 64)
            .kv_u32_array("llama.attention.head_count", {4, 8})
            .kv_u32("llama.feed_forward_length", 128);
        CHECK_EQ(spec_of(per_layer, {}).error().to_string(),
                 "m.gguf: llama.attention.head_count: per-layer values differ (4 and 8); moefit describes layers with "
                 "one value");
    }

}  // TEST_SUITE
