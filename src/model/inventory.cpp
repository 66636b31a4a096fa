#include "model/inventory.hpp"

#include "util/checked.hpp"

namespace moefit::model {
namespace {

// Appends tensors of one block; `prefix` is "blk.N." and `mtp` marks MTP-module blocks.
class BlockBuilder {
public:
    BlockBuilder(const ModelSpec& s, std::vector<Tensor>& out, std::int64_t layer, bool mtp)
        : s_(s), out_(out), layer_(layer), mtp_(mtp), prefix_("blk." + std::to_string(layer) + ".") {}

    void add(const std::string& name, std::vector<std::uint64_t> shape, TensorClass cls, Role role,
             std::uint64_t experts = 1) {
        Tensor t;
        t.name = prefix_ + name;
        t.shape = std::move(shape);
        t.cls = mtp_ ? TensorClass::mtp : cls;
        t.role = role;
        t.layer = layer_;
        t.experts = experts;
        t.mtp = mtp_;
        out_.push_back(std::move(t));
    }

    void norms() {
        add("attn_norm.weight", {s_.hidden_size}, TensorClass::norm, Role::norm);
        add("ffn_norm.weight", {s_.hidden_size}, TensorClass::norm, Role::norm);
    }

    void gqa_attention() {
        const Attention& a = s_.attention;
        const std::uint64_t h = s_.hidden_size;
        const std::uint64_t q_out = checked_mul(a.num_heads, a.head_dim) * (a.output_gate ? 2 : 1);
        const std::uint64_t k_out = checked_mul(a.num_kv_heads, a.head_dim);
        const std::uint64_t v_out = checked_mul(a.num_kv_heads, a.v_head_dim);
        const std::uint64_t o_in = checked_mul(a.num_heads, a.v_head_dim);
        add("attn_q.weight", {h, q_out}, TensorClass::attention, Role::attn_q);
        add("attn_k.weight", {h, k_out}, TensorClass::attention, Role::attn_k);
        add("attn_v.weight", {h, v_out}, TensorClass::attention, Role::attn_v);
        add("attn_output.weight", {o_in, h}, TensorClass::attention, Role::attn_output);
        if (a.q_bias) add("attn_q.bias", {q_out}, TensorClass::attention, Role::bias);
        if (a.k_bias) add("attn_k.bias", {k_out}, TensorClass::attention, Role::bias);
        if (a.v_bias) add("attn_v.bias", {v_out}, TensorClass::attention, Role::bias);
        if (a.o_bias) add("attn_output.bias", {h}, TensorClass::attention, Role::bias);
        if (a.qk_norm) {
            add("attn_q_norm.weight", {a.head_dim}, TensorClass::norm, Role::norm);
            add("attn_k_norm.weight", {a.head_dim}, TensorClass::norm, Role::norm);
        }
        if (a.sinks) add("attn_sinks.weight", {a.num_heads}, TensorClass::attention, Role::attn_sinks);
    }

    // MLA as current llama.cpp stores it: kv_b split into per-head k_b and v_b.
    void mla_attention() {
        const Attention& a = s_.attention;
        const std::uint64_t h = s_.hidden_size;
        const std::uint64_t qk_head = a.qk_nope_head_dim + a.qk_rope_head_dim;
        if (a.q_lora_rank > 0) {
            add("attn_q_a.weight", {h, a.q_lora_rank}, TensorClass::attention, Role::attn_q_a);
            add("attn_q_a_norm.weight", {a.q_lora_rank}, TensorClass::norm, Role::norm);
            add("attn_q_b.weight", {a.q_lora_rank, checked_mul(a.num_heads, qk_head)}, TensorClass::attention,
                Role::attn_q_b);
        } else {
            add("attn_q.weight", {h, checked_mul(a.num_heads, qk_head)}, TensorClass::attention, Role::attn_q);
        }
        add("attn_kv_a_mqa.weight", {h, a.kv_lora_rank + a.qk_rope_head_dim}, TensorClass::attention,
            Role::attn_kv_a);
        add("attn_kv_a_norm.weight", {a.kv_lora_rank}, TensorClass::norm, Role::norm);
        add("attn_k_b.weight", {a.qk_nope_head_dim, a.kv_lora_rank, a.num_heads}, TensorClass::attention,
            Role::attn_k_b);
        add("attn_v_b.weight", {a.kv_lora_rank, a.v_head_dim, a.num_heads}, TensorClass::attention, Role::attn_v_b);
        add("attn_output.weight", {checked_mul(a.num_heads, a.v_head_dim), h}, TensorClass::attention,
            Role::attn_output);
    }

