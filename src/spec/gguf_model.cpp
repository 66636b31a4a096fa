#include "spec/gguf_model.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include "model/validate.hpp"
#include "util/spelling.hpp"

namespace moefit::spec {
namespace {

using model::AttentionKind;
using model::ModelSpec;
using model::RouterKind;

// llama.cpp's LLAMA_EXPERT_GATING_FUNC_TYPE_SIGMOID (expert_gating_func: 1 softmax, 2 sigmoid).
constexpr std::uint64_t kGatingSigmoid = 2;
// llama.cpp hard-codes Llama 4's chunked attention: 8192-token chunks on three of every four
// layers (the fourth is a global NoPE layer); the GGUF has no key for it.
constexpr std::uint64_t kLlama4ChunkTokens = 8192;
// Sizes past these are corrupt or hostile, and would make the inventory huge; real models are
// far below (DeepSeek-V3: 62 blocks, 256 experts, 129280 tokens).
constexpr std::uint64_t kMaxGgufSize = 1ull << 24;
constexpr std::uint64_t kMaxGgufBlocks = 1ull << 16;

struct ArchInfo {
    std::string_view gguf;
    std::string_view hf;  // Hugging Face architectures[0]
};
constexpr ArchInfo kGgufArchs[] = {
    {"llama", "LlamaForCausalLM"},          {"qwen2", "Qwen2ForCausalLM"},
    {"qwen3", "Qwen3ForCausalLM"},          {"qwen2moe", "Qwen2MoeForCausalLM"},
    {"qwen3moe", "Qwen3MoeForCausalLM"},    {"qwen3next", "Qwen3NextForCausalLM"},
    {"deepseek2", "DeepseekV2ForCausalLM"}, {"glm4moe", "Glm4MoeForCausalLM"},
    {"gpt-oss", "GptOssForCausalLM"},       {"llama4", "Llama4ForConditionalGeneration"},
};

// Reads "<arch>.<key>" metadata; errors carry the file and the full key.
class Keys {
public:
    Keys(const GgufHeader& h, std::string arch) : h_(h), arch_(std::move(arch)) {}

    std::string key(std::string_view k) const { return arch_ + "." + std::string(k); }
    bool has(std::string_view k) const { return find_key(h_, key(k)) != nullptr; }

    // A count that may be stored per layer (an array): all non-zero entries must agree.
    Result<std::uint64_t> get(std::string_view k) const {
        MOEFIT_TRY(v, get_unchecked(k));
        const std::uint64_t limit = k == "block_count" ? kMaxGgufBlocks : kMaxGgufSize;
        if (v > limit)
            return make_error(fmt::format("{} is over the limit of {}", v, limit), {h_.file, 0, 0, {}, key(k)});
        return v;
    }
    Result<std::uint64_t> get_or(std::string_view k, std::uint64_t fallback) const {
        return has(k) ? get(k) : Result<std::uint64_t>(fallback);
    }

private:
    Result<std::uint64_t> get_unchecked(std::string_view k) const {
        const std::string full = key(k);
        const GgufValue* v = find_key(h_, full);
        if (v && std::holds_alternative<GgufArray>(v->data)) {
            MOEFIT_TRY(values, get_u64_array(h_, full));
            std::uint64_t out = 0;
            for (std::uint64_t x : values) {
                if (x == 0) continue;
                if (out != 0 && x != out)
                    return make_error(fmt::format("per-layer values differ ({} and {}); moefit describes layers "
                                                  "with one value",
                                                  out, x),
                                      {h_.file, 0, 0, {}, full});
                out = x;
            }
            return out;
        }
        return get_u64(h_, full);
    }

