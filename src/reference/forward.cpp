#include "reference/forward.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <type_traits>

namespace moefit::reference {
namespace {

constexpr double kNormEps = 1e-6;
constexpr double kRopeBase = 10000.0;

LayerWeights layer_weights(const ReferenceWeights& w, std::uint64_t i) {
    const model::ModelSpec& s = w.spec();
    const auto t = [&](const char* suffix) { return w.layer(i, suffix); };
    LayerWeights l{};
    l.kind = s.layer_attention(i);
    l.moe = s.layer_is_moe(i);
    l.attn_norm = t("attn_norm.weight"), l.ffn_norm = t("ffn_norm.weight");
    l.q = t("attn_q.weight"), l.k = t("attn_k.weight"), l.v = t("attn_v.weight"), l.o = t("attn_output.weight");
    l.q_bias = t("attn_q.bias"), l.k_bias = t("attn_k.bias"), l.v_bias = t("attn_v.bias");
    l.o_bias = t("attn_output.bias");
    l.q_norm = t("attn_q_norm.weight"), l.k_norm = t("attn_k_norm.weight"), l.sinks = t("attn_sinks.weight");
    l.q_a = t("attn_q_a.weight"), l.q_a_norm = t("attn_q_a_norm.weight"), l.q_b = t("attn_q_b.weight");
    l.kv_a = t("attn_kv_a_mqa.weight"), l.kv_a_norm = t("attn_kv_a_norm.weight");
    l.k_b = t("attn_k_b.weight"), l.v_b = t("attn_v_b.weight");
    l.ssm_in = t("ssm_in.weight"), l.ssm_ba = t("ssm_ba.weight"), l.ssm_conv = t("ssm_conv1d.weight");
    l.ssm_dt = t("ssm_dt.bias"), l.ssm_a = t("ssm_a"), l.ssm_norm = t("ssm_norm.weight");
    l.ssm_out = t("ssm_out.weight");
    l.gate = t("ffn_gate.weight"), l.up = t("ffn_up.weight"), l.down = t("ffn_down.weight");
    l.router = t("ffn_gate_inp.weight"), l.router_bias = t("ffn_gate_inp.bias");
    l.correction_bias = t("exp_probs_b.bias");
    l.gate_exps = t("ffn_gate_exps.weight"), l.up_exps = t("ffn_up_exps.weight");
    l.down_exps = t("ffn_down_exps.weight");
    l.gate_exps_b = t("ffn_gate_exps.bias"), l.up_exps_b = t("ffn_up_exps.bias");
    l.down_exps_b = t("ffn_down_exps.bias");
    l.gate_sh = t("ffn_gate_shexp.weight"), l.up_sh = t("ffn_up_shexp.weight");
    l.down_sh = t("ffn_down_shexp.weight"), l.sh_gate = t("ffn_gate_inp_shexp.weight");
    return l;
}

engine::KvOptions kv_options_of(const ModelOptions& o) {
    engine::KvOptions k;
    k.runtime = engine::Runtime::llama_cpp;
    k.context_tokens = o.context_tokens;
    k.sequences = o.sequences;
    k.k_dtype = engine::KvDtype::f32;
    k.v_dtype = engine::KvDtype::f32;
    k.ubatch_tokens = o.ubatch_tokens;
    k.unified = true;
    k.mla_layout = engine::MlaLayout::k_only;
    return k;
}

}  // namespace

void StepCounters::add(const StepCounters& o) {
    tokens += o.tokens;
    weight_bytes_read += o.weight_bytes_read;
    kv_bytes_read += o.kv_bytes_read;
    kv_bytes_written += o.kv_bytes_written;
    matmul_flops += o.matmul_flops;
    attention_flops += o.attention_flops;
    if (experts_touched.size() < o.experts_touched.size()) experts_touched.resize(o.experts_touched.size());
    for (std::size_t i = 0; i < o.experts_touched.size(); ++i) experts_touched[i] += o.experts_touched[i];
}

Result<std::unique_ptr<ReferenceModel>> ReferenceModel::create(const ReferenceWeights& w, const ModelOptions& o,
                                                               ThreadPool& pool) {
    if (w.spec().mtp_layers != 0)
        return make_error("the reference pass runs specs without MTP layers; scale the spec with scale_spec first");
    MOEFIT_TRY(kv, engine::kv_cache(w.spec(), kv_options_of(o)));
    if (o.plain) return std::unique_ptr<ReferenceModel>(new Forward<double>(w, o, pool, kv));
    return std::unique_ptr<ReferenceModel>(new Forward<float>(w, o, pool, kv));
}

template <class T>
Forward<T>::Forward(const ReferenceWeights& w, const ModelOptions& o, ThreadPool& pool, const engine::KvResult& kv)
    : w_(w), s_(w.spec()), o_(o), pool_(pool), pos_(o.sequences, 0) {
    const model::Attention& a = s_.attention;
    const model::LinearAttention& l = s_.linear;
    const bool mla = a.kind == model::AttentionKind::mla;
    std::size_t max_cols = 0;
    for (const WeightTensor& t : w.tensors()) max_cols = std::max(max_cols, t.cols);
    scratch_.assign(pool.size(), std::vector<float>(max_cols));
    k_cache_.resize(s_.num_layers);
    v_cache_.resize(s_.num_layers);
    per_seq_cells_.assign(s_.num_layers, 0);
    for (std::uint64_t i = 0; i < s_.num_layers; ++i) {
        layers_.push_back(layer_weights(w, i));
        const char kind = s_.layer_attention(i);
        if (kind == 'L') {
            const std::uint64_t conv = 2 * l.num_key_heads * l.key_head_dim + l.num_value_heads * l.value_head_dim;
            k_cache_[i].assign(o.sequences * (l.conv_kernel - 1) * conv, T(0));
            v_cache_[i].assign(o.sequences * l.key_head_dim * l.value_head_dim * l.num_value_heads, T(0));
            continue;
        }
        const engine::KvPartKind want = mla           ? engine::KvPartKind::mla
                                        : kind == 'S' ? engine::KvPartKind::sliding
                                        : kind == 'C' ? engine::KvPartKind::chunked
                                                      : engine::KvPartKind::full;
        std::uint64_t cells = 0;
        for (const engine::KvPart& p : kv.parts)
            if (p.kind == want) cells = p.cells;
        per_seq_cells_[i] = cells / o.sequences;
        if (mla) {
            k_cache_[i].assign(cells * (a.kv_lora_rank + a.qk_rope_head_dim), T(0));
        } else {
            k_cache_[i].assign(cells * a.num_kv_heads * a.head_dim, T(0));
            v_cache_[i].assign(cells * a.num_kv_heads * a.v_head_dim, T(0));
        }
    }
}

template <class T>
engine::KvOptions Forward<T>::kv_options() const {
    return kv_options_of(o_);
}

template <class T>
std::vector<std::uint64_t> Forward<T>::kv_layer_bytes() const {
    std::vector<std::uint64_t> out;
    for (std::size_t i = 0; i < k_cache_.size(); ++i)
        out.push_back((k_cache_[i].size() + v_cache_[i].size()) * sizeof(T));
    return out;
}

template <class T>
std::uint64_t Forward<T>::kv_allocated_bytes() const {
    std::uint64_t total = 0;
    for (std::uint64_t b : kv_layer_bytes()) total += b;
    return total;
}

template <class T>
void Forward<T>::reset() {
    std::fill(pos_.begin(), pos_.end(), 0);
    for (auto& c : k_cache_) std::fill(c.begin(), c.end(), T(0));
    for (auto& c : v_cache_) std::fill(c.begin(), c.end(), T(0));
}

template <class T>
void Forward<T>::run(std::span<const Job> jobs) {
    if (c_ != nullptr) {
        for (const Job& j : jobs) {
            c_->weight_bytes_read += j.m.rows * j.m.row_bytes;
            c_->matmul_flops += 2 * j.m.rows * j.m.cols * j.batch;
        }
    }
    if constexpr (std::is_same_v<T, float>) {
        // Q8_0 / Q4_0 products take their vectors quantized once per step on the caller (jobs
        // that share an input, such as gate and up, share its quantized copy).
        std::vector<const QuantizedVectors*> q(jobs.size(), nullptr);
        if (o_.q8_activations) {
            if (qx_.size() < jobs.size()) qx_.resize(jobs.size());
            std::size_t used = 0;
            for (std::size_t i = 0; i < jobs.size(); ++i) {
                const Job& a = jobs[i];
                if (a.m.kind != WeightKind::q8_0 && a.m.kind != WeightKind::q4_0) continue;
                for (std::size_t p = 0; p < i && q[i] == nullptr; ++p)
                    if (q[p] != nullptr && jobs[p].x == a.x && jobs[p].xs == a.xs && jobs[p].batch == a.batch &&
                        jobs[p].m.cols == a.m.cols)
                        q[i] = q[p];
                if (q[i] != nullptr) continue;
                quantize_activations(a.x, a.xs, a.batch, a.m.cols, qx_[used]);
                q[i] = &qx_[used++];
            }
        }
        std::vector<std::size_t> start(jobs.size() + 1, 0);
        for (std::size_t i = 0; i < jobs.size(); ++i) start[i + 1] = start[i] + jobs[i].m.rows;
        pool_.parallel_for(start.back(), 16, [&](std::size_t b, std::size_t e, std::size_t thread) {
            std::size_t j = std::upper_bound(start.begin(), start.end(), b) - start.begin() - 1;
            for (; j < jobs.size() && start[j] < e; ++j) {
                const Job& job = jobs[j];
                const std::size_t r0 = std::max(b, start[j]) - start[j], r1 = std::min(e, start[j + 1]) - start[j];
                if (q[j] != nullptr)
                    matmul_rows_q8x(job.m, *q[j], job.y, job.ys, r0, r1);
                else
                    matmul_rows(job.m, job.x, job.xs, job.batch, job.y, job.ys, r0, r1, scratch_[thread].data());
            }
        });
    } else {
        for (const Job& j : jobs) matmul_rows_plain(j.m, j.x, j.xs, j.batch, j.y, j.ys, 0, j.m.rows);
    }
}

template <class T>
void Forward<T>::touch(const WeightTensor& t) {
    if (c_ != nullptr) c_->weight_bytes_read += t.bytes;
}

template <class T>
std::vector<T> Forward<T>::vec(const WeightTensor& t, std::size_t row) {
    const std::vector<float> f = t.decode(row);
    return std::vector<T>(f.begin(), f.end());
}

template <class T>
void Forward<T>::rms_norm(std::span<T> x, std::size_t width, const WeightTensor& w, std::span<T> out) {
    touch(w);
    const std::vector<T> g = vec(w);
    for (std::size_t r = 0; r < x.size() / width; ++r) {
        const T* v = x.data() + r * width;
        T* o = out.data() + r * width;
        double ss = 0;
        for (std::size_t i = 0; i < width; ++i) ss += static_cast<double>(v[i]) * v[i];
        const T scale = static_cast<T>(1.0 / std::sqrt(ss / static_cast<double>(width) + kNormEps));
        for (std::size_t i = 0; i < width; ++i) o[i] = v[i] * scale * g[i];
    }
}

template <class T>
void Forward<T>::rope(T* v, std::size_t dims, std::uint64_t pos) const {
    const std::size_t half = dims / 2;
    for (std::size_t i = 0; i < half; ++i) {
        const double theta =
            static_cast<double>(pos) * std::pow(kRopeBase, -2.0 * static_cast<double>(i) / static_cast<double>(dims));
        const T c = static_cast<T>(std::cos(theta)), s = static_cast<T>(std::sin(theta));
        const T a = v[i], b = v[i + half];
        v[i] = a * c - b * s;
        v[i + half] = a * s + b * c;
    }
}

template <class T>
void Forward<T>::matvec_all(const WeightTensor& w, const std::vector<T>& x, std::size_t n, std::vector<T>& y) {
    y.assign(n * w.rows, T(0));
    const Job job{w.matrix(), x.data(), w.cols, n, y.data(), w.rows};
    run(std::span<const Job>(&job, 1));
}

template <class T>
void Forward<T>::add_bias(std::vector<T>& y, std::size_t n, std::size_t width, const WeightTensor* bias) {
    if (bias == nullptr) return;
    touch(*bias);
    const std::vector<T> b = vec(*bias);
    for (std::size_t r = 0; r < n; ++r)
        for (std::size_t i = 0; i < width; ++i) y[r * width + i] += b[i];
}

template <class T>
std::size_t Forward<T>::slot(std::uint64_t layer, std::size_t seq, std::uint64_t pos) const {
    const std::uint64_t per = per_seq_cells_[layer];
    return static_cast<std::size_t>(seq * per + pos % per);
}

template <class T>
Result<std::vector<float>> Forward<T>::step(std::span<const Row> rows, StepCounters* counters) {
    const std::size_t n = rows.size(), hsz = s_.hidden_size;
    StepCounters local;
    c_ = counters != nullptr ? &local : nullptr;
    moe_index_ = 0;
    const WeightTensor* embd = w_.find("token_embd.weight");
    const WeightTensor* head = w_.find("output.weight");
    const bool tied = head == nullptr;
    if (tied) head = embd;
    std::vector<T> x(n * hsz), hn(n * hsz), out(n * hsz);
    for (std::size_t r = 0; r < n; ++r) {
        const std::vector<float> e = embd->decode(rows[r].token);
        std::copy(e.begin(), e.end(), x.begin() + static_cast<std::ptrdiff_t>(r * hsz));
        if (c_ != nullptr && !tied) c_->weight_bytes_read += embd->row_bytes();
    }
    for (std::uint64_t l = 0; l < s_.num_layers; ++l) {
        const LayerWeights& lw = layers_[l];
        rms_norm(x, hsz, *lw.attn_norm, hn);
        std::fill(out.begin(), out.end(), T(0));
        if (lw.kind == 'L')
            linear(l, rows, hn, out);
        else if (s_.attention.kind == model::AttentionKind::mla)
            mla(l, rows, hn, out);
        else
            gqa(l, rows, hn, out);
        for (std::size_t i = 0; i < x.size(); ++i) x[i] += out[i];
        rms_norm(x, hsz, *lw.ffn_norm, hn);
        std::fill(out.begin(), out.end(), T(0));
        if (lw.moe)
            moe(l, n, hn, out);
        else
            dense_ffn(*lw.gate, *lw.up, *lw.down, n, hn, out);
        for (std::size_t i = 0; i < x.size(); ++i) x[i] += out[i];
    }
    std::vector<T> last;
    for (std::size_t r = 0; r < n; ++r)
        if (rows[r].logits)
            last.insert(last.end(), x.begin() + static_cast<std::ptrdiff_t>(r * hsz),
                        x.begin() + static_cast<std::ptrdiff_t>((r + 1) * hsz));
    const std::size_t m = last.size() / hsz;
    std::vector<T> normed(last.size()), logits;
    rms_norm(last, hsz, *w_.find("output_norm.weight"), normed);
    matvec_all(*head, normed, m, logits);
    for (const Row& r : rows) pos_[r.seq] = std::max(pos_[r.seq], r.pos + 1);
    if (counters != nullptr) {
        local.tokens = n;
        *counters = local;
    }
    c_ = nullptr;
    return std::vector<float>(logits.begin(), logits.end());
}

template <class T>
Result<std::vector<float>> Forward<T>::decode(std::span<const std::uint32_t> tokens, StepCounters* counters) {
    if (tokens.size() != o_.sequences)
        return make_error(fmt::format("expected one token per sequence ({}), found {}", o_.sequences, tokens.size()));
    std::vector<Row> rows(tokens.size());
    const std::uint64_t capacity = w_.spec().num_layers > 0 ? kv_options_of(o_).context_tokens : 0;
    for (std::size_t s = 0; s < tokens.size(); ++s) {
        if (tokens[s] >= s_.vocab_size)
            return make_error(fmt::format("token {} is outside the vocabulary of {}", tokens[s], s_.vocab_size));
        if (pos_[s] >= capacity / o_.sequences)
            return make_error(fmt::format("sequence {} is full ({} tokens)", s, pos_[s]));
        rows[s] = Row{s, pos_[s], tokens[s], true};
    }
    return step(rows, counters);
}

template <class T>
Result<std::vector<float>> Forward<T>::prefill(std::size_t seq, std::span<const std::uint32_t> tokens,
                                               StepCounters* counters) {
    if (seq >= o_.sequences) return make_error(fmt::format("no sequence {} (the model has {})", seq, o_.sequences));
    if (pos_[seq] + tokens.size() > o_.context_tokens / o_.sequences)
        return make_error(fmt::format("prefill of {} tokens does not fit sequence {}", tokens.size(), seq));
    // A window ring must keep the window while a step writes its rows: at most ring - window rows.
    std::uint64_t chunk = o_.ubatch_tokens;
    for (std::uint64_t l = 0; l < s_.num_layers; ++l) {
        const char kind = layers_[l].kind;
        const std::uint64_t win = kind == 'S' ? s_.attention.sliding_window : kind == 'C' ? s_.attention.chunk_size : 0;
        if (win > 0 && per_seq_cells_[l] > win) chunk = std::min(chunk, per_seq_cells_[l] - win);
    }
    chunk = std::max<std::uint64_t>(chunk, 1);
    std::vector<float> logits;
    StepCounters total;
    for (std::size_t begin = 0; begin < tokens.size(); begin += chunk) {
        const std::size_t end = std::min<std::size_t>(tokens.size(), begin + chunk);
        std::vector<Row> rows;
        for (std::size_t i = begin; i < end; ++i) {
            if (tokens[i] >= s_.vocab_size)
                return make_error(fmt::format("token {} is outside the vocabulary of {}", tokens[i], s_.vocab_size));
            rows.push_back(Row{seq, pos_[seq] + (i - begin), tokens[i], i + 1 == end});
        }
        StepCounters one;
        MOEFIT_TRY(l, step(rows, counters != nullptr ? &one : nullptr));
        total.add(one);
        logits = std::move(l);
    }
    if (counters != nullptr) *counters = total;
    return logits;
}

template class Forward<float>;
template class Forward<double>;

}  // namespace moefit::reference
