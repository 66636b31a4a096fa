#include "synth/gguf_arch.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "util/spelling.hpp"

namespace moefit::synth {
namespace {

using model::AttentionKind;
using model::ModelSpec;

constexpr const char* kSynthGgufArchs[] = {"llama",    "qwen2",     "qwen3",   "qwen2moe",
                                           "qwen3moe", "deepseek2", "gpt-oss", "glm4moe"};

// llama.cpp's LLAMA_EXPERT_GATING_FUNC_TYPE_{SOFTMAX,SIGMOID}.
constexpr std::uint32_t kGatingSoftmax = 1, kGatingSigmoid = 2;

std::uint32_t u32(std::uint64_t v) {
    return static_cast<std::uint32_t>(v);
}

Error spec_error(const std::string& key, const std::string& message) {
    Location where;
    where.key = key;
    return make_error(message, where);
}

class Keys {
public:
    Keys(std::string arch, std::vector<GgufKv>& out) : arch_(std::move(arch)), out_(out) {}
    void u(const char* k, std::uint64_t v) { out_.push_back({arch_ + "." + k, GgufScalar{u32(v)}}); }
    void f(const char* k, float v) { out_.push_back({arch_ + "." + k, GgufScalar{v}}); }
    void b(const char* k, bool v) { out_.push_back({arch_ + "." + k, GgufScalar{v}}); }

private:
    std::string arch_;
    std::vector<GgufKv>& out_;
};

// What llama.cpp's architecture cannot express for this spec, or an empty string.
std::string unsupported(const ModelSpec& s, const std::string& arch) {
    const std::string pattern = s.attention.layer_pattern.empty() ? "F" : s.attention.layer_pattern;
    const std::string expected = arch == "gpt-oss" ? "SF" : "F";
    if (pattern != expected)
        return fmt::format("layer pattern \"{}\" (llama.cpp's {} has \"{}\")", pattern, arch, expected);
    if (s.is_moe() && s.moe.layer_freq != 1) return fmt::format("MoE every {} layers", s.moe.layer_freq);
    const bool ds = arch == "deepseek2" || arch == "glm4moe";
    if (ds && s.moe.num_shared_experts > 0 && s.moe.shared_intermediate_size != s.moe.expert_intermediate_size)
        return fmt::format("shared experts {} wide next to routed experts {} wide (llama.cpp's {} sizes them alike)",
                           s.moe.shared_intermediate_size, s.moe.expert_intermediate_size, arch);
    if ((arch == "deepseek2") != (s.attention.kind == AttentionKind::mla)) return "this attention kind";
    if (arch == "llama" && s.is_moe() && s.moe.num_shared_experts > 0) return "shared experts";
    return {};
}

void attention_keys(const ModelSpec& s, const std::string& arch, Keys& k) {
    const model::Attention& a = s.attention;
    k.u("attention.head_count", a.num_heads);
    if (a.kind == AttentionKind::mla) {
        // The converters write MLA as MQA over the compressed latent: one KV "head" of
        // kv_lora_rank + rope for K and kv_lora_rank for V, the per-head sizes in *_mla.
        k.u("attention.head_count_kv", 1);
        k.u("attention.key_length", a.kv_lora_rank + a.qk_rope_head_dim);
        k.u("attention.value_length", a.kv_lora_rank);
        k.u("attention.key_length_mla", a.qk_nope_head_dim + a.qk_rope_head_dim);
        k.u("attention.value_length_mla", a.v_head_dim);
        if (a.q_lora_rank > 0) k.u("attention.q_lora_rank", a.q_lora_rank);
        k.u("attention.kv_lora_rank", a.kv_lora_rank);
        k.u("rope.dimension_count", a.qk_rope_head_dim);
        return;
    }
    k.u("attention.head_count_kv", a.num_kv_heads);
    k.u("attention.key_length", a.head_dim);
    k.u("attention.value_length", a.v_head_dim);
    // GLM-4.5 rotates half of each head (partial_rotary_factor 0.5); the others all of it.
    k.u("rope.dimension_count", arch == "glm4moe" ? a.head_dim / 2 : a.head_dim);
    if (a.sliding_window > 0) k.u("attention.sliding_window", a.sliding_window);
}

void moe_keys(const ModelSpec& s, const std::string& arch, Keys& k) {
    const model::Moe& m = s.moe;
    if (!s.is_moe()) return;
    k.u("expert_count", m.num_experts);
    k.u("expert_used_count", m.experts_per_token);
    if (arch != "llama") k.u("expert_feed_forward_length", m.expert_intermediate_size);
    if (arch == "qwen2moe" && m.num_shared_experts > 0)
        k.u("expert_shared_feed_forward_length", m.num_shared_experts * m.shared_intermediate_size);
    if (arch == "deepseek2" || arch == "glm4moe") {
        k.u("leading_dense_block_count", m.first_dense_layers);
        k.u("expert_shared_count", m.num_shared_experts);
        k.f("expert_weights_scale", 1.0f);
        k.b("expert_weights_norm", m.router == model::RouterKind::sigmoid);
        k.u("expert_gating_func", m.router == model::RouterKind::sigmoid ? kGatingSigmoid : kGatingSoftmax);
        k.u("expert_group_count", m.num_groups);
        k.u("expert_group_used_count", m.topk_groups);
    }
    if (arch == "glm4moe") k.u("nextn_predict_layers", 0);
}

}  // namespace

std::vector<std::string> synth_gguf_architectures() {
    return {std::begin(kSynthGgufArchs), std::end(kSynthGgufArchs)};
}

Result<std::vector<GgufKv>> gguf_arch_metadata(const ModelSpec& s, std::uint32_t file_type) {
    const std::string& arch = s.gguf_arch;
    const auto archs = synth_gguf_architectures();
    if (std::find(archs.begin(), archs.end(), arch) == archs.end()) {
        Error e = make_error(
            fmt::format("synth cannot write GGUF architecture \"{}\" (it writes: {})", arch, fmt::join(archs, ", ")),
            {"", 0, 0, {}, "gguf_arch"}, ErrorKind::not_found);
        e.hint = did_you_mean(arch, archs);
        return e;
    }
    if (const std::string why = unsupported(s, arch); !why.empty())
        return spec_error("gguf_arch", fmt::format("llama.cpp's \"{}\" cannot express {}", arch, why));
    std::vector<GgufKv> out;
    out.push_back({"general.architecture", GgufScalar{arch}});
    out.push_back({"general.name", GgufScalar{s.name.empty() ? s.id : s.name}});
    out.push_back({"general.file_type", GgufScalar{file_type}});
    out.push_back({"general.quantization_version", GgufScalar{std::uint32_t{2}}});
    Keys k(arch, out);
    k.u("context_length", s.max_context_tokens > 0 ? s.max_context_tokens : 4096);
    k.u("embedding_length", s.hidden_size);
    k.u("block_count", s.num_layers);
    k.u("vocab_size", s.vocab_size);
    // Mixtral keeps each expert's width in feed_forward_length; the others the dense FFN's.
    const std::uint64_t ffn = arch == "llama" && s.is_moe() ? s.moe.expert_intermediate_size : s.intermediate_size;
    if (ffn > 0) k.u("feed_forward_length", ffn);
    attention_keys(s, arch, k);
    k.f("attention.layer_norm_rms_epsilon", 1e-6f);
    k.f("rope.freq_base", 10000.0f);
    moe_keys(s, arch, k);
    return out;
}

std::string gguf_tensor_name(const ModelSpec& spec, const model::Tensor& t) {
    const std::string& arch = spec.gguf_arch;
    if ((arch == "gpt-oss" || arch == "glm4moe") && t.layer >= 0) {
        const std::string norm = ".ffn_norm.weight";
        if (t.name.size() > norm.size() && t.name.ends_with(norm))
            return t.name.substr(0, t.name.size() - norm.size()) + ".post_attention_norm.weight";
    }
    return t.name;
}

}  // namespace moefit::synth
