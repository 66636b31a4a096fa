// Feed-forward blocks of the reference pass: dense SwiGLU, the router and the routed experts
// (gathered per step: every touched expert is read once for all the tokens routed to it), and
// the shared experts (members of Forward<T>, see forward.hpp).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <type_traits>

#include "reference/forward.hpp"

namespace moefit::reference {
namespace {

template <class T>
T silu(T x) {
    // The fast path stays in float: a double exp per intermediate element was ~5% of a decode step.
    if constexpr (std::is_same_v<T, float>)
        return x / (1.0f + std::exp(-x));
    else
        return x / (1.0 + std::exp(-x));
}

// Indices of the k largest of `v` (ties: the lower index), largest first; `allowed` masks.
template <class T>
std::vector<std::uint32_t> top_k(const T* v, std::size_t n, std::size_t k, const std::vector<bool>& allowed) {
    std::vector<std::uint32_t> idx;
    for (std::uint32_t i = 0; i < n; ++i)
        if (allowed.empty() || allowed[i]) idx.push_back(i);
    k = std::min(k, idx.size());
    std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(k), idx.end(),
                      [&](std::uint32_t a, std::uint32_t b) { return v[a] > v[b] || (v[a] == v[b] && a < b); });
    idx.resize(k);
    return idx;
}

}  // namespace

template <class T>
void Forward<T>::dense_ffn(const WeightTensor& gate, const WeightTensor& up, const WeightTensor& down, std::size_t n,
                           const std::vector<T>& h, std::vector<T>& out) {
    const std::size_t hsz = s_.hidden_size, w = gate.rows;
    std::vector<T> g(n * w), u(n * w);
    const Job first[] = {{gate.matrix(), h.data(), hsz, n, g.data(), w}, {up.matrix(), h.data(), hsz, n, u.data(), w}};
    run(first);
    for (std::size_t i = 0; i < g.size(); ++i) g[i] = silu(g[i]) * u[i];
    const Job second{down.matrix(), g.data(), w, n, out.data(), hsz};
    run(std::span<const Job>(&second, 1));
}

template <class T>
void Forward<T>::route(const LayerWeights& lw, const std::vector<T>& logits, std::size_t n,
                       std::vector<std::uint32_t>& ids, std::vector<T>& weights) {
    const model::Moe& m = s_.moe;
    const std::size_t e = m.num_experts, k = m.experts_per_token;
    // Which architectures renormalise the chosen weights (norm_topk_prob); Llama 4 scales the
    // expert's input by its sigmoid score instead.
    const bool renormalise = s_.architecture != "DeepseekV2ForCausalLM" && s_.architecture.rfind("Llama4", 0) != 0;
    std::vector<T> bias;
    if (lw.correction_bias != nullptr) touch(*lw.correction_bias), bias = vec(*lw.correction_bias);
    ids.assign(n * k, 0);
    weights.assign(n * k, T(0));
    std::vector<T> score(e), choice(e);
    for (std::size_t r = 0; r < n; ++r) {
        const T* lg = logits.data() + r * e;
        if (m.router == model::RouterKind::softmax) {
            const T mx = *std::max_element(lg, lg + e);
            double sum = 0;
            for (std::size_t i = 0; i < e; ++i) sum += std::exp(static_cast<double>(lg[i] - mx));
            for (std::size_t i = 0; i < e; ++i)
                score[i] = static_cast<T>(std::exp(static_cast<double>(lg[i] - mx)) / sum);
            choice = score;
        } else {
            for (std::size_t i = 0; i < e; ++i) {
                score[i] = static_cast<T>(1.0 / (1.0 + std::exp(-static_cast<double>(lg[i]))));
                choice[i] = score[i] + (bias.empty() ? T(0) : bias[i]);
            }
        }
        std::vector<bool> allowed;
        if (m.num_groups > 1) {
            // Group-limited routing (DeepSeek-V3): a group scores the sum of its two best choices;
            // only the topk_groups best groups stay eligible.
            const std::size_t per = e / m.num_groups;
            std::vector<T> group_score(m.num_groups);
            for (std::size_t g = 0; g < m.num_groups; ++g) {
                const auto best = top_k(choice.data() + g * per, per, std::min<std::size_t>(2, per), {});
                T s = 0;
                for (std::uint32_t i : best) s += choice[g * per + i];
                group_score[g] = s;
            }
            const auto groups = top_k(group_score.data(), m.num_groups, m.topk_groups, {});
            allowed.assign(e, false);
            for (std::uint32_t g : groups)
                for (std::size_t i = 0; i < per; ++i) allowed[g * per + i] = true;
        }
        const auto chosen = top_k(choice.data(), e, k, allowed);
        T sum = 0;
        for (std::size_t j = 0; j < k; ++j) sum += score[chosen[j]];
        for (std::size_t j = 0; j < k; ++j) {
            ids[r * k + j] = chosen[j];
            weights[r * k + j] = renormalise ? score[chosen[j]] / sum : score[chosen[j]];
        }
    }
}