    // Gated DeltaNet (Qwen3-Next) linear attention.
    void linear_attention() {
        const LinearAttention& l = s_.linear;
        const std::uint64_t h = s_.hidden_size;
        const std::uint64_t key_dim = checked_mul(l.num_key_heads, l.key_head_dim);
        const std::uint64_t value_dim = checked_mul(l.num_value_heads, l.value_head_dim);
        add("ssm_in.weight", {h, 2 * key_dim + 2 * value_dim}, TensorClass::attention, Role::ssm_in);
        add("ssm_ba.weight", {h, 2 * l.num_value_heads}, TensorClass::attention, Role::ssm_ba);
        add("ssm_conv1d.weight", {l.conv_kernel, 2 * key_dim + value_dim}, TensorClass::attention, Role::ssm_conv);
        add("ssm_dt.bias", {l.num_value_heads}, TensorClass::attention, Role::ssm_param);
        add("ssm_a", {l.num_value_heads}, TensorClass::attention, Role::ssm_param);
        add("ssm_norm.weight", {l.value_head_dim}, TensorClass::norm, Role::norm);
        add("ssm_out.weight", {value_dim, h}, TensorClass::attention, Role::ssm_out);
    }

    void dense_ffn(std::uint64_t width) {
        const std::uint64_t h = s_.hidden_size;
        add("ffn_gate.weight", {h, width}, TensorClass::dense_ffn, Role::ffn_gate);
        add("ffn_up.weight", {h, width}, TensorClass::dense_ffn, Role::ffn_up);
        add("ffn_down.weight", {width, h}, TensorClass::dense_ffn, Role::ffn_down);
    }

    void moe_ffn() {
        const Moe& m = s_.moe;
        const std::uint64_t h = s_.hidden_size;
        const std::uint64_t e = m.num_experts;
        const std::uint64_t w = m.expert_intermediate_size;
        add("ffn_gate_inp.weight", {h, e}, TensorClass::router, Role::router);
        if (m.router_bias) add("ffn_gate_inp.bias", {e}, TensorClass::router, Role::router_bias);
        if (m.correction_bias) add("exp_probs_b.bias", {e}, TensorClass::router, Role::router_bias);
        add("ffn_gate_exps.weight", {h, w, e}, TensorClass::routed_expert, Role::ffn_gate_exps, e);
        add("ffn_up_exps.weight", {h, w, e}, TensorClass::routed_expert, Role::ffn_up_exps, e);
        add("ffn_down_exps.weight", {w, h, e}, TensorClass::routed_expert, Role::ffn_down_exps, e);
        if (m.expert_bias) {
            add("ffn_gate_exps.bias", {w, e}, TensorClass::routed_expert, Role::bias, e);
            add("ffn_up_exps.bias", {w, e}, TensorClass::routed_expert, Role::bias, e);
            add("ffn_down_exps.bias", {h, e}, TensorClass::routed_expert, Role::bias, e);
        }
        if (m.num_shared_experts > 0) {
            const std::uint64_t sw = checked_mul(m.num_shared_experts, m.shared_intermediate_size);
            add("ffn_gate_shexp.weight", {h, sw}, TensorClass::shared_expert, Role::ffn_gate);
            add("ffn_up_shexp.weight", {h, sw}, TensorClass::shared_expert, Role::ffn_up);
            add("ffn_down_shexp.weight", {sw, h}, TensorClass::shared_expert, Role::ffn_down);
            if (m.shared_expert_gate)
                add("ffn_gate_inp_shexp.weight", {h}, TensorClass::shared_expert, Role::shared_gate);
        }
    }

    // One decoder block: norms, attention of the layer's kind, FFN of the layer's kind.
    void block(std::uint64_t index_for_pattern, bool moe) {
        norms();
        if (s_.layer_attention(index_for_pattern) == 'L') linear_attention();
        else if (s_.attention.kind == AttentionKind::mla) mla_attention();
        else gqa_attention();
        if (moe) moe_ffn();
        else dense_ffn(s_.intermediate_size);
    }

