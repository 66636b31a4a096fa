// The tensor inventory: every weight tensor of a model with its shape, class and role. It is
// the single source of parameter counts and (with a quantization scheme) of weight bytes; fit,
// placement, throughput, the reference pass and the synthetic export all read it.
//
// Names follow llama.cpp's GGUF naming ("blk.3.ffn_down_exps.weight") because the llama.cpp
// quantization rules key on them. Shapes are in ggml order: ne[0] is the row length (a
// weight's input dimension, contiguous in memory), ne[1] the number of rows (output dimension),
// ne[2] the number of stacked routed experts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/spec.hpp"

namespace moefit::model {

// What a tensor is for, at the granularity users reason about.
enum class TensorClass {
    embedding,      // token_embd
    attention,      // q/k/v/o (and MLA low-rank, linear-attention, sinks, biases)
    router,         // ffn_gate_inp (+ bias, correction bias)
    routed_expert,  // stacked per-expert FFN weights (+ biases)
    shared_expert,  // always-on experts (+ their gate)
    dense_ffn,      // FFN of dense layers / dense models
    norm,           // RMSNorm / LayerNorm weights, q/k norms
    output_head,    // output (lm_head)
    mtp,            // multi-token-prediction module: counted apart from the main model
};
inline constexpr int kTensorClassCount = 9;

std::string_view to_string(TensorClass c);

// Finer role, used by quantization rules that distinguish e.g. attn_v from attn_q.
enum class Role {
    token_embd, output, norm, bias,
    attn_q, attn_k, attn_v, attn_output, attn_sinks,
    attn_q_a, attn_q_b, attn_kv_a, attn_k_b, attn_v_b,
    ssm_in, ssm_ba, ssm_conv, ssm_param, ssm_out,
    ffn_gate, ffn_up, ffn_down,              // dense or shared expert
    ffn_gate_exps, ffn_up_exps, ffn_down_exps,
    router, router_bias, shared_gate,
    mtp_proj,
};

struct Tensor {
    std::string name;                   // GGUF-style name
    std::vector<std::uint64_t> shape;   // ggml order, see the file comment
    TensorClass cls = TensorClass::norm;
    Role role = Role::norm;
    std::int64_t layer = -1;            // block index; -1 for model-level tensors
    std::uint64_t experts = 1;          // > 1: a stack of this many routed experts (ne[2])
    bool mtp = false;                   // part of the multi-token-prediction module

    std::uint64_t elements() const;     // product of the shape (checked)
    bool is_matrix() const { return shape.size() >= 2; }
};

struct Inventory {
    std::vector<Tensor> tensors;
    std::uint64_t num_layers = 0;       // main-model blocks (MTP blocks follow them)
    std::uint64_t experts_per_token = 0;
    std::uint64_t num_experts = 0;
};

// Builds the inventory of a validated spec (see validate_spec). Pure; never fails for a spec
// that passed validation.
Inventory build_inventory(const ModelSpec& spec);

// A short label for the kind of block layer i is, e.g. "full attn + MoE", "sliding attn + dense".
std::string layer_kind_label(const ModelSpec& spec, std::uint64_t layer);

}  // namespace moefit::model
