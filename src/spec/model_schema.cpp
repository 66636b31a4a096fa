#include "spec/model_schema.hpp"

#include <vector>

namespace moefit::spec {
namespace {

using model::ModelSpec;
using Row = SchemaRow<ModelSpec>;

std::uint64_t u(const Value& v) { return std::get<std::uint64_t>(v); }
bool b(const Value& v) { return std::get<bool>(v); }
const std::string& s(const Value& v) { return std::get<std::string>(v); }

model::Convention convention(const std::string& text) {
    if (text == "no_input_embedding") return model::Convention::no_input_embedding;
    if (text == "no_embeddings") return model::Convention::no_embeddings;
    return model::Convention::all;
}

constexpr std::uint64_t kMaxDim = 10'000'000;   // widths, vocab: far above any real model
constexpr std::uint64_t kMaxLayers = 10'000;
constexpr std::uint64_t kMaxExperts = 100'000;
const std::vector<std::string_view> kConventions = {"all", "no_input_embedding", "no_embeddings"};

// clang-format off
const std::vector<Row>& rows() {
    static const std::vector<Row> table = {
        // [model]
        {{"model", "id", ValueType::string, "", "required", "command-line name, lowercase"},
         [](ModelSpec& m, const Value& v) { m.id = s(v); }},
        {{"model", "name", ValueType::string, "", "required", "display name"},
         [](ModelSpec& m, const Value& v) { m.name = s(v); }},
        {{"model", "aliases", ValueType::string_list, "", "[]", "other names users type"},
         [](ModelSpec& m, const Value& v) { m.aliases = std::get<std::vector<std::string>>(v); }},
        {{"model", "hf_repo", ValueType::string, "", "\"\"", "Hugging Face repository"},
         [](ModelSpec& m, const Value& v) { m.hf_repo = s(v); }},
        {{"model", "architecture", ValueType::string, "", "\"\"", "Hugging Face architectures[0]"},
         [](ModelSpec& m, const Value& v) { m.architecture = s(v); }},
        {{"model", "gguf_arch", ValueType::string, "", "\"\"", "llama.cpp general.architecture"},
         [](ModelSpec& m, const Value& v) { m.gguf_arch = s(v); }},
        {{"model", "native_format", ValueType::string, "", "\"bf16\"", "checkpoint storage format",
          0, UINT64_MAX, {"bf16", "fp16", "fp32", "fp8_block128", "mxfp4_experts", "int4_g32_experts"}},
         [](ModelSpec& m, const Value& v) { m.native_format = s(v); }},
        // [dims]
        {{"dims", "vocab_size", ValueType::integer, "tokens", "required", "vocabulary size", 1, kMaxDim},
         [](ModelSpec& m, const Value& v) { m.vocab_size = u(v); }},
        {{"dims", "hidden_size", ValueType::integer, "elements", "required", "model width (d_model)", 1, kMaxDim},
         [](ModelSpec& m, const Value& v) { m.hidden_size = u(v); }},
        {{"dims", "num_layers", ValueType::integer, "layers", "required", "decoder blocks (MTP apart)", 1, kMaxLayers},
         [](ModelSpec& m, const Value& v) { m.num_layers = u(v); }},
        {{"dims", "tie_embeddings", ValueType::boolean, "", "false", "output head shares the input embedding"},
         [](ModelSpec& m, const Value& v) { m.tie_embeddings = b(v); }},
        {{"dims", "intermediate_size", ValueType::integer, "elements", "0", "dense FFN width (dense layers)", 0, kMaxDim},
         [](ModelSpec& m, const Value& v) { m.intermediate_size = u(v); }},
        {{"dims", "max_context", ValueType::integer, "tokens", "0", "longest supported context (0 = not known)", 0, 1ULL << 31},
         [](ModelSpec& m, const Value& v) { m.max_context_tokens = u(v); }},
        // [attention]
        {{"attention", "kind", ValueType::string, "", "required", "gqa (incl. MHA) or mla", 0, UINT64_MAX, {"gqa", "mla"}},
         [](ModelSpec& m, const Value& v) { m.attention.kind = s(v) == "mla" ? model::AttentionKind::mla : model::AttentionKind::gqa; }},
        {{"attention", "num_heads", ValueType::integer, "heads", "required", "query heads", 1, kMaxDim},
         [](ModelSpec& m, const Value& v) { m.attention.num_heads = u(v); }},
        {{"attention", "num_kv_heads", ValueType::integer, "heads", "= num_heads", "key/value heads (GQA)", 1, kMaxDim},
         [](ModelSpec& m, const Value& v) { m.attention.num_kv_heads = u(v); }},
        {{"attention", "head_dim", ValueType::integer, "elements", "= hidden_size / num_heads", "query/key head size (GQA)", 1, kMaxDim},
         [](ModelSpec& m, const Value& v) { m.attention.head_dim = u(v); }},
        {{"attention", "v_head_dim", ValueType::integer, "elements", "= head_dim", "value head size", 1, kMaxDim},
         [](ModelSpec& m, const Value& v) { m.attention.v_head_dim = u(v); }},
        {{"attention", "q_lora_rank", ValueType::integer, "elements", "0", "MLA low-rank query width; 0 = none", 0, kMaxDim},
         [](ModelSpec& m, const Value& v) { m.attention.q_lora_rank = u(v); }},
        {{"attention", "kv_lora_rank", ValueType::integer, "elements", "0", "MLA compressed KV width", 0, kMaxDim},
         [](ModelSpec& m, const Value& v) { m.attention.kv_lora_rank = u(v); }},
        {{"attention", "qk_nope_head_dim", ValueType::integer, "elements", "0", "MLA per-head q/k part without RoPE", 0, kMaxDim},
         [](ModelSpec& m, const Value& v) { m.attention.qk_nope_head_dim = u(v); }},
        {{"attention", "qk_rope_head_dim", ValueType::integer, "elements", "0", "MLA per-head q/k RoPE part", 0, kMaxDim},
         [](ModelSpec& m, const Value& v) { m.attention.qk_rope_head_dim = u(v); }},
        {{"attention", "qk_norm", ValueType::boolean, "", "false", "RMSNorm weights on q and k"},
         [](ModelSpec& m, const Value& v) { m.attention.qk_norm = b(v); }},
        {{"attention", "q_bias", ValueType::boolean, "", "false", "bias on the q projection"},
         [](ModelSpec& m, const Value& v) { m.attention.q_bias = b(v); }},
        {{"attention", "k_bias", ValueType::boolean, "", "false", "bias on the k projection"},
         [](ModelSpec& m, const Value& v) { m.attention.k_bias = b(v); }},
        {{"attention", "v_bias", ValueType::boolean, "", "false", "bias on the v projection"},
         [](ModelSpec& m, const Value& v) { m.attention.v_bias = b(v); }},
        {{"attention", "o_bias", ValueType::boolean, "", "false", "bias on the output projection"},
         [](ModelSpec& m, const Value& v) { m.attention.o_bias = b(v); }},
        {{"attention", "sinks", ValueType::boolean, "", "false", "one learned sink logit per head"},
         [](ModelSpec& m, const Value& v) { m.attention.sinks = b(v); }},
        {{"attention", "output_gate", ValueType::boolean, "", "false", "q projection also yields an output gate"},
         [](ModelSpec& m, const Value& v) { m.attention.output_gate = b(v); }},
        {{"attention", "layer_pattern", ValueType::string, "", "\"F\"", "per-layer kinds repeated from layer 0: F full, S sliding, C chunked, L linear"},
         [](ModelSpec& m, const Value& v) { m.attention.layer_pattern = s(v); }},
        {{"attention", "sliding_window", ValueType::integer, "tokens", "0", "window of S layers", 0, 1ull << 40},
         [](ModelSpec& m, const Value& v) { m.attention.sliding_window = u(v); }},
        {{"attention", "chunk_size", ValueType::integer, "tokens", "0", "chunk of C layers", 0, 1ull << 40},
         [](ModelSpec& m, const Value& v) { m.attention.chunk_size = u(v); }},
        // [linear_attention]
        {{"linear_attention", "num_key_heads", ValueType::integer, "heads", "0", "linear-attention key heads", 0, kMaxDim},
         [](ModelSpec& m, const Value& v) { m.linear.num_key_heads = u(v); }},
        {{"linear_attention", "num_value_heads", ValueType::integer, "heads", "0", "linear-attention value heads", 0, kMaxDim},
         [](ModelSpec& m, const Value& v) { m.linear.num_value_heads = u(v); }},
        {{"linear_attention", "key_head_dim", ValueType::integer, "elements", "0", "key head size", 0, kMaxDim},
         [](ModelSpec& m, const Value& v) { m.linear.key_head_dim = u(v); }},
        {{"linear_attention", "value_head_dim", ValueType::integer, "elements", "0", "value head size", 0, kMaxDim},
         [](ModelSpec& m, const Value& v) { m.linear.value_head_dim = u(v); }},
        {{"linear_attention", "conv_kernel", ValueType::integer, "elements", "4", "short convolution width", 1, 1024},
         [](ModelSpec& m, const Value& v) { m.linear.conv_kernel = u(v); }},
        // [moe]
        {{"moe", "num_experts", ValueType::integer, "experts", "0", "routed experts per MoE layer; 0 = dense", 0, kMaxExperts},
         [](ModelSpec& m, const Value& v) { m.moe.num_experts = u(v); }},
        {{"moe", "experts_per_token", ValueType::integer, "experts", "0", "routed experts each token uses (top-k)", 0, kMaxExperts},
         [](ModelSpec& m, const Value& v) { m.moe.experts_per_token = u(v); }},
        {{"moe", "expert_intermediate_size", ValueType::integer, "elements", "0", "FFN width of each routed expert", 0, kMaxDim},
         [](ModelSpec& m, const Value& v) { m.moe.expert_intermediate_size = u(v); }},
        {{"moe", "num_shared_experts", ValueType::integer, "experts", "0", "always-on experts per MoE layer", 0, 1024},
         [](ModelSpec& m, const Value& v) { m.moe.num_shared_experts = u(v); }},
        {{"moe", "shared_intermediate_size", ValueType::integer, "elements", "= expert_intermediate_size", "FFN width of each shared expert", 1, kMaxDim},
         [](ModelSpec& m, const Value& v) { m.moe.shared_intermediate_size = u(v); }},
        {{"moe", "shared_expert_gate", ValueType::boolean, "", "false", "sigmoid gate on the shared expert"},
         [](ModelSpec& m, const Value& v) { m.moe.shared_expert_gate = b(v); }},
        {{"moe", "first_dense_layers", ValueType::integer, "layers", "0", "leading layers with a dense FFN", 0, kMaxLayers},
         [](ModelSpec& m, const Value& v) { m.moe.first_dense_layers = u(v); }},
        {{"moe", "layer_freq", ValueType::integer, "layers", "1", "then every Nth layer is MoE", 1, kMaxLayers},
         [](ModelSpec& m, const Value& v) { m.moe.layer_freq = u(v); }},
        {{"moe", "router", ValueType::string, "", "\"softmax\"", "router scoring", 0, UINT64_MAX, {"softmax", "sigmoid"}},
         [](ModelSpec& m, const Value& v) { m.moe.router = s(v) == "sigmoid" ? model::RouterKind::sigmoid : model::RouterKind::softmax; }},
        {{"moe", "router_bias", ValueType::boolean, "", "false", "bias on the router linear"},
         [](ModelSpec& m, const Value& v) { m.moe.router_bias = b(v); }},
        {{"moe", "correction_bias", ValueType::boolean, "", "false", "score correction bias (DeepSeek-V3)"},
         [](ModelSpec& m, const Value& v) { m.moe.correction_bias = b(v); }},
        {{"moe", "expert_bias", ValueType::boolean, "", "false", "biases on expert projections"},
         [](ModelSpec& m, const Value& v) { m.moe.expert_bias = b(v); }},
        {{"moe", "num_groups", ValueType::integer, "groups", "1", "expert groups for group-limited routing", 1, kMaxExperts},
         [](ModelSpec& m, const Value& v) { m.moe.num_groups = u(v); }},
        {{"moe", "topk_groups", ValueType::integer, "groups", "1", "groups each token may route to", 1, kMaxExperts},
         [](ModelSpec& m, const Value& v) { m.moe.topk_groups = u(v); }},
        // [mtp]
        {{"mtp", "num_layers", ValueType::integer, "layers", "0", "multi-token-prediction modules (counted apart)", 0, 64},
         [](ModelSpec& m, const Value& v) { m.mtp_layers = u(v); }},
        // [published]
        {{"published", "total_params", ValueType::integer, "parameters", "0", "vendor's total (0 = none)"},
         [](ModelSpec& m, const Value& v) { m.published.total_params = u(v); }},
        {{"published", "active_params", ValueType::integer, "parameters", "0", "vendor's active per token"},
         [](ModelSpec& m, const Value& v) { m.published.active_params = u(v); }},
        {{"published", "total_convention", ValueType::string, "", "\"all\"", "what the total counts", 0, UINT64_MAX, kConventions},
         [](ModelSpec& m, const Value& v) { m.published.total_convention = convention(s(v)); }},
        {{"published", "active_convention", ValueType::string, "", "\"all\"", "what the active figure counts", 0, UINT64_MAX, kConventions},
         [](ModelSpec& m, const Value& v) { m.published.active_convention = convention(s(v)); }},
        {{"published", "total_includes_mtp", ValueType::boolean, "", "false", "the published total also counts the MTP module"},
         [](ModelSpec& m, const Value& v) { m.published.total_includes_mtp = b(v); }},
        {{"published", "source", ValueType::string, "", "\"\"", "where the figures are stated"},
         [](ModelSpec& m, const Value& v) { m.published.source = s(v); }},
        {{"published", "note", ValueType::string, "", "\"\"", "why a figure is more than 0.5% from our count"},
         [](ModelSpec& m, const Value& v) { m.published.note = s(v); }},
    };
    return table;
}
// clang-format on

}  // namespace

std::span<const KeySpec> model_keys() { return schema_keys(rows()); }

void apply_model_key(std::size_t index, const Value& value, model::ModelSpec& spec) {
    apply_schema_key(rows(), index, value, spec);
}

}  // namespace moefit::spec