    // DeepSeek-style MTP head: projection of [embedding; hidden] back to hidden plus its norms.
    void mtp_extras() {
        const std::uint64_t h = s_.hidden_size;
        add("nextn.eh_proj.weight", {2 * h, h}, TensorClass::mtp, Role::mtp_proj);
        add("nextn.enorm.weight", {h}, TensorClass::norm, Role::norm);
        add("nextn.hnorm.weight", {h}, TensorClass::norm, Role::norm);
        add("nextn.shared_head_norm.weight", {h}, TensorClass::norm, Role::norm);
    }

private:
    const ModelSpec& s_;
    std::vector<Tensor>& out_;
    std::int64_t layer_;
    bool mtp_;
    std::string prefix_;
};

void add_global(std::vector<Tensor>& out, std::string name, std::vector<std::uint64_t> shape, TensorClass cls,
                Role role) {
    Tensor t;
    t.name = std::move(name);
    t.shape = std::move(shape);
    t.cls = cls;
    t.role = role;
    out.push_back(std::move(t));
}

}  // namespace

std::string_view to_string(TensorClass c) {
    switch (c) {
        case TensorClass::embedding: return "embedding";
        case TensorClass::attention: return "attention";
        case TensorClass::router: return "router";
        case TensorClass::routed_expert: return "routed experts";
        case TensorClass::shared_expert: return "shared experts";
        case TensorClass::dense_ffn: return "dense FFN";
        case TensorClass::norm: return "norms";
        case TensorClass::output_head: return "output head";
        case TensorClass::mtp: return "MTP module";
    }
    return "?";
}

std::uint64_t Tensor::elements() const {
    std::uint64_t n = 1;
    for (std::uint64_t d : shape) n = checked_mul(n, d);
    return n;
}

Inventory build_inventory(const ModelSpec& spec) {
    Inventory inv;
    inv.num_layers = spec.num_layers;
    inv.num_experts = spec.moe.num_experts;
    inv.experts_per_token = spec.moe.experts_per_token;
    auto& out = inv.tensors;
    const std::uint64_t h = spec.hidden_size;
    add_global(out, "token_embd.weight", {h, spec.vocab_size}, TensorClass::embedding, Role::token_embd);
    for (std::uint64_t i = 0; i < spec.num_layers; ++i) {
        BlockBuilder b(spec, out, static_cast<std::int64_t>(i), false);
        b.block(i, spec.layer_is_moe(i));
    }
    // MTP blocks continue the numbering (as llama.cpp's blk.61 for DeepSeek-V3) and use a full
    // attention layer with the FFN kind of the last main layer.
    for (std::uint64_t j = 0; j < spec.mtp_layers; ++j) {
        const std::uint64_t index = spec.num_layers + j;
        BlockBuilder b(spec, out, static_cast<std::int64_t>(index), true);
        b.mtp_extras();
        const bool moe = spec.num_layers > 0 && spec.layer_is_moe(spec.num_layers - 1);
        b.norms();
        if (spec.attention.kind == AttentionKind::mla) b.mla_attention();
        else b.gqa_attention();
        if (moe) b.moe_ffn();
        else b.dense_ffn(spec.intermediate_size);
    }
    add_global(out, "output_norm.weight", {h}, TensorClass::norm, Role::norm);
    if (!spec.tie_embeddings)
        add_global(out, "output.weight", {h, spec.vocab_size}, TensorClass::output_head, Role::output);
    return inv;
}

std::string layer_kind_label(const ModelSpec& spec, std::uint64_t layer) {
    std::string attn;
    switch (spec.layer_attention(layer)) {
        case 'S': attn = "sliding attn"; break;
        case 'C': attn = "chunked attn"; break;
        case 'L': attn = "linear attn"; break;
        default: attn = spec.attention.kind == AttentionKind::mla ? "MLA attn" : "full attn"; break;
    }
    return attn + (spec.layer_is_moe(layer) ? " + MoE" : " + dense FFN");
}

}  // namespace moefit::model
