#include <doctest/doctest.h>

#include <string>

#include "engine/scheme.hpp"
#include "invariants.hpp"
#include "model/accounting.hpp"
#include "model/inventory.hpp"
#include "spec/hf_config.hpp"
#include "spec/model_catalog.hpp"
#include "text_helpers.hpp"

using moefit::test::replace_once;

using namespace moefit;

namespace {

std::string fixture(const std::string& id) {
    return std::string(MOEFIT_SOURCE_DIR) + "/tests/fixtures/hf/" + id + "/config.json";
}

spec::HfConfig read(const std::string& text) {
    auto r = spec::read_hf_config(text, "config.json");
    if (!r) FAIL(r.error().to_string());
    return std::move(r).value();
}

std::string hf_error_of(const std::string& text) {
    auto r = spec::read_hf_config(text, "config.json");
    REQUIRE_FALSE(r.ok());
    std::string out = r.error().to_string();
    if (!r.error().hint.empty()) out += " | " + r.error().hint;
    return out;
}

model::ParamCounts counted(const model::ModelSpec& s) {
    const model::Inventory inv = model::build_inventory(s);
    const model::ParamCounts c = model::count_params(s, inv);
    test::check_count_invariants(s, inv, c);
    return c;
}

// The config gives exactly the built-in spec: every count, and the inventory tensor by tensor.
void check_same_as_builtin(const model::ModelSpec& hf, const std::string& builtin_id) {
    auto builtin = spec::find_builtin_model(builtin_id);
    REQUIRE(builtin.ok());
    const model::ModelSpec& b = *builtin;
    const model::Inventory a_inv = model::build_inventory(hf);
    const model::Inventory b_inv = model::build_inventory(b);
    const model::ParamCounts a = model::count_params(hf, a_inv);
    const model::ParamCounts c = model::count_params(b, b_inv);
    test::check_count_invariants(hf, a_inv, a);
    CHECK(a.total == c.total);
    CHECK(a.active == c.active);
    CHECK(a.input_embedding == c.input_embedding);
    CHECK(a.output_head == c.output_head);
    CHECK(a.mtp_total == c.mtp_total);
    CHECK(a.mtp_active == c.mtp_active);
    CHECK(a.model_level == c.model_level);
    for (int k = 0; k < model::kTensorClassCount; ++k) {
        CHECK(a.by_class[k].total == c.by_class[k].total);
        CHECK(a.by_class[k].active == c.by_class[k].active);
        CHECK(a.by_class[k].tensors == c.by_class[k].tensors);
    }
    REQUIRE(a_inv.tensors.size() == b_inv.tensors.size());
    for (std::size_t i = 0; i < a_inv.tensors.size(); ++i) {
        const model::Tensor& x = a_inv.tensors[i];
        const model::Tensor& y = b_inv.tensors[i];
        INFO("tensor ", i, ": ", x.name, " vs ", y.name);
        CHECK(x.name == y.name);
        CHECK(x.shape == y.shape);
        CHECK(x.cls == y.cls);
        CHECK(x.role == y.role);
        CHECK(x.layer == y.layer);
        CHECK(x.experts == y.experts);
        CHECK(x.mtp == y.mtp);
    }
    // What the engine reads besides the tensors.
    CHECK(hf.native_format == b.native_format);
    CHECK(hf.architecture == b.architecture);
    CHECK(hf.gguf_arch == b.gguf_arch);
    CHECK(hf.max_context_tokens == b.max_context_tokens);
    CHECK(hf.attention.layer_pattern == b.attention.layer_pattern);
    CHECK(hf.attention.sliding_window == b.attention.sliding_window);
    CHECK(hf.attention.chunk_size == b.attention.chunk_size);
    CHECK(hf.attention.num_kv_heads == b.attention.num_kv_heads);
    CHECK(hf.moe.router == b.moe.router);
    CHECK(hf.moe.num_groups == b.moe.num_groups);
    CHECK(hf.moe.topk_groups == b.moe.topk_groups);
}

spec::HfConfig load_fixture(const std::string& id) {
    auto r = spec::load_hf_config(fixture(id));
    if (!r) FAIL(r.error().to_string());
    return std::move(r).value();
}

// Test inputs (not fixtures of real files): the config.json values the built-in specs cite.
const char* kQwen3_30B = R"({"architectures": ["Qwen3MoeForCausalLM"], "vocab_size": 151936,
 "hidden_size": 2048, "num_hidden_layers": 48, "max_position_embeddings": 40960, "num_attention_heads": 32,
 "num_key_value_heads": 4, "head_dim": 128, "attention_bias": false, "intermediate_size": 6144,
 "num_experts": 128, "num_experts_per_tok": 8, "moe_intermediate_size": 768, "decoder_sparse_step": 1,
 "mlp_only_layers": [], "tie_word_embeddings": false, "torch_dtype": "bfloat16"})";

