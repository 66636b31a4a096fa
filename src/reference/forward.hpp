// Internal to the reference pass: the forward computation, templated on the activation type
// (float: the fast path; double: the plain path of the tests). Split over forward.cpp (steps,
// norms, matmuls, cache, head), attention.cpp (GQA, MLA), linear_attention.cpp and ffn.cpp.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "reference/model.hpp"

namespace moefit::reference {

// One token of a step: sequence, position in it, token id, and whether its logits are wanted.
struct Row {
    std::size_t seq = 0;
    std::uint64_t pos = 0;
    std::uint32_t token = 0;
    bool logits = false;
};

// The tensors of one block (nullptr where the block has none).
struct LayerWeights {
    char kind = 'F';  // 'F', 'S', 'C' or 'L'
    bool moe = false;
    const WeightTensor *attn_norm, *ffn_norm;
    const WeightTensor *q, *k, *v, *o, *q_bias, *k_bias, *v_bias, *o_bias, *q_norm, *k_norm, *sinks;
    const WeightTensor *q_a, *q_a_norm, *q_b, *kv_a, *kv_a_norm, *k_b, *v_b;
    const WeightTensor *ssm_in, *ssm_ba, *ssm_conv, *ssm_dt, *ssm_a, *ssm_norm, *ssm_out;
    const WeightTensor *gate, *up, *down;
    const WeightTensor *router, *router_bias, *correction_bias;
    const WeightTensor *gate_exps, *up_exps, *down_exps, *gate_exps_b, *up_exps_b, *down_exps_b;
    const WeightTensor *gate_sh, *up_sh, *down_sh, *sh_gate;
};

template <class T>
class Forward final : public ReferenceModel {
public:
    Forward(const ReferenceWeights& w, const ModelOptions& o, ThreadPool& pool, const engine::KvResult& kv);

    engine::KvOptions kv_options() const override;
    std::uint64_t kv_allocated_bytes() const override;
    std::vector<std::uint64_t> kv_layer_bytes() const override;
    Result<std::vector<float>> decode(std::span<const std::uint32_t> tokens, StepCounters* counters) override;
    Result<std::vector<float>> prefill(std::size_t seq, std::span<const std::uint32_t> tokens,
                                       StepCounters* counters) override;
    std::uint64_t position(std::size_t seq) const override { return pos_[seq]; }
    void reset() override;

    // A product of one weight matrix with a batch of vectors: y[b*ys + r] = W[r] . x[b*xs].
    struct Job {
        MatrixView m;
        const T* x;
        std::size_t xs;
        std::size_t batch;
        T* y;
        std::size_t ys;
    };

private:
    Result<std::vector<float>> step(std::span<const Row> rows, StepCounters* counters);

    // forward.cpp
    void run(std::span<const Job> jobs);                             // all jobs, one parallel section; counted
    void touch(const WeightTensor& t);                               // a vector/parameter tensor read once
    std::vector<T> vec(const WeightTensor& t, std::size_t row = 0);  // decoded, touched
    void rms_norm(std::span<T> x, std::size_t width, const WeightTensor& w, std::span<T> out);
    void rope(T* v, std::size_t dims, std::uint64_t pos) const;
    void matvec_all(const WeightTensor& w, const std::vector<T>& x, std::size_t n, std::vector<T>& y);
    void add_bias(std::vector<T>& y, std::size_t n, std::size_t width, const WeightTensor* bias);
    std::size_t slot(std::uint64_t layer, std::size_t seq, std::uint64_t pos) const;

    // attention.cpp
    void gqa(std::uint64_t layer, std::span<const Row> rows, const std::vector<T>& h, std::vector<T>& out);
    void mla(std::uint64_t layer, std::span<const Row> rows, const std::vector<T>& h, std::vector<T>& out);
    // First position a token at `pos` sees in a layer of kind `kind` (sliding / chunked); it sees up to pos.
    void window(char kind, std::uint64_t pos, std::uint64_t& first) const;
    // linear_attention.cpp
    void linear(std::uint64_t layer, std::span<const Row> rows, const std::vector<T>& h, std::vector<T>& out);
    // ffn.cpp
    void dense_ffn(const WeightTensor& gate, const WeightTensor& up, const WeightTensor& down, std::size_t n,
                   const std::vector<T>& h, std::vector<T>& out);
    void moe(std::uint64_t layer, std::size_t n, const std::vector<T>& h, std::vector<T>& out);
    void route(const LayerWeights& lw, const std::vector<T>& logits, std::size_t n, std::vector<std::uint32_t>& ids,
               std::vector<T>& weights);

    const ReferenceWeights& w_;
    const model::ModelSpec& s_;
    ModelOptions o_;
    ThreadPool& pool_;
    std::vector<LayerWeights> layers_;
    std::vector<std::vector<T>> k_cache_, v_cache_;  // per layer; linear layers: conv state, recurrent state
    std::vector<std::uint64_t> per_seq_cells_;       // per layer: cells of one sequence's region (attention)
    std::vector<std::uint64_t> pos_;
    std::vector<std::vector<float>> scratch_;  // per thread: one dequantized row
    std::vector<QuantizedVectors> qx_;         // the quantized inputs of run()'s jobs, reused
    StepCounters* c_ = nullptr;
    std::uint64_t moe_index_ = 0;  // MoE layers seen in this step
};

}  // namespace moefit::reference