    const GgufHeader& h_;
    std::string arch_;
};

// Block tensor names without "blk.N.", and the model-level names: which optional parts exist.
std::set<std::string, std::less<>> tensor_kinds(const GgufHeader& h) {
    std::set<std::string, std::less<>> out;
    for (const GgufTensor& t : h.tensors) {
        std::string_view n = t.name;
        if (n.substr(0, 4) == "blk.") {
            const auto dot = n.find('.', 4);
            if (dot != std::string_view::npos) n.remove_prefix(dot + 1);
        }
        out.emplace(n);
    }
    return out;
}

const GgufTensor* find_tensor(const GgufHeader& h, std::string_view name) {
    for (const GgufTensor& t : h.tensors)
        if (t.name == name) return &t;
    return nullptr;
}

// The file name without folder, ".gguf" and the split suffix: "Qwen3-30B-A3B-Q4_K_M".
std::string file_stem(const std::string& path) {
    std::string name = std::filesystem::path(path).filename().string();
    if (auto split = parse_gguf_split_name(name)) return split->prefix;
    if (name.size() > 5 && name.substr(name.size() - 5) == ".gguf") name.resize(name.size() - 5);
    return name;
}

std::string to_id(std::string_view name) {
    std::string id;
    for (char c : name) {
        const auto u = static_cast<unsigned char>(c);
        id += std::isalnum(u) || c == '.' || c == '_' ? static_cast<char>(std::tolower(u)) : '-';
    }
    return id;
}

Status read_attention(const Keys& k, const std::string& arch, ModelSpec& s) {
    model::Attention& a = s.attention;
    MOEFIT_TRY(heads, k.get("attention.head_count"));
    a.num_heads = heads;
    if (arch == "deepseek2") {
        a.kind = AttentionKind::mla;
        MOEFIT_TRY(q_lora, k.get_or("attention.q_lora_rank", 0));  // absent in V2-Lite: one q projection
        MOEFIT_TRY(kv_lora, k.get("attention.kv_lora_rank"));
        MOEFIT_TRY(rope, k.get("rope.dimension_count"));
        // Newer conversions store the absorbed (MQA) head sizes in key_length/value_length and
        // the per-head sizes in *_mla; older ones only the per-head sizes.
        const bool mla_keys = k.has("attention.key_length_mla");
        MOEFIT_TRY(key_len, k.get(mla_keys ? "attention.key_length_mla" : "attention.key_length"));
        MOEFIT_TRY(value_len, k.get(mla_keys ? "attention.value_length_mla" : "attention.value_length"));
        if (key_len <= rope)
            return make_error(fmt::format("key length {} is not larger than the rope dimension {}", key_len, rope),
                              {"", 0, 0, {}, k.key(mla_keys ? "attention.key_length_mla" : "attention.key_length")});
        a.q_lora_rank = q_lora;
        a.kv_lora_rank = kv_lora;
        a.qk_rope_head_dim = rope;
        a.qk_nope_head_dim = key_len - rope;
        a.v_head_dim = value_len;
        a.num_kv_heads = heads;
        return {};
    }
    MOEFIT_TRY(kv_heads, k.get_or("attention.head_count_kv", heads));
    MOEFIT_TRY(head_dim, k.get_or("attention.key_length", 0));  // 0: hidden / heads (finalize_spec)
    MOEFIT_TRY(v_dim, k.get_or("attention.value_length", head_dim));
    a.num_kv_heads = kv_heads;
    a.head_dim = head_dim;
    a.v_head_dim = v_dim;
    if (arch == "gpt-oss") {
        MOEFIT_TRY(window, k.get("attention.sliding_window"));
        a.layer_pattern = "SF";  // llama.cpp: even layers use the sliding window
        a.sliding_window = window;
    } else if (arch == "llama4") {
        a.layer_pattern = "CCCF";
        a.chunk_size = kLlama4ChunkTokens;
    } else if (arch == "qwen3next") {
        MOEFIT_TRY(interval, k.get_or("full_attention_interval", 4));
        if (interval == 0 || interval > s.num_layers)
            return make_error(fmt::format("expected 1 to {} layers, found {}", s.num_layers, interval),
                              {"", 0, 0, {}, k.key("full_attention_interval")});
        a.layer_pattern = std::string(interval - 1, 'L') + "F";
        a.output_gate = true;  // q_proj also yields the sigmoid output gate
        model::LinearAttention& l = s.linear;
        MOEFIT_TRY(conv, k.get("ssm.conv_kernel"));
        MOEFIT_TRY(key_dim, k.get("ssm.state_size"));
        MOEFIT_TRY(key_heads, k.get("ssm.group_count"));
        MOEFIT_TRY(value_heads, k.get("ssm.time_step_rank"));
        MOEFIT_TRY(inner, k.get("ssm.inner_size"));
        if (value_heads == 0 || inner % value_heads != 0)
            return make_error(fmt::format("{} is not a multiple of ssm.time_step_rank ({})", inner, value_heads),
                              {"", 0, 0, {}, k.key("ssm.inner_size")});
        l.conv_kernel = conv;
        l.key_head_dim = key_dim;
        l.num_key_heads = key_heads;
        l.num_value_heads = value_heads;
        l.value_head_dim = inner / value_heads;
    }
    return {};
}

Status read_moe(const Keys& k, const std::string& arch, const GgufHeader& h,
                const std::set<std::string, std::less<>>& kinds, ModelSpec& s) {
    model::Moe& m = s.moe;
    MOEFIT_TRY(ffn, k.get_or("feed_forward_length", 0));
    s.intermediate_size = ffn;
    MOEFIT_TRY(experts, k.get_or("expert_count", 0));
    if (experts == 0) {
        if (arch != "llama" && arch != "qwen2" && arch != "qwen3")
            MOEFIT_CHECK(k.get("expert_count"));  // an MoE architecture without experts: say which key
        return {};
    }
    MOEFIT_TRY(used, k.get("expert_used_count"));
    m.num_experts = experts;
    m.experts_per_token = used;
    if (arch == "llama") {
        m.expert_intermediate_size = ffn;  // Mixtral: feed_forward_length is each expert's width
        s.intermediate_size = 0;
    } else {
        MOEFIT_TRY(width, k.get("expert_feed_forward_length"));
        m.expert_intermediate_size = width;
    }
    MOEFIT_TRY(dense_lead, k.get_or("leading_dense_block_count", 0));
    MOEFIT_TRY(step, k.get_or("interleave_moe_layer_step", 1));
    m.first_dense_layers = dense_lead;
    m.layer_freq = step;
    const bool sigmoid_default = arch == "glm4moe" || arch == "llama4";
    MOEFIT_TRY(gating, k.get_or("expert_gating_func", sigmoid_default ? kGatingSigmoid : 1));
    m.router = gating == kGatingSigmoid ? RouterKind::sigmoid : RouterKind::softmax;
    MOEFIT_TRY(groups, k.get_or("expert_group_count", 1));
    MOEFIT_TRY(topk_groups, k.get_or("expert_group_used_count", 1));
    m.num_groups = std::max<std::uint64_t>(groups, 1);
    m.topk_groups = std::max<std::uint64_t>(topk_groups, 1);

    if (kinds.count("ffn_up_shexp.weight")) {
        MOEFIT_TRY(shared, k.get_or("expert_shared_count", 1));
        m.num_shared_experts = std::max<std::uint64_t>(shared, 1);
        if (k.has("expert_shared_feed_forward_length")) {
            MOEFIT_TRY(w, k.get("expert_shared_feed_forward_length"));
            m.shared_intermediate_size = w;
        } else if (arch == "deepseek2" || arch == "glm4moe") {
            m.shared_intermediate_size = m.expert_intermediate_size;  // each shared expert is expert-sized
        } else {
            // No key: the tensor's width holds all shared experts side by side.
            for (const GgufTensor& t : h.tensors) {
                if (t.name.size() > 19 && t.name.ends_with(".ffn_up_shexp.weight") && t.dims.size() >= 2) {
                    m.shared_intermediate_size = t.dims[1] / m.num_shared_experts;
                    break;
                }
            }
        }
        m.shared_expert_gate = kinds.count("ffn_gate_inp_shexp.weight") > 0;
    }
    m.router_bias = kinds.count("ffn_gate_inp.bias") > 0;
    m.correction_bias = kinds.count("exp_probs_b.bias") > 0;
    m.expert_bias = kinds.count("ffn_down_exps.bias") > 0 || kinds.count("ffn_gate_exps.bias") > 0;
    return {};
}

Result<ModelSpec> build(const GgufHeader& h) {
    MOEFIT_TRY(arch, get_string(h, "general.architecture"));
    const ArchInfo* info = nullptr;
    for (const ArchInfo& a : kGgufArchs)
        if (a.gguf == arch) info = &a;
    if (!info) {
        Error e = make_error(fmt::format("architecture \"{}\" is not supported (supported: {})", arch,
                                         fmt::join(supported_gguf_architectures(), ", ")),
                             {h.file, 0, 0, {}, "general.architecture"});
        e.hint = did_you_mean(arch, supported_gguf_architectures());
        return e;
    }
    const Keys k(h, arch);
    const auto kinds = tensor_kinds(h);
    ModelSpec s;
    s.gguf_arch = arch;
    s.architecture = std::string(info->hf);
    s.origin = h.file;
    auto name = get_string(h, "general.name");
    s.name = name ? *name : file_stem(h.file);
    s.id = to_id(file_stem(h.file));
    auto file_type = get_u64(h, "general.file_type");
    s.native_format = file_type && *file_type == 0 ? "fp32" : file_type && *file_type == 1 ? "fp16" : "bf16";

    MOEFIT_TRY(blocks, k.get("block_count"));
    if (blocks == 0)  // the reader keeps no offsets for metadata values: the key locates it
        return make_error("expected at least 1 block, found 0", {h.file, 0, 0, {}, k.key("block_count")});
    MOEFIT_TRY(nextn, k.get_or("nextn_predict_layers", 0));
    if (nextn >= blocks)
        return make_error(fmt::format("{} MTP layers leave no main layer of the {} blocks", nextn, blocks),
                          {h.file, 0, 0, {}, k.key("nextn_predict_layers")});
    s.num_layers = blocks - nextn;
    s.mtp_layers = nextn;
    MOEFIT_TRY(hidden, k.get("embedding_length"));
    s.hidden_size = hidden;
    if (const GgufTensor* embd = find_tensor(h, "token_embd.weight"); embd && embd->dims.size() == 2) {
        s.vocab_size = embd->dims[1];  // the stored (possibly padded) rows are what takes memory
        if (s.vocab_size > kMaxGgufSize)
            return make_error(fmt::format("{} rows is over the limit of {}", s.vocab_size, kMaxGgufSize),
                              {h.file, 0, 0, embd->info_offset, embd->name});
    } else if (k.has("vocab_size")) {
        MOEFIT_TRY(vocab, k.get("vocab_size"));
        s.vocab_size = vocab;
    } else {
        MOEFIT_TRY(vocab, get_array_length(h, "tokenizer.ggml.tokens"));
        s.vocab_size = vocab;
    }
    s.tie_embeddings = find_tensor(h, "output.weight") == nullptr;

    if (Status st = read_attention(k, arch, s); !st) return st.error();
    model::Attention& a = s.attention;
    a.q_bias = kinds.count("attn_q.bias") > 0;
    a.k_bias = kinds.count("attn_k.bias") > 0;
    a.v_bias = kinds.count("attn_v.bias") > 0;
    a.o_bias = kinds.count("attn_output.bias") > 0;
    a.qk_norm = kinds.count("attn_q_norm.weight") > 0;
    a.sinks = kinds.count("attn_sinks.weight") > 0;
    if (Status st = read_moe(k, arch, h, kinds, s); !st) return st.error();
    if (arch == "llama" && s.is_moe()) s.architecture = "MixtralForCausalLM";
    if (arch == "deepseek2" && s.moe.router == RouterKind::sigmoid) s.architecture = "DeepseekV3ForCausalLM";
    if (Status st = model::finalize_spec(s); !st) return st.error();
    return s;
}

}  // namespace

std::vector<std::string> supported_gguf_architectures() {
    std::vector<std::string> out;
    for (const ArchInfo& a : kGgufArchs) out.emplace_back(a.gguf);
    return out;
}

Result<ModelSpec> spec_from_gguf(const GgufHeader& header) {
    auto r = build(header);
    if (!r) return r.error().in_file(header.file);
    return r;
}

}  // namespace moefit::spec
