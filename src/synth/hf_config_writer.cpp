// config.json of a synth Hugging Face folder (hf_export.hpp): per architecture the keys its
// transformers configuration class (and spec/hf_config_arch.cpp, which mirrors it) reads. Every
// shape key is written, never left to a default, so the reader needs no guess; the text is read
// back before it is returned, and must give the spec it was written from.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "model/inventory.hpp"
#include "spec/hf_config.hpp"
#include "synth/hf_export.hpp"
#include "util/spelling.hpp"

namespace moefit::synth {
namespace {

using json = nlohmann::ordered_json;
using model::ModelSpec;

struct HfArch {
    const char* name;        // architectures[0]
    const char* model_type;  // transformers' model_type
    void (*write)(const ModelSpec& s, json& j);
};

const char* layer_type(char letter) {
    switch (letter) {
        case 'S':
            return "sliding_attention";
        case 'C':
            return "chunked_attention";
        case 'L':
            return "linear_attention";
        default:
            return "full_attention";
    }
}

json layer_types(const ModelSpec& s) {
    json out = json::array();
    for (std::uint64_t i = 0; i < s.num_layers; ++i) out.push_back(layer_type(s.layer_attention(i)));
    return out;
}

// Layers with a dense FFN (Qwen's mlp_only_layers).
json dense_layers(const ModelSpec& s) {
    json out = json::array();
    for (std::uint64_t i = 0; i < s.num_layers; ++i)
        if (!s.layer_is_moe(i)) out.push_back(i);
    return out;
}

void gqa(const ModelSpec& s, json& j) {
    j["num_key_value_heads"] = s.attention.num_kv_heads;
    j["head_dim"] = s.attention.head_dim;
}

// The dense FFN width, when some layer has a dense FFN (the readers need it only then).
void dense_width(const ModelSpec& s, json& j) {
    if (s.intermediate_size > 0) j["intermediate_size"] = s.intermediate_size;
}

void write_llama(const ModelSpec& s, json& j) {
    gqa(s, j);
    j["attention_bias"] = s.attention.q_bias;
    j["mlp_bias"] = false;
    dense_width(s, j);
}

void write_qwen2(const ModelSpec& s, json& j) {
    gqa(s, j);
    j["use_sliding_window"] = false;
    j["layer_types"] = layer_types(s);
    if (s.attention.sliding_window > 0) j["sliding_window"] = s.attention.sliding_window;
    dense_width(s, j);
}

void write_qwen3(const ModelSpec& s, json& j) {
    write_qwen2(s, j);
    j["attention_bias"] = s.attention.q_bias;
}

void write_mixtral(const ModelSpec& s, json& j) {
    gqa(s, j);
    // Mixtral slides on every layer or none.
    if (s.attention.sliding_window > 0)
        j["sliding_window"] = s.attention.sliding_window;
    else
        j["sliding_window"] = nullptr;
    j["num_local_experts"] = s.moe.num_experts;
    j["num_experts_per_tok"] = s.moe.experts_per_token;
    j["intermediate_size"] = s.moe.expert_intermediate_size;  // each expert's width
}

void qwen_moe(const ModelSpec& s, json& j) {
    j["num_experts"] = s.moe.num_experts;
    j["num_experts_per_tok"] = s.moe.experts_per_token;
    j["moe_intermediate_size"] = s.moe.expert_intermediate_size;
    j["norm_topk_prob"] = true;
    j["decoder_sparse_step"] = 1;
    j["mlp_only_layers"] = dense_layers(s);
    dense_width(s, j);
}

void write_qwen2_moe(const ModelSpec& s, json& j) {
    gqa(s, j);
    j["qkv_bias"] = s.attention.q_bias;
    j["use_sliding_window"] = false;
    j["layer_types"] = layer_types(s);
    if (s.attention.sliding_window > 0) j["sliding_window"] = s.attention.sliding_window;
    qwen_moe(s, j);
    j["shared_expert_intermediate_size"] = s.moe.num_shared_experts * s.moe.shared_intermediate_size;
}

void write_qwen3_moe(const ModelSpec& s, json& j) {
    gqa(s, j);
    j["attention_bias"] = s.attention.q_bias;
    const bool sliding = s.attention.layer_pattern == "S";
    j["use_sliding_window"] = sliding;
    if (sliding) j["sliding_window"] = s.attention.sliding_window;
    qwen_moe(s, j);
}

// Routed and shared experts after a dense prefix, DeepSeek / GLM style.
void deepseek_moe(const ModelSpec& s, json& j) {
    const model::Moe& m = s.moe;
    j["n_routed_experts"] = m.num_experts;
    j["num_experts_per_tok"] = m.experts_per_token;
    j["moe_intermediate_size"] = m.expert_intermediate_size;
    j["n_shared_experts"] = m.num_shared_experts;
    j["first_k_dense_replace"] = m.first_dense_layers;
    j["n_group"] = m.num_groups;
    j["topk_group"] = m.topk_groups;
    j["norm_topk_prob"] = true;
    j["routed_scaling_factor"] = 1.0;
    j["num_nextn_predict_layers"] = 0;  // scale_spec drops the MTP module
    dense_width(s, j);
}

void write_deepseek(const ModelSpec& s, json& j) {
    const model::Attention& a = s.attention;
    j["num_key_value_heads"] = a.num_heads;
    if (a.q_lora_rank > 0)
        j["q_lora_rank"] = a.q_lora_rank;
    else
        j["q_lora_rank"] = nullptr;  // one q_proj, no low-rank query
    j["kv_lora_rank"] = a.kv_lora_rank;
    j["qk_nope_head_dim"] = a.qk_nope_head_dim;
    j["qk_rope_head_dim"] = a.qk_rope_head_dim;
    j["v_head_dim"] = a.v_head_dim;
    j["attention_bias"] = false;
    deepseek_moe(s, j);
    j["moe_layer_freq"] = s.moe.layer_freq;
    j["scoring_func"] = s.moe.router == model::RouterKind::sigmoid ? "sigmoid" : "softmax";
    j["topk_method"] = s.moe.correction_bias ? "noaux_tc" : "greedy";
}

void write_glm4_moe(const ModelSpec& s, json& j) {
    gqa(s, j);
    j["attention_bias"] = s.attention.q_bias;
    j["use_qk_norm"] = s.attention.qk_norm;
    j["partial_rotary_factor"] = 0.5;  // GLM-4.5 rotates half of each head (gguf_arch.cpp)
    deepseek_moe(s, j);
}

void write_gpt_oss(const ModelSpec& s, json& j) {
    gqa(s, j);
    j["attention_bias"] = s.attention.q_bias;
    j["layer_types"] = layer_types(s);
    j["sliding_window"] = s.attention.sliding_window;
    j["num_local_experts"] = s.moe.num_experts;
    j["num_experts_per_tok"] = s.moe.experts_per_token;
    j["experts_per_token"] = s.moe.experts_per_token;  // the released config.json carries both
    j["intermediate_size"] = s.moe.expert_intermediate_size;
}

constexpr HfArch kHfArchs[] = {
    {"MixtralForCausalLM", "mixtral", write_mixtral},
    {"Qwen2MoeForCausalLM", "qwen2_moe", write_qwen2_moe},
    {"Qwen3MoeForCausalLM", "qwen3_moe", write_qwen3_moe},
    {"DeepseekV2ForCausalLM", "deepseek_v2", write_deepseek},
    {"DeepseekV3ForCausalLM", "deepseek_v3", write_deepseek},
    {"GptOssForCausalLM", "gpt_oss", write_gpt_oss},
    {"Glm4MoeForCausalLM", "glm4_moe", write_glm4_moe},
    {"LlamaForCausalLM", "llama", write_llama},
    {"Qwen2ForCausalLM", "qwen2", write_qwen2},
    {"Qwen3ForCausalLM", "qwen3", write_qwen3},
};

const HfArch* find_arch(const std::string& name) {
    for (const HfArch& a : kHfArchs)
        if (name == a.name) return &a;
    return nullptr;
}

// The first setting where `back` (read from the config) differs from `s`, as "key: a vs b", or "".
std::string difference(const ModelSpec& s, const ModelSpec& back) {
    const model::Attention &a = s.attention, &b = back.attention;
    const model::Moe &m = s.moe, &n = back.moe;
    const auto sliding = [](const ModelSpec& x) {
        return x.attention.layer_pattern.find_first_of("SC") != std::string::npos ? x.attention.sliding_window : 0;
    };
    const std::pair<const char*, std::array<std::uint64_t, 2>> counts[] = {
        {"vocab_size", {s.vocab_size, back.vocab_size}},
        {"hidden_size", {s.hidden_size, back.hidden_size}},
        {"num_layers", {s.num_layers, back.num_layers}},
        {"tie_embeddings", {s.tie_embeddings, back.tie_embeddings}},
        {"attention.sliding_window", {sliding(s), sliding(back)}},
        {"attention.kind", {static_cast<std::uint64_t>(a.kind), static_cast<std::uint64_t>(b.kind)}},
        {"attention.num_heads", {a.num_heads, b.num_heads}},
        {"attention.num_kv_heads", {a.num_kv_heads, b.num_kv_heads}},
        {"attention.head_dim", {a.head_dim, b.head_dim}},
        {"attention.v_head_dim", {a.v_head_dim, b.v_head_dim}},
        {"attention.q_lora_rank", {a.q_lora_rank, b.q_lora_rank}},
        {"attention.kv_lora_rank", {a.kv_lora_rank, b.kv_lora_rank}},
        {"attention.qk_rope_head_dim", {a.qk_rope_head_dim, b.qk_rope_head_dim}},
        {"moe.num_experts", {m.num_experts, n.num_experts}},
        {"moe.experts_per_token", {m.experts_per_token, n.experts_per_token}},
        {"moe.first_dense_layers", {m.first_dense_layers, n.first_dense_layers}},
        {"moe.layer_freq", {m.layer_freq, n.layer_freq}},
        {"moe.router", {static_cast<std::uint64_t>(m.router), static_cast<std::uint64_t>(n.router)}},
        {"moe.num_groups", {m.num_groups, n.num_groups}},
        {"moe.topk_groups", {m.topk_groups, n.topk_groups}},
    };
    for (const auto& [key, v] : counts)
        if (v[0] != v[1]) return fmt::format("{}: {} vs {}", key, v[1], v[0]);
    if (a.layer_pattern != b.layer_pattern)
        return fmt::format("attention.layer_pattern: \"{}\" vs \"{}\"", b.layer_pattern, a.layer_pattern);
    // Biases, norms, shared experts and the rest show in the tensors.
    const model::Inventory want = model::build_inventory(s), got = model::build_inventory(back);
    for (std::size_t i = 0; i < std::max(want.tensors.size(), got.tensors.size()); ++i) {
        const std::string w = i < want.tensors.size() ? want.tensors[i].name : "no tensor";
        const std::string g = i < got.tensors.size() ? got.tensors[i].name : "no tensor";
        if (w != g) return fmt::format("tensor {}: {} vs {}", i, g, w);
        if (want.tensors[i].shape != got.tensors[i].shape)
            return fmt::format("tensor {}: shape [{}] vs [{}]", w, fmt::join(got.tensors[i].shape, ", "),
                               fmt::join(want.tensors[i].shape, ", "));
    }
    return "";
}

}  // namespace

std::vector<std::string> synth_hf_architectures() {
    std::vector<std::string> out;
    for (const HfArch& a : kHfArchs) out.emplace_back(a.name);
    return out;
}

Status check_hf_architecture(const ModelSpec& spec) {
    if (find_arch(spec.architecture)) return {};
    const std::vector<std::string> names = synth_hf_architectures();
    Location where;
    where.key = "architecture";
    Error e = make_error(fmt::format("synth cannot write Hugging Face architecture \"{}\" (it writes: {})",
                                     spec.architecture, fmt::join(names, ", ")),
                         where, ErrorKind::not_found);
    e.hint = did_you_mean(spec.architecture, names);
    return e;
}

Result<std::string> hf_config_json(const ModelSpec& s, const std::string& torch_dtype, const std::string& name) {
    MOEFIT_CHECK(check_hf_architecture(s));
    const HfArch& arch = *find_arch(s.architecture);
    json j;
    j["_name_or_path"] = name;
    j["architectures"] = json::array({arch.name});
    j["model_type"] = arch.model_type;
    j["torch_dtype"] = torch_dtype;
    j["vocab_size"] = s.vocab_size;
    j["hidden_size"] = s.hidden_size;
    j["num_hidden_layers"] = s.num_layers;
    j["num_attention_heads"] = s.attention.num_heads;
    if (s.max_context_tokens > 0) j["max_position_embeddings"] = s.max_context_tokens;
    j["tie_word_embeddings"] = s.tie_embeddings;
    // As the GGUF export writes them (gguf_arch.cpp).
    j["rms_norm_eps"] = 1e-6;
    j["rope_theta"] = 10000.0;
    j["hidden_act"] = "silu";
    arch.write(s, j);
    std::string text = j.dump(2) + "\n";
    auto back = spec::read_hf_config(text, "config.json");
    if (!back)
        return make_error("the written config.json does not read back: " + back.error().to_string(), {},
                          ErrorKind::internal);
    if (const std::string diff = difference(s, back->spec); !diff.empty()) {
        Location where;
        where.key = "architecture";
        return make_error(fmt::format("a {} config.json cannot describe this model: it reads back as {} (read vs "
                                      "scaled)",
                                      s.architecture, diff),
                          where);
    }
    return text;
}

}  // namespace moefit::synth