template <class T>
void Forward<T>::moe(std::uint64_t l, std::size_t n, const std::vector<T>& h, std::vector<T>& out) {
    const LayerWeights& lw = layers_[l];
    const model::Moe& m = s_.moe;
    const std::size_t hsz = s_.hidden_size, e = m.num_experts, k = m.experts_per_token, w = m.expert_intermediate_size;
    const bool scale_input = s_.architecture.rfind("Llama4", 0) == 0;
    std::vector<T> logits;
    matvec_all(*lw.router, h, n, logits);
    add_bias(logits, n, e, lw.router_bias);
    std::vector<std::uint32_t> ids;
    std::vector<T> weights;
    route(lw, logits, n, ids, weights);
    // Gather: for each touched expert, the rows routed to it (in row order) and their weights.
    std::vector<std::vector<std::pair<std::size_t, T>>> by_expert(e);
    for (std::size_t r = 0; r < n; ++r)
        for (std::size_t j = 0; j < k; ++j) by_expert[ids[r * k + j]].push_back({r, weights[r * k + j]});
    std::vector<std::uint32_t> touched;
    std::vector<std::size_t> offset{0};
    for (std::uint32_t x = 0; x < e; ++x) {
        if (by_expert[x].empty()) continue;
        touched.push_back(x);
        offset.push_back(offset.back() + by_expert[x].size());
    }
    if (c_ != nullptr) {
        if (c_->experts_touched.size() <= moe_index_) c_->experts_touched.resize(moe_index_ + 1);
        c_->experts_touched[moe_index_] = touched.size();
    }
    ++moe_index_;
    const std::size_t total = offset.back();
    std::vector<T> xin(total * hsz), g(total * w), u(total * w), d(total * hsz);
    std::vector<Job> jobs;
    for (std::size_t t = 0; t < touched.size(); ++t) {
        const auto& list = by_expert[touched[t]];
        // An expert with one row reads it in place, so experts that share it (every one at
        // batch 1) share one quantized copy (run()); more rows are gathered to be contiguous.
        const T* x = h.data() + list[0].first * hsz;
        if (list.size() > 1 || scale_input) {
            for (std::size_t i = 0; i < list.size(); ++i) {
                const T scale = scale_input ? list[i].second : T(1);
                for (std::size_t c = 0; c < hsz; ++c)
                    xin[(offset[t] + i) * hsz + c] = h[list[i].first * hsz + c] * scale;
            }
            x = xin.data() + offset[t] * hsz;
        }
        jobs.push_back({lw.gate_exps->matrix(touched[t]), x, hsz, list.size(), g.data() + offset[t] * w, w});
        jobs.push_back({lw.up_exps->matrix(touched[t]), x, hsz, list.size(), u.data() + offset[t] * w, w});
    }
    run(jobs);
    for (std::size_t t = 0; t < touched.size(); ++t) {
        std::vector<T> bg(w, T(0)), bu(w, T(0));
        if (lw.gate_exps_b != nullptr) {
            bg = vec(*lw.gate_exps_b, touched[t]), bu = vec(*lw.up_exps_b, touched[t]);
            if (c_ != nullptr) c_->weight_bytes_read += lw.gate_exps_b->row_bytes() + lw.up_exps_b->row_bytes();
        }
        for (std::size_t i = offset[t]; i < offset[t + 1]; ++i)
            for (std::size_t c = 0; c < w; ++c) g[i * w + c] = silu(g[i * w + c] + bg[c]) * (u[i * w + c] + bu[c]);
    }
    jobs.clear();
    for (std::size_t t = 0; t < touched.size(); ++t)
        jobs.push_back({lw.down_exps->matrix(touched[t]), g.data() + offset[t] * w, w, offset[t + 1] - offset[t],
                        d.data() + offset[t] * hsz, hsz});
    run(jobs);
    for (std::size_t t = 0; t < touched.size(); ++t) {
        std::vector<T> bd(hsz, T(0));
        if (lw.down_exps_b != nullptr) {
            bd = vec(*lw.down_exps_b, touched[t]);
            if (c_ != nullptr) c_->weight_bytes_read += lw.down_exps_b->row_bytes();
        }
        const auto& list = by_expert[touched[t]];
        for (std::size_t i = 0; i < list.size(); ++i) {
            const T wt = scale_input ? T(1) : list[i].second;
            for (std::size_t c = 0; c < hsz; ++c)
                out[list[i].first * hsz + c] += wt * (d[(offset[t] + i) * hsz + c] + bd[c]);
        }
    }
    if (lw.gate_sh == nullptr) return;
    std::vector<T> sh(n * hsz);
    dense_ffn(*lw.gate_sh, *lw.up_sh, *lw.down_sh, n, h, sh);
    std::vector<T> gate_w;
    if (lw.sh_gate != nullptr) touch(*lw.sh_gate), gate_w = vec(*lw.sh_gate);
    for (std::size_t r = 0; r < n; ++r) {
        T gate = 1;
        if (!gate_w.empty()) {
            const T z = std::inner_product(gate_w.begin(), gate_w.end(),
                                           h.begin() + static_cast<std::ptrdiff_t>(r * hsz), T(0));
            gate = static_cast<T>(1.0 / (1.0 + std::exp(-static_cast<double>(z))));
        }
        for (std::size_t c = 0; c < hsz; ++c) out[r * hsz + c] += gate * sh[r * hsz + c];
    }
}

template void Forward<float>::dense_ffn(const WeightTensor&, const WeightTensor&, const WeightTensor&, std::size_t,
                                        const std::vector<float>&, std::vector<float>&);
template void Forward<double>::dense_ffn(const WeightTensor&, const WeightTensor&, const WeightTensor&, std::size_t,
                                         const std::vector<double>&, std::vector<double>&);
template void Forward<float>::moe(std::uint64_t, std::size_t, const std::vector<float>&, std::vector<float>&);
template void Forward<double>::moe(std::uint64_t, std::size_t, const std::vector<double>&, std::vector<double>&);

}  // namespace moefit::reference
