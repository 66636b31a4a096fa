// The reference MoE forward pass: a real decoder built from a scaled spec's weights
// (ReferenceWeights), with a KV cache laid out and sized as llama.cpp allocates it (engine::kv_cache
// with f32 K/V, unified cells shared by the sequences, MLA as one latent per cell, sliding and
// chunked layers in window-sized rings, linear layers as a per-sequence recurrent state), decode
// of B sequences one token each per step, and prefill of a prompt.
//
// What runs: RMSNorm; RoPE (NeoX halves, base 10000, full head); GQA attention with biases, q/k
// norms, sinks, output gate, sliding and chunked windows; MLA in absorbed form (q_nope is mapped
// into the latent space through attn_k_b, the cache holds only [c_kv, k_rope], attn_v_b is applied
// after the weighted sum); Gated DeltaNet linear attention; the router (softmax then top-k,
// renormalised except for DeepSeek-V2; sigmoid with correction bias for the choice, group-limited
// top-k, renormalised except for Llama 4, which scales the expert's input instead); SwiGLU routed
// experts gathered per step so each touched expert is read once; shared experts (with their sigmoid
// gate); weighted combine; final norm; output head. Not modelled: YaRN / partial rotary / NoPE
// layers, routed scaling factors, gpt-oss's clamped SwiGLU, MTP.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "engine/kv_cache.hpp"
#include "reference/thread_pool.hpp"
#include "reference/weights.hpp"
#include "util/result.hpp"

namespace moefit::reference {

struct ModelOptions {
    std::uint64_t context_tokens = 4096;  // llama.cpp -c: cells shared by all sequences
    std::uint64_t sequences = 1;          // -np: sequences decoded together
    std::uint64_t ubatch_tokens = 512;    // -ub: sizes the sliding/chunked rings, as llama.cpp
    bool plain = false;                   // the slow path: double precision, one thread, plain loops
    // The fast path's Q8_0 / Q4_0 products take their vectors quantized to 8-bit blocks, as
    // llama.cpp's CPU backend does (kernels.hpp: QuantizedVectors); false keeps them in float,
    // which the tests compare with the plain path to float rounding.
    bool q8_activations = true;
};

// What one step did, counted by the pass as it ran.
struct StepCounters {
    std::uint64_t tokens = 0;
    std::uint64_t weight_bytes_read = 0;  // each tensor (or touched expert slice) once per step
    std::uint64_t kv_bytes_read = 0;      // cache cells read by attention / state read
    std::uint64_t kv_bytes_written = 0;
    std::uint64_t matmul_flops = 0;              // 2 per weight element per token, matrices only
    std::uint64_t attention_flops = 0;           // scores and weighted sums over the cache
    std::vector<std::uint64_t> experts_touched;  // distinct routed experts, per MoE layer in order

    void add(const StepCounters& o);
};

class ReferenceModel {
public:
    // A model over `weights` (which must outlive it) with a cache for `options`. Fails with the
    // engine's error for options kv_cache rejects.
    static Result<std::unique_ptr<ReferenceModel>> create(const ReferenceWeights& weights, const ModelOptions& options,
                                                          ThreadPool& pool);
    virtual ~ReferenceModel() = default;

    // The engine options whose kv_cache(...) this model's cache matches byte for byte.
    virtual engine::KvOptions kv_options() const = 0;
    // Bytes of K/V cells and recurrent state this model allocated, in total and per layer.
    virtual std::uint64_t kv_allocated_bytes() const = 0;
    virtual std::vector<std::uint64_t> kv_layer_bytes() const = 0;

    // One decode step: tokens[s] is the next token of sequence s (tokens.size() = sequences).
    // Returns logits [sequences x vocab]. Fails when a sequence's context is full or a token is
    // out of the vocabulary.
    virtual Result<std::vector<float>> decode(std::span<const std::uint32_t> tokens,
                                              StepCounters* counters = nullptr) = 0;

    // Appends `tokens` to sequence `seq` (in steps of at most ubatch tokens); returns the logits
    // of the last one.
    virtual Result<std::vector<float>> prefill(std::size_t seq, std::span<const std::uint32_t> tokens,
                                               StepCounters* counters = nullptr) = 0;

    // Tokens sequence `seq` holds.
    virtual std::uint64_t position(std::size_t seq) const = 0;
    // Forgets every sequence (the cache is kept allocated).
    virtual void reset() = 0;
};

}  // namespace moefit::reference
