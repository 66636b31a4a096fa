// The per-tensor type rules of llama-quantize (llama.cpp src/llama-quant.cpp,
// `llama_tensor_get_type_impl` and `tensor_get_category`; formats.md §2, source S3), without an
// importance matrix: which ggml type each quantizable tensor gets under a file type. Internal to
// scheme_llamacpp.cpp, which holds the file-type table and walks the inventory.
#pragma once

#include <cstdint>
#include <string_view>

#include "model/inventory.hpp"

namespace moefit::engine::llamacpp {

// llama_ftype, the file types the rules tell apart.
enum class Ft {
    q2_k,
    q2_k_s,
    q3_k_s,
    q3_k_m,
    q3_k_l,
    q4_0,
    q4_1,
    q5_0,
    q5_1,
    q4_k_s,
    q4_k_m,
    q5_k_s,
    q5_k_m,
    q6_k,
    q8_0,
    iq1_s,
    iq1_m,
    iq2_xxs,
    iq2_xs,
    iq2_s,
    iq2_m,
    iq3_xxs,
    iq3_xs,
    iq3_s,
    iq3_m,
    iq4_nl,
    iq4_xs,
    tq1_0,
    tq2_0,
    mxfp4_moe,
    f16,
    bf16,
    f32,
};

// tensor_get_category: broad categories by name.
enum class Cat { token_embd, attn_q, attn_v_like, attn_k, attn_output, ffn_up, ffn_gate, ffn_down, output, other };
Cat category(std::string_view name);

// Model facts the rules read from llama.cpp's hparams.
struct Facts {
    std::uint64_t n_expert = 0;
    std::uint64_t n_gqa = 1;          // n_head / n_head_kv (integer division, as llama.cpp)
    bool is_70b = false;              // LLM_TYPE_70B: dense llama arch, 80 layers, GQA
    bool tied = false;                // no output.weight: token_embd takes the output rule
    std::int64_t n_layer_all = 0;     // blocks incl. MTP blocks (n_ffn_down/gate/up)
    std::int64_t n_attention_wv = 0;  // attn_v-like tensors in the file
};

// Tensors of each kind the rules have seen so far (llama.cpp's quantize_state_impl counters).
struct Counters {
    std::int64_t attention_wv = 0, ffn_down = 0, ffn_gate = 0, ffn_up = 0;
};

class Rules {
public:
    Rules(Ft ft, std::string_view default_type, const Facts& facts) : ft_(ft), def_(default_type), f_(facts) {}

    // llama_tensor_get_type_impl for one quantizable tensor, visited in llama.cpp's order.
    std::string_view choose(const model::Tensor& t);

private:
    // MoE models parse the layer from the name; dense ones count the tensors seen so far.
    std::int64_t layer_index(std::int64_t from_name, std::int64_t counter) const;

    std::string_view output_type(const model::Tensor& t) const;

    std::string_view token_embd_type() const;

    // IQ1 / IQ2 mixes have their own branch.
    std::string_view very_low_bit_type(Cat cat);

    std::string_view attn_v_type();

    std::string_view ffn_down_type(std::int64_t i) const;

    std::string_view attn_output_type() const;

    Ft ft_;
    std::string_view def_;
    Facts f_;
    Counters c_;
};

}  // namespace moefit::engine::llamacpp
