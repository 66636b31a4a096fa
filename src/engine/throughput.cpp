#include "engine/throughput.hpp"

#include <algorithm>
#include <cmath>

namespace moefit::engine {
namespace {

// Fixed cost of one collective (all-reduce, all-to-all, pipeline hop) beyond its bytes: launch and
// synchronisation. A modelling assumption (NCCL small-message latencies are a few to tens of µs).
constexpr double kCollectiveLatencySeconds = 10e-6;

// The machine as the model sees it, with its efficiencies resolved.
struct Machine {
    bool cpu_only = false;
    double bandwidth = 0;       // bytes/s peak of one device (or the host when cpu_only)
    double peak_flops = 0;      // FLOP/s 16-bit dense peak of one device; 0 = unknown
    std::string peak_note;
    double host_bandwidth = 0;  // bytes/s; 0 = unknown
    double link = 0;            // bytes/s per direction between devices; 0 = unknown
    double pcie = 0;            // bytes/s per direction host <-> device; 0 = unknown
    Efficiency device;
    std::optional<Efficiency> host;
    double skew = 1;
    // Placement, validated.
    double devices = 1, tp = 1, ep = 1, pp = 1, dp = 1, group = 1, groups = 1;
};

// Which efficiency to use: the central value or one end of the spread.
enum class Pick { central, low, high };

double bw_of(const Efficiency& e, Pick p) {
    return p == Pick::low ? e.bandwidth_low : p == Pick::high ? e.bandwidth_high : e.bandwidth;
}
double compute_of(const Efficiency& e, Pick p) {
    return p == Pick::low ? e.compute_low : p == Pick::high ? e.compute_high : e.compute;
}

Error placement_error(const std::string& message, const std::string& key) {
    Location loc;
    loc.key = key;
    return make_error(message, loc);
}

Result<Machine> resolve(const ThroughputInput& in) {
    if (!in.cost || !in.hardware) return make_error("throughput input without a model or hardware", {}, ErrorKind::internal);
    const spec::HardwareProfile& hw = *in.hardware;
    const ThroughputPlacement& pl = in.placement;
    Machine m;
    if (in.batch == 0) return placement_error("expected a batch of at least 1 sequence, found 0", "batch");
    if (pl.tp == 0 || pl.ep == 0 || pl.pp == 0)
        return placement_error("expected tp, ep and pp of at least 1", "placement");
    m.cpu_only = hw.kind == spec::HardwareKind::cpu || pl.devices == 0;
    const double devices = m.cpu_only ? 1.0 : static_cast<double>(pl.devices);
    if (!m.cpu_only && (pl.devices % (pl.tp * pl.pp) != 0 || pl.ep > pl.devices))
        return placement_error("expected tp x pp to divide the " + std::to_string(pl.devices) +
                                   " devices and ep to be at most that, found tp " + std::to_string(pl.tp) + ", pp " +
                                   std::to_string(pl.pp) + ", ep " + std::to_string(pl.ep),
                               "placement");
    m.devices = devices;
    m.tp = m.cpu_only ? 1 : static_cast<double>(pl.tp);
    m.pp = m.cpu_only ? 1 : static_cast<double>(pl.pp);
    m.ep = m.cpu_only ? 1 : static_cast<double>(pl.ep);
    m.dp = std::max(1.0, devices / (m.tp * m.pp));
    m.group = m.ep > 1 ? m.ep : m.tp;  // ranks one layer's experts are spread over
    m.groups = std::max(1.0, devices / m.pp / m.group);

    const spec::HardwareProfile& host_profile = in.host ? *in.host : hw;
    m.host_bandwidth = host_profile.host.bandwidth_GBps * 1e9;
    m.pcie = hw.host.pcie_GBps * 1e9;
    m.link = hw.link_GBps > 0 ? hw.link_GBps / 2 * 1e9 : m.pcie;

    MOEFIT_TRY(builtin, in.table ? Result<EfficiencyTable>(*in.table) : builtin_efficiency_table());
    const std::string runtime = in.runtime.empty() ? "llama.cpp" : in.runtime;
    m.skew = in.expert_skew.value_or(builtin.expert_skew);
    if (m.cpu_only) {
        m.bandwidth = m.host_bandwidth;
        if (m.bandwidth <= 0)
            return make_error("hardware \"" + hw.id + "\" gives no host memory bandwidth for a CPU-only run");
        m.device = in.calibration ? *in.calibration : host_efficiency(builtin, runtime, host_profile);
        return m;
    }
    m.bandwidth = hw.bandwidth_GBps * 1e9;
    if (m.bandwidth <= 0) {
        Error e = make_error("hardware \"" + hw.id + "\" has no memory bandwidth, so its speed cannot be estimated");
        e.hint = "use a built-in profile (`moefit list hardware`) or a profile file with bandwidth_GBps";
        return e;
    }
    m.device = in.calibration ? *in.calibration : lookup_efficiency(builtin, runtime, device_class(hw));
    const spec::PeakCompute& p = hw.peak;
    if (p.tflops_bf16 > 0) m.peak_flops = p.tflops_bf16 * 1e12, m.peak_note = "bf16 dense";
    else if (p.tflops_fp16 > 0) m.peak_flops = p.tflops_fp16 * 1e12, m.peak_note = "fp16 dense";
    else if (p.tflops_fp8 > 0) m.peak_flops = p.tflops_fp8 / 2 * 1e12, m.peak_note = "fp8 dense / 2";
    else if (p.tflops_fp4 > 0) m.peak_flops = p.tflops_fp4 / 4 * 1e12, m.peak_note = "fp4 dense / 4";

    bool any_host = false;
    for (double s : pl.host_expert_share) {
        if (!(s >= 0 && s <= 1))
            return placement_error("expected host expert shares between 0 and 1", "placement.host_expert_share");
        any_host = any_host || s > 0;
    }
    if (pl.host_expert_share.size() > in.cost->layers)
        return placement_error("expected at most one host expert share per layer", "placement.host_expert_share");
    if (any_host) {
        if (m.host_bandwidth <= 0)
            return make_error("experts kept in host RAM need the host's memory bandwidth, which hardware \"" +
                              host_profile.id + "\" does not give");
        m.host = in.host_calibration ? *in.host_calibration : host_efficiency(builtin, runtime, host_profile);
    }
    return m;
}

// Bytes and FLOPs of one pass over the model for `tokens_per_replica` tokens of one replica's
// sequences (seqs of them, reading kv_bytes each) and `group_tokens` tokens reaching one expert group.
struct Work {
    double dense = 0, expert = 0, host = 0, kv = 0, flops = 0, touched = 0;
};

Work pass_work(const TokenCost& c, const ThroughputPlacement& pl, const Machine& m, double tokens, double group_tokens,
               double kv_bytes, double attention_flops) {
    Work w;
    const double e = static_cast<double>(c.num_experts);
    const double k = static_cast<double>(std::min(c.experts_per_token, c.num_experts));
    if (c.num_experts > 0) {
        const double u = distinct_experts(c.num_experts, c.experts_per_token, std::max(group_tokens, 1.0));
        w.touched = std::min(e, k + m.skew * std::max(0.0, u - k));
    }
    double expert_flops_device = 0;
    for (std::size_t l = 0; l < c.expert_bytes.size(); ++l) {
        if (c.expert_bytes[l] <= 0) continue;
        const double share = l < pl.host_expert_share.size() ? pl.host_expert_share[l] : 0.0;
        const double touched = c.expert_bytes[l] * w.touched / e;
        w.host += touched * share;
        w.expert += touched * (1 - share) / m.group;
        expert_flops_device += group_tokens * 2.0 * k * c.expert_params[l] / e * (1 - share) / m.group;
    }
    w.dense = c.dense_bytes / m.tp;
    w.kv = kv_bytes / m.tp;
    w.flops = (tokens * 2.0 * c.dense_params + attention_flops) / m.tp + expert_flops_device;
    return w;
}

double comm_seconds(const TokenCost& c, const Machine& m, double tokens, double group_tokens, std::vector<std::string>& notes) {
    if (m.cpu_only || (m.tp <= 1 && m.ep <= 1 && m.pp <= 1)) return 0;
    if (m.link <= 0) {
        notes.push_back("the device link bandwidth is not known: communication is left out");
        return 0;
    }
    const double h = static_cast<double>(c.hidden_size);
    double s = 0;
    if (m.tp > 1)  // two ring all-reduces of bf16 activations per layer (Megatron layout, §5.5)
        s += 2.0 * static_cast<double>(c.layers) *
             (2.0 * (m.tp - 1) / m.tp * tokens * h * 2.0 / m.link + kCollectiveLatencySeconds);
    if (m.ep > 1) {  // dispatch (fp8) + combine (bf16) of each token's k expert inputs per MoE layer
        double moe_layers = 0;
        for (double b : c.expert_bytes) moe_layers += b > 0 ? 1 : 0;
        const double per_rank = group_tokens / m.ep * static_cast<double>(c.experts_per_token) * h * 3.0 *
                                (m.ep - 1) / m.ep;
        s += moe_layers * (per_rank / m.link + 2 * kCollectiveLatencySeconds);
    }
    if (m.pp > 1)  // the fp32 hidden state crosses each stage boundary
        s += (m.pp - 1) * (tokens * h * 4.0 / m.link + kCollectiveLatencySeconds);
    return s;
}

// Times of a pass with the efficiencies picked; fills the explanation fields it owns.
StepExplanation time_pass(const Work& w, const Machine& m, Pick pick, double comm, double host_seconds_override) {
    StepExplanation x;
    x.dense_bytes = w.dense;
    x.expert_bytes = w.expert;
    x.kv_bytes = w.kv;
    x.host_bytes = w.host;
    x.device_bytes = w.dense + w.expert + w.kv;
    x.flops = w.flops;
    x.experts_touched = w.touched;
    x.memory_seconds = x.device_bytes / (bw_of(m.device, pick) * m.bandwidth);
    x.compute_seconds = m.peak_flops > 0 ? w.flops / (compute_of(m.device, pick) * m.peak_flops) : 0;
    if (w.host > 0)
        x.host_seconds = host_seconds_override >= 0 ? host_seconds_override
                                                    : w.host / (bw_of(*m.host, pick) * m.host_bandwidth);
    x.comm_seconds = comm;
    x.step_seconds = std::max(x.memory_seconds, x.compute_seconds) + x.host_seconds + x.comm_seconds;
    const double biggest = std::max({x.memory_seconds, x.compute_seconds, x.host_seconds, x.comm_seconds});
    x.bound = biggest == x.memory_seconds    ? Bound::memory_bandwidth
              : biggest == x.compute_seconds ? Bound::compute
              : biggest == x.host_seconds    ? Bound::host_bandwidth
                                             : Bound::communication;
    x.bandwidth_GBps = m.bandwidth / 1e9;
    x.host_bandwidth_GBps = m.host_bandwidth / 1e9;
    x.peak_tflops = m.peak_flops / 1e12;
    x.peak_note = m.peak_note;
    x.efficiency = m.device;
    x.host_efficiency = m.host;
    x.expert_skew = m.skew;
    return x;
}

double attention_flops(const TokenCost& c, double depth) {
    const double w = std::min(depth, static_cast<double>(c.window_tokens));
    return c.attn_flops_full * depth + c.attn_flops_window * w + c.linear_flops;
}

}  // namespace

const char* bound_name(Bound b) {
    switch (b) {
        case Bound::memory_bandwidth: return "memory bandwidth";
        case Bound::compute: return "compute";
        case Bound::host_bandwidth: return "host memory bandwidth";
        case Bound::communication: return "communication";
    }
    return "?";
}

ThroughputPlacement default_placement(const spec::HardwareProfile& hardware, std::string_view runtime) {
    ThroughputPlacement p;
    if (hardware.kind == spec::HardwareKind::cpu) {
        p.devices = 0;
        return p;
    }
    if (hardware.kind == spec::HardwareKind::node && hardware.device_count > 1) {
        p.devices = hardware.device_count;
        (runtime == "vllm" || runtime == "sglang" ? p.tp : p.pp) = hardware.device_count;
    }
    return p;
}

Result<DecodeResult> predict_decode(const ThroughputInput& in) {
    MOEFIT_TRY(m, resolve(in));
    const TokenCost& c = *in.cost;
    const double batch = static_cast<double>(in.batch);
    const double seqs = batch / m.dp;             // sequences of one replica (one device group)
    const double group_tokens = batch / m.groups; // tokens reaching one expert group per layer
    const double kv = seqs * in.kv.bytes_at(in.context_tokens);
    const double attn = seqs * attention_flops(c, static_cast<double>(in.context_tokens));
    const Work w = pass_work(c, in.placement, m, seqs, group_tokens, kv, attn);
    std::vector<std::string> notes;
    const double comm = comm_seconds(c, m, seqs, group_tokens, notes);

    DecodeResult r;
    r.batch = in.batch;
    r.context_tokens = in.context_tokens;
    r.step = time_pass(w, m, Pick::central, comm, -1);
    const double slow = time_pass(w, m, Pick::low, comm, -1).step_seconds;
    const double fast = time_pass(w, m, Pick::high, comm, -1).step_seconds;
    r.per_sequence = {1.0 / r.step.step_seconds, 1.0 / slow, 1.0 / fast};
    r.total = {batch / r.step.step_seconds, batch / slow, batch / fast};
    if (m.peak_flops <= 0 && !m.cpu_only) notes.push_back("the compute peak is not known: only bandwidth bounds decode");
    if (m.cpu_only) notes.push_back("CPU only: every byte is read from host RAM at the host's bandwidth");
    r.step.notes = std::move(notes);
    return r;
}

Result<PrefillResult> predict_prefill(const ThroughputInput& in, std::uint64_t prompt_tokens, std::uint64_t start_tokens) {
    MOEFIT_TRY(m, resolve(in));
    const TokenCost& c = *in.cost;
    PrefillResult r;
    r.prompt_tokens = prompt_tokens;
    r.start_tokens = start_tokens;
    if (prompt_tokens == 0) return make_error("expected a prompt of at least 1 token, found 0");
    if (m.cpu_only || m.peak_flops <= 0) {
        r.unavailable_reason = m.cpu_only ? "no compute peak is known for CPU hosts"
                                          : "hardware \"" + in.hardware->id + "\" gives no compute peak";
        return r;
    }
    // Micro-batch by micro-batch: each reads the weights it touches and attends to what precedes it.
    const std::uint64_t ub = std::max<std::uint64_t>(in.ubatch_tokens, 1);
    std::vector<std::string> notes;
    double t[3] = {0, 0, 0};
    StepExplanation sum;
    for (std::uint64_t done = 0; done < prompt_tokens; done += ub) {
        const double n = static_cast<double>(std::min(ub, prompt_tokens - done));
        const double d0 = static_cast<double>(start_tokens + done);
        // Σ over positions p in [d0, d0 + n) of full-context and windowed attention.
        double attn = c.attn_flops_full * (n * d0 + n * (n - 1) / 2) + c.linear_flops * n;
        if (c.attn_flops_window > 0) {
            const double w = static_cast<double>(c.window_tokens);
            double windowed = 0;
            const double below = std::clamp(w - d0, 0.0, n);  // positions still inside the window
            windowed += below * d0 + below * (below - 1) / 2 + (n - below) * w;
            attn += c.attn_flops_window * windowed;
        }
        const double kv = in.kv.bytes_at(start_tokens + done + static_cast<std::uint64_t>(n));
        const Work w = pass_work(c, in.placement, m, n, n, kv, attn);
        const double comm = comm_seconds(c, m, n, n, notes);
        // llama.cpp streams host-resident weights to the GPU for large batches (S14).
        const double host = (w.host > 0 && m.pcie > 0) ? w.host / m.pcie : -1;
        const Pick picks[3] = {Pick::central, Pick::low, Pick::high};
        for (int i = 0; i < 3; ++i) {
            const StepExplanation x = time_pass(w, m, picks[i], comm, host);
            t[i] += x.step_seconds;
            if (i != 0) continue;
            sum.device_bytes += x.device_bytes, sum.dense_bytes += x.dense_bytes, sum.expert_bytes += x.expert_bytes;
            sum.kv_bytes += x.kv_bytes, sum.host_bytes += x.host_bytes, sum.flops += x.flops;
            sum.memory_seconds += x.memory_seconds, sum.compute_seconds += x.compute_seconds;
            sum.host_seconds += x.host_seconds, sum.comm_seconds += x.comm_seconds;
            sum.experts_touched = std::max(sum.experts_touched, x.experts_touched);
            if (done == 0) {
                sum.bandwidth_GBps = x.bandwidth_GBps, sum.host_bandwidth_GBps = x.host_bandwidth_GBps;
                sum.peak_tflops = x.peak_tflops, sum.peak_note = x.peak_note, sum.efficiency = x.efficiency;
                sum.host_efficiency = x.host_efficiency, sum.expert_skew = x.expert_skew;
            }
        }
    }
    sum.step_seconds = t[0];
    const double biggest = std::max({sum.memory_seconds, sum.compute_seconds, sum.host_seconds, sum.comm_seconds});
    sum.bound = biggest == sum.compute_seconds  ? Bound::compute
                : biggest == sum.memory_seconds ? Bound::memory_bandwidth
                : biggest == sum.host_seconds   ? Bound::host_bandwidth
                                                : Bound::communication;
    std::sort(notes.begin(), notes.end());
    notes.erase(std::unique(notes.begin(), notes.end()), notes.end());
    sum.notes = std::move(notes);
    const double p = static_cast<double>(prompt_tokens);
    r.available = true;
    r.step = std::move(sum);
    r.tokens_per_second = {p / t[0], p / t[1], p / t[2]};
    r.ttft_seconds = {t[0], t[2], t[1]};
    return r;
}

}  // namespace moefit::engine
