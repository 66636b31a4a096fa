#include "model/validate.hpp"

#include <fmt/format.h>

#include <string>

namespace moefit::model {
namespace {

Error key_error(const std::string& key, const std::string& message) {
    Location loc;
    loc.key = key;
    return make_error(message, loc);
}

std::string n(std::uint64_t v) { return std::to_string(v); }

Status validate_attention(const ModelSpec& s) {
    const Attention& a = s.attention;
    if (a.num_heads == 0) return key_error("attention.num_heads", "expected at least 1 head, found 0");
    for (char c : a.layer_pattern)
        if (c != 'F' && c != 'S' && c != 'C' && c != 'L')
            return key_error("attention.layer_pattern",
                             fmt::format("expected only F (full), S (sliding), C (chunked) or L (linear), found '{}'", c));
    if (a.layer_pattern.size() > s.num_layers)
        return key_error("attention.layer_pattern", "pattern of " + n(a.layer_pattern.size()) +
                                                        " letters is longer than num_layers (" + n(s.num_layers) + ")");
    if (a.layer_pattern.find('S') != std::string::npos && a.sliding_window == 0)
        return key_error("attention.sliding_window", "layer_pattern has sliding layers (S) but sliding_window is 0");
    if (a.layer_pattern.find('C') != std::string::npos && a.chunk_size == 0)
        return key_error("attention.chunk_size", "layer_pattern has chunked layers (C) but chunk_size is 0");
    if (a.layer_pattern.find('L') != std::string::npos) {
        const LinearAttention& l = s.linear;
        if (l.num_key_heads == 0 || l.num_value_heads == 0 || l.key_head_dim == 0 || l.value_head_dim == 0)
            return key_error("linear_attention", "layer_pattern has linear layers (L): num_key_heads, "
                                                 "num_value_heads, key_head_dim and value_head_dim are required");
    }
    if (a.kind == AttentionKind::mla) {
        if (a.kv_lora_rank == 0) return key_error("attention.kv_lora_rank", "MLA needs kv_lora_rank > 0");
        if (a.qk_rope_head_dim == 0) return key_error("attention.qk_rope_head_dim", "MLA needs qk_rope_head_dim > 0");
        if (a.qk_nope_head_dim == 0) return key_error("attention.qk_nope_head_dim", "MLA needs qk_nope_head_dim > 0");
        if (a.v_head_dim == 0) return key_error("attention.v_head_dim", "MLA needs v_head_dim > 0");
    } else {
        if (a.num_kv_heads > a.num_heads)
            return key_error("attention.num_kv_heads", "expected at most num_heads (" + n(a.num_heads) + "), found " +
                                                           n(a.num_kv_heads));
        if (a.num_heads % a.num_kv_heads != 0)
            return key_error("attention.num_kv_heads", "num_heads (" + n(a.num_heads) +
                                                           ") must be a multiple of num_kv_heads (" +
                                                           n(a.num_kv_heads) + ")");
    }
    return {};
}

Status validate_moe(const ModelSpec& s) {
    const Moe& m = s.moe;
    if (m.num_experts == 0) {
        if (s.intermediate_size == 0)
            return key_error("dims.intermediate_size", "a dense model (no [moe] experts) needs intermediate_size > 0");
        return {};
    }
    if (m.experts_per_token == 0)
        return key_error("moe.experts_per_token", "expected at least 1 expert per token, found 0");
    if (m.experts_per_token > m.num_experts)
        return key_error("moe.experts_per_token", "expected at most num_experts (" + n(m.num_experts) + "), found " +
                                                      n(m.experts_per_token));
    if (m.expert_intermediate_size == 0)
        return key_error("moe.expert_intermediate_size", "expected a width > 0 for the routed experts");
    if (m.first_dense_layers > s.num_layers)
        return key_error("moe.first_dense_layers", "expected at most num_layers (" + n(s.num_layers) + "), found " +
                                                       n(m.first_dense_layers));
    if (m.layer_freq == 0) return key_error("moe.layer_freq", "expected at least 1, found 0");
    bool any_dense = false, any_moe = false;
    for (std::uint64_t i = 0; i < s.num_layers; ++i) (s.layer_is_moe(i) ? any_moe : any_dense) = true;
    if (!any_moe)
        return key_error("moe.first_dense_layers", "no layer is an MoE layer with these first_dense_layers/layer_freq");
    if (any_dense && s.intermediate_size == 0)
        return key_error("dims.intermediate_size", "the model has dense FFN layers (first_dense_layers / layer_freq) "
                                                   "but intermediate_size is 0");
    if (m.num_groups == 0 || m.num_experts % m.num_groups != 0)
        return key_error("moe.num_groups", "expected a divisor of num_experts (" + n(m.num_experts) + "), found " +
                                               n(m.num_groups));
    if (m.topk_groups == 0 || m.topk_groups > m.num_groups)
        return key_error("moe.topk_groups", "expected 1 to num_groups (" + n(m.num_groups) + "), found " +
                                                n(m.topk_groups));
    return {};
}

}  // namespace

Status finalize_spec(ModelSpec& s) {
    if (s.vocab_size == 0) return key_error("dims.vocab_size", "expected at least 1, found 0");
    if (s.hidden_size == 0) return key_error("dims.hidden_size", "expected at least 1, found 0");
    if (s.num_layers == 0) return key_error("dims.num_layers", "expected at least 1, found 0");
    Attention& a = s.attention;
    if (a.layer_pattern.empty()) a.layer_pattern = "F";
    if (a.kind == AttentionKind::gqa) {
        if (a.num_kv_heads == 0) a.num_kv_heads = a.num_heads;
        if (a.head_dim == 0 && a.num_heads > 0) {
            if (s.hidden_size % a.num_heads != 0)
                return key_error("attention.head_dim", "not given, and hidden_size (" + n(s.hidden_size) +
                                                           ") is not a multiple of num_heads (" + n(a.num_heads) + ")");
            a.head_dim = s.hidden_size / a.num_heads;
        }
        if (a.v_head_dim == 0) a.v_head_dim = a.head_dim;
    }
    if (s.moe.num_shared_experts > 0 && s.moe.shared_intermediate_size == 0)
        s.moe.shared_intermediate_size = s.moe.expert_intermediate_size;
    MOEFIT_CHECK(validate_attention(s));
    MOEFIT_CHECK(validate_moe(s));
    if (s.published.active_params > 0 && s.published.total_params > 0 &&
        s.published.active_params > s.published.total_params)
        return key_error("published.active_params", "published active (" + n(s.published.active_params) +
                                                        ") exceeds published total (" + n(s.published.total_params) + ")");
    return {};
}

}  // namespace moefit::model