const char* kLlama4Scout = R"({"architectures": ["Llama4ForConditionalGeneration"], "torch_dtype": "bfloat16",
 "text_config": {"vocab_size": 202048, "hidden_size": 5120, "num_hidden_layers": 48,
  "max_position_embeddings": 10485760, "num_attention_heads": 40, "num_key_value_heads": 8, "head_dim": 128,
  "attention_chunk_size": 8192, "num_local_experts": 16, "num_experts_per_tok": 1, "intermediate_size": 8192,
  "intermediate_size_mlp": 16384, "interleave_moe_layer_step": 1}})";

const char* kDeepseekV2Lite = R"({"architectures": ["DeepseekV2ForCausalLM"], "vocab_size": 102400,
 "hidden_size": 2048, "num_hidden_layers": 27, "max_position_embeddings": 163840, "intermediate_size": 10944,
 "num_attention_heads": 16, "num_key_value_heads": 16, "q_lora_rank": null, "kv_lora_rank": 512,
 "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128, "n_routed_experts": 64,
 "num_experts_per_tok": 6, "moe_intermediate_size": 1408, "n_shared_experts": 2, "first_k_dense_replace": 1,
 "moe_layer_freq": 1, "scoring_func": "softmax", "topk_method": "greedy", "n_group": 1, "topk_group": 1,
 "tie_word_embeddings": false, "torch_dtype": "bfloat16"})";

const char* kMistral7B = R"({"architectures": ["MistralForCausalLM"], "vocab_size": 32000, "hidden_size": 4096,
 "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
 "max_position_embeddings": 32768, "sliding_window": 4096, "torch_dtype": "bfloat16"})";

}  // namespace

TEST_SUITE("spec::hf_config") {
    TEST_CASE("the four seed configs give exactly the built-in specs, tensor by tensor") {
        SUBCASE("Mixtral-8x7B") {
            const spec::HfConfig m = load_fixture("mixtral-8x7b");
            check_same_as_builtin(m.spec, "mixtral-8x7b");
            const model::ParamCounts c = counted(m.spec);
            CHECK(c.total == 46'702'792'704ull);
            CHECK(c.active == 12'879'925'248ull);
            CHECK(m.notes.empty());
        }
        SUBCASE("DeepSeek-V3") {
            const spec::HfConfig m = load_fixture("deepseek-v3");
            check_same_as_builtin(m.spec, "deepseek-v3");
            const model::ParamCounts c = counted(m.spec);
            CHECK(c.total == 671'026'419'200ull);
            CHECK(c.active_in(model::Convention::no_input_embedding) == 36'625'618'432ull);
            CHECK(m.spec.mtp_layers == 1);
            CHECK(m.spec.native_format == "fp8_block128");
        }
        SUBCASE("Qwen3-235B-A22B") {
            const spec::HfConfig m = load_fixture("qwen3-235b-a22b");
            check_same_as_builtin(m.spec, "qwen3-235b-a22b");
            const model::ParamCounts c = counted(m.spec);
            CHECK(c.total == 235'093'634'560ull);
            CHECK(c.active == 22'190'763'520ull);
        }
        SUBCASE("Kimi-K2") {
            const spec::HfConfig m = load_fixture("kimi-k2");
            check_same_as_builtin(m.spec, "kimi-k2");
            const model::ParamCounts c = counted(m.spec);
            CHECK(c.total == 1'026'408'232'448ull);
            CHECK(c.active_in(model::Convention::no_input_embedding) == 31'687'095'808ull);
            CHECK(m.spec.mtp_layers == 0);  // "num_nextn_predict_layers": 0
        }
    }

    TEST_CASE("the other real configs give exactly their built-in specs") {
        check_same_as_builtin(load_fixture("gpt-oss-120b").spec, "gpt-oss-120b");
        check_same_as_builtin(load_fixture("glm-4.5").spec, "glm-4.5");
        check_same_as_builtin(load_fixture("qwen3-next-80b-a3b").spec, "qwen3-next-80b-a3b");
        check_same_as_builtin(load_fixture("llama-3.1-70b").spec, "llama-3.1-70b");
    }

    TEST_CASE("configs written from the built-in specs' cited values map to the same model") {
        check_same_as_builtin(read(kQwen3_30B).spec, "qwen3-30b-a3b");
        check_same_as_builtin(read(kDeepseekV2Lite).spec, "deepseek-v2-lite");
        check_same_as_builtin(read(kLlama4Scout).spec, "llama-4-scout");
        // Maverick: every second layer MoE, dense layers of intermediate_size_mlp in between.
        std::string maverick = replace_once(kLlama4Scout, "\"num_local_experts\": 16", "\"num_local_experts\": 128");
        maverick = replace_once(maverick, "\"interleave_moe_layer_step\": 1", "\"interleave_moe_layer_step\": 2");
        maverick = replace_once(maverick, "10485760", "1048576");
        const spec::HfConfig m = read(maverick);
        CHECK(m.spec.moe.layer_freq == 2);
        CHECK(m.spec.intermediate_size == 16384);
        check_same_as_builtin(m.spec, "llama-4-maverick");
    }

    TEST_CASE("dense configs count exactly the published parameter totals") {
        // Mistral-7B-v0.1: 7,241,732,096 parameters; every layer slides over 4096 tokens.
        const spec::HfConfig mistral = read(kMistral7B);
        CHECK(counted(mistral.spec).total == 7'241'732'096ull);
        CHECK(mistral.spec.attention.layer_pattern == "S");
        CHECK(mistral.spec.attention.sliding_window == 4096);
        CHECK(mistral.spec.gguf_arch == "llama");
        // Qwen2.5-7B: 7,615,616,512 (bias on q, k and v).
        const spec::HfConfig qwen2 = read(R"({"architectures": ["Qwen2ForCausalLM"], "vocab_size": 152064,
            "hidden_size": 3584, "intermediate_size": 18944, "num_hidden_layers": 28, "num_attention_heads": 28,
            "num_key_value_heads": 4, "tie_word_embeddings": false, "use_sliding_window": false})");
        CHECK(counted(qwen2.spec).total == 7'615'616'512ull);
        CHECK(qwen2.spec.attention.q_bias);
        CHECK_FALSE(qwen2.spec.attention.o_bias);
        // Qwen3-8B: 8,190,735,360 (q/k norms; head_dim 128 by default).
        const spec::HfConfig qwen3 = read(R"({"architectures": ["Qwen3ForCausalLM"], "vocab_size": 151936,
            "hidden_size": 4096, "intermediate_size": 12288, "num_hidden_layers": 36, "num_attention_heads": 32,
            "num_key_value_heads": 8, "tie_word_embeddings": false})");
        CHECK(counted(qwen3.spec).total == 8'190'735'360ull);
        CHECK(qwen3.spec.attention.head_dim == 128);
    }

    TEST_CASE("architecture-specific keys are read under their own names") {
        SUBCASE("Qwen2-MoE: shared expert with its gate, q/k/v biases") {
            const spec::HfConfig q = read(R"({"architectures": ["Qwen2MoeForCausalLM"], "vocab_size": 151936,
                "hidden_size": 3584, "num_hidden_layers": 28, "num_attention_heads": 28, "num_key_value_heads": 4,
                "num_experts": 64, "num_experts_per_tok": 8, "moe_intermediate_size": 2560,
                "shared_expert_intermediate_size": 20480, "intermediate_size": 18944})");
            CHECK(q.spec.moe.num_shared_experts == 1);
            CHECK(q.spec.moe.shared_intermediate_size == 20480);
            CHECK(q.spec.moe.shared_expert_gate);
            CHECK(q.spec.attention.q_bias);
            CHECK(q.spec.intermediate_size == 0);  // no dense layer
            CHECK(q.spec.gguf_arch == "qwen2moe");
        }
        SUBCASE("DBRX: d_model, n_layers, attn_config and ffn_config") {
            const spec::HfConfig d = read(R"({"architectures": ["DbrxForCausalLM"], "d_model": 6144, "n_heads": 48,
                "n_layers": 40, "max_seq_len": 32768, "vocab_size": 100352,
                "attn_config": {"kv_n_heads": 8, "clip_qkv": 8, "rope_theta": 500000},
                "ffn_config": {"ffn_hidden_size": 10752, "moe_num_experts": 16, "moe_top_k": 4}})");
            CHECK(d.spec.attention.num_kv_heads == 8);
            CHECK(d.spec.attention.head_dim == 128);
            CHECK(d.spec.moe.num_experts == 16);
            CHECK(d.spec.moe.experts_per_token == 4);
            CHECK(d.spec.max_context_tokens == 32768);
            const std::uint64_t h = 6144, per_layer = h * h * 2 + h * 1024 * 2 + 2 * h + h * 16 + 3 * h * 10752 * 16;
            CHECK(counted(d.spec).total == 2 * 100352 * h + 40 * per_layer + h);
        }
        SUBCASE("Llama 4: no_rope_layers choose chunked (RoPE) and full (NoPE) layers") {
            const spec::HfConfig l = read(replace_once(kLlama4Scout, "\"interleave_moe_layer_step\": 1",
                                                       "\"interleave_moe_layer_step\": 1, \"no_rope_layers\": "
                                                       "[1,1,0,1,1,0,1,1,0,1,1,0,1,1,0,1,1,0,1,1,0,1,1,0,1,1,0,1,1,0,"
                                                       "1,1,0,1,1,0,1,1,0,1,1,0,1,1,0,1,1,0]"));
            CHECK(l.spec.attention.layer_pattern == "CCF");
            CHECK(l.spec.attention.chunk_size == 8192);
        }
        SUBCASE("OLMoE and PhiMoE say what moefit does not count") {
            const spec::HfConfig o = read(R"({"architectures": ["OlmoeForCausalLM"], "vocab_size": 50304,
                "hidden_size": 2048, "num_hidden_layers": 16, "num_attention_heads": 16, "num_experts": 64,
                "num_experts_per_tok": 8, "intermediate_size": 1024})");
            CHECK(o.spec.attention.qk_norm);
            REQUIRE(o.notes.size() == 1);
            const spec::HfConfig p = read(R"({"architectures": ["PhimoeForCausalLM"], "vocab_size": 32064,
                "hidden_size": 4096, "intermediate_size": 6400, "num_hidden_layers": 32, "num_attention_heads": 32,
                "num_key_value_heads": 8, "num_local_experts": 16, "num_experts_per_tok": 2,
                "attention_bias": true, "lm_head_bias": true, "sliding_window": 131072})");
            CHECK(p.spec.attention.o_bias);
            CHECK(p.spec.attention.layer_pattern == "S");
            REQUIRE(p.notes.size() == 1);
            CHECK(p.notes[0] ==
                  "PhiMoE uses LayerNorm with a bias: the 65 norm biases and the lm_head bias are "
                  "not counted");
        }
        SUBCASE("mlp_only_layers that leave a dense prefix become first_dense_layers") {
            const spec::HfConfig q =
                read(replace_once(kQwen3_30B, "\"mlp_only_layers\": []", "\"mlp_only_layers\": [0, 1]"));
            CHECK(q.spec.moe.first_dense_layers == 2);
            CHECK(q.spec.intermediate_size == 6144);
        }
    }

    TEST_CASE("quantization_config sets native_format to a scheme the engine accepts") {
        auto native = [](const std::string& text) {
            const spec::HfConfig c = read(text);
            auto scheme = engine::parse_scheme(c.spec.native_format, c.spec);
            CHECK_MESSAGE(scheme.ok(), c.spec.native_format);
            auto native_scheme = engine::parse_scheme("native", c.spec);
            if (c.spec.native_format.find('=') == std::string::npos) CHECK(native_scheme.ok());
            return c.spec.native_format;
        };
        const std::string base = kQwen3_30B;
        auto with = [&](const std::string& q) { return replace_once(base, "\"torch_dtype\": \"bfloat16\"", q); };
        CHECK(load_fixture("gpt-oss-120b").spec.native_format == "mxfp4_experts");
        CHECK(native(with(R"("torch_dtype": "bfloat16", "quantization_config": {"quant_method": "fp8",
            "weight_block_size": [128, 128], "modules_to_not_convert": ["lm_head"]})")) == "fp8_block128");
        // Kimi-K2-Thinking: routed experts int4 group 32, everything else ignored.
        CHECK(native(with(R"("torch_dtype": "bfloat16", "quantization_config": {"quant_method": "compressed-tensors",
            "format": "pack-quantized", "config_groups": {"group_0": {"targets": ["Linear"], "weights": {"num_bits": 4,
            "type": "int", "strategy": "group", "group_size": 32, "symmetric": true}}}, "ignore": ["lm_head",
            "re:.*self_attn.*", "re:.*shared_experts.*", "re:.*mlp\\.(gate|up|gate_up|down)_proj.*"]})")) ==
              "int4_g32_experts");
        CHECK(native(with(R"("torch_dtype": "float16", "quantization_config": {"quant_method": "gptq", "bits": 4,
            "group_size": 128, "desc_act": false})")) == "fp16,experts=gptq4_g128,attention=gptq4_g128");
        CHECK(native(with(R"("torch_dtype": "float16", "quantization_config": {"quant_method": "awq", "w_bit": 4,
            "q_group_size": 64, "modules_to_not_convert": ["self_attn"]})")) == "fp16,experts=awq4_g64");
        CHECK(native(with(R"("torch_dtype": "bfloat16", "quantization_config": {"quant_method": "bitsandbytes",
            "load_in_4bit": true, "bnb_4bit_quant_type": "nf4", "bnb_4bit_use_double_quant": true})")) ==
              "bf16,experts=nf4_dq,attention=nf4_dq");
        CHECK(native(with(R"("torch_dtype": "float32")")) == "fp32");
    }

    TEST_CASE("unsupported quantization is an error naming the key") {
        const std::string base = kQwen3_30B;
        auto err = [&](const std::string& q) { return hf_error_of(replace_once(base, "\"mlp_only_layers\": []", q)); };
        CHECK(err(R"("quantization_config": {"quant_method": "gptq", "bits": 8, "group_size": 128})") ==
              "config.json: quantization_config.bits: moefit knows 4-bit gptq, found 8");
        CHECK(err(R"("quantization_config": {"quant_method": "gtpq", "bits": 4})") ==
              "config.json: quantization_config.quant_method: unsupported quantization method \"gtpq\"; moefit reads "
              "fp8, mxfp4, compressed-tensors, gptq, awq and bitsandbytes | did you mean \"gptq\"?");
        CHECK(err(R"("quantization_config": {"quant_method": "fp8", "weight_block_size": [64, 64]})") ==
              "config.json: quantization_config.weight_block_size: moefit knows 128x128 FP8 blocks (fp8_block128), "
              "found 64x64");
        CHECK(err(R"("quantization_config": {"quant_method": "compressed-tensors", "config_groups": {}, "ignore":
            ["re:(unclosed"]})") ==
              "config.json: quantization_config.ignore[0]: invalid regular expression "
              "\"re:(unclosed\"");
        CHECK(err(R"("quantization_config": {"quant_method": "awq", "bits": 4, "group_size": 128,
            "modules_to_not_convert": ["lm_head", "re:(.*)*x"]})") ==
              "config.json: quantization_config.modules_to_not_convert[1]: regular expression \"re:(.*)*x\" is too "
              "complex for moefit (at most 3 repetitions, none on a group)");
    }

    TEST_CASE("missing and mistyped fields are errors naming the key path") {
        CHECK(hf_error_of(replace_once(kQwen3_30B, "\"hidden_size\": 2048,", "")) ==
              "config.json: hidden_size: missing required key (expected a positive integer)");
        CHECK(hf_error_of(replace_once(kLlama4Scout, "\"num_local_experts\": 16", "\"num_local_experts\": \"x\"")) ==
              "config.json: text_config.num_local_experts: expected a positive integer, found \"x\"");
        CHECK(hf_error_of(replace_once(kQwen3_30B, "\"num_hidden_layers\": 48", "\"num_hidden_layers\": -48")) ==
              "config.json: num_hidden_layers: expected a positive integer, found -48");
        CHECK(hf_error_of(replace_once(kQwen3_30B, "\"num_hidden_layers\": 48", "\"num_hidden_layers\": 48.0")) ==
              "config.json: num_hidden_layers: expected a positive integer, found 48.0");
        CHECK(hf_error_of(replace_once(kQwen3_30B, "\"num_hidden_layers\": 48", "\"num_hidden_layers\": 20000")) ==
              "config.json: num_hidden_layers: expected a positive integer of at most 10000, found 20000");
        CHECK(hf_error_of(replace_once(kQwen3_30B, "\"tie_word_embeddings\": false", "\"tie_word_embeddings\": 0")) ==
              "config.json: tie_word_embeddings: expected true or false, found 0");
        CHECK(hf_error_of(replace_once(kQwen3_30B, "\"mlp_only_layers\": []", "\"mlp_only_layers\": [3, 99]")) ==
              "config.json: mlp_only_layers[1]: expected an integer from 0 to 47, found 99");
        CHECK(hf_error_of(replace_once(kLlama4Scout, "\"num_local_experts\": 16, \"num_experts_per_tok\": 1,", "")) ==
              "config.json: text_config.num_local_experts: missing required key (expected a positive integer)");
        CHECK(hf_error_of(R"({"architectures": ["Llama4ForConditionalGeneration"]})") ==
              "config.json: text_config: missing required key (expected the text model's settings)");
        CHECK(hf_error_of(R"({"architectures": ["DbrxForCausalLM"], "d_model": 64, "n_heads": 4, "n_layers": 2,
            "vocab_size": 100, "ffn_config": {"moe_num_experts": 4, "moe_top_k": 1}})") ==
              "config.json: ffn_config.ffn_hidden_size: missing required key (expected a positive integer)");
    }

    TEST_CASE("an unknown or missing architecture lists the supported ones") {
        CHECK(hf_error_of(replace_once(kMistral7B, "MistralForCausalLM", "MixtralForCausalLMM")) ==
              "config.json: architectures[0]: unknown architecture \"MixtralForCausalLMM\"; moefit reads "
              "MixtralForCausalLM, Qwen2MoeForCausalLM, Qwen3MoeForCausalLM, Qwen3NextForCausalLM, "
              "DeepseekV2ForCausalLM, DeepseekV3ForCausalLM, GptOssForCausalLM, Llama4ForConditionalGeneration, "
              "Glm4MoeForCausalLM, OlmoeForCausalLM, PhimoeForCausalLM, DbrxForCausalLM, LlamaForCausalLM, "
              "MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM | did you mean \"MixtralForCausalLM\" or "
              "\"MistralForCausalLM\"?");
        CHECK(spec::hf_supported_architectures().size() == 16);
        CHECK(hf_error_of(R"({"model_type": "mixtral"})") ==
              "config.json: architectures: missing required key (expected a list such as [\"MixtralForCausalLM\"])");
        CHECK(hf_error_of(R"({"architectures": []})") ==
              "config.json: architectures: expected a non-empty list of architecture names, found a list");
    }

    TEST_CASE("invalid JSON and inconsistent models are reported with their place") {
        CHECK(hf_error_of("{\n  \"architectures\": [\"MixtralForCausalLM\"],\n  \"vocab_size\": ,\n}") ==
              "config.json:3:17: invalid JSON: syntax error while parsing value - unexpected ','; expected '[', '{', "
              "or a literal");
        CHECK(hf_error_of("[1, 2]") == "config.json: expected a JSON object, found a list");
        CHECK(hf_error_of(R"({"architectures": ["MixtralForCausalLM"], "vocab_size": 1e405})") ==
              "config.json: invalid JSON: number overflow parsing '1e405'");
        CHECK(hf_error_of(replace_once(kQwen3_30B, "\"num_key_value_heads\": 4", "\"num_key_value_heads\": 5")) ==
              "config.json: attention.num_kv_heads: the config describes an inconsistent model: num_heads (32) must "
              "be a multiple of num_kv_heads (5) | (the key is moefit's name for the setting; `moefit list keys` "
              "explains them)");
        CHECK(
            hf_error_of(replace_once(kLlama4Scout, "\"interleave_moe_layer_step\": 1", "\"moe_layers\": [0, 5, 7]")) ==
            "config.json: text_config.moe_layers: MoE layers 0,5,7 cannot be described as a dense prefix followed "
            "by every n-th layer, the only layouts moefit models");
        CHECK(hf_error_of(R"({"architectures": ["Qwen2ForCausalLM"], "vocab_size": 100, "hidden_size": 64,
            "intermediate_size": 128, "num_hidden_layers": 3, "num_attention_heads": 4,
            "layer_types": ["full_attention", "sliding_attention", "global"]})") ==
              "config.json: layer_types[2]: expected \"full_attention\", \"sliding_attention\", "
              "\"chunked_attention\" or \"linear_attention\", found \"global\"");
        CHECK(hf_error_of(R"({"architectures": ["Qwen2ForCausalLM"], "vocab_size": 100, "hidden_size": 64,
            "intermediate_size": 128, "num_hidden_layers": 3, "num_attention_heads": 4,
            "layer_types": ["full_attention"]})") ==
              "config.json: layer_types: expected one entry per layer (3), found 1");
    }

    TEST_CASE("load_model reads a config.json path or a model folder") {
        auto by_file = spec::load_model(fixture("mixtral-8x7b"));
        REQUIRE(by_file.ok());
        CHECK(by_file->name == "mixtral-8x7b");  // the folder: this config has no _name_or_path
        CHECK(by_file->origin == fixture("mixtral-8x7b"));
        auto by_folder = spec::load_model(std::string(MOEFIT_SOURCE_DIR) + "/tests/fixtures/hf/kimi-k2");
        REQUIRE(by_folder.ok());
        CHECK(by_folder->architecture == "DeepseekV3ForCausalLM");
        CHECK(spec::is_hf_config_path("some/where/config.json"));
        CHECK_FALSE(spec::is_hf_config_path("some/where/spec.toml"));
        auto missing = spec::load_model("no/such/config.json");
        REQUIRE_FALSE(missing.ok());
        CHECK(missing.error().kind == ErrorKind::io);
        // _name_or_path names the model and, when it is a Hub id, its repository.
        const spec::HfConfig named =
            read(replace_once(kMistral7B, "{", "{\"_name_or_path\": \"mistralai/Mistral-7B-v0.1\", "));
        CHECK(named.spec.name == "Mistral-7B-v0.1");
        CHECK(named.spec.id == "mistral-7b-v0.1");
        CHECK(named.spec.hf_repo == "mistralai/Mistral-7B-v0.1");
    }
}
