#include "engine/fit.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "engine/fit_breakdown.hpp"
#include "model/accounting.hpp"
#include "util/checked.hpp"
#include "util/strings.hpp"
#include "util/units.hpp"

namespace moefit::engine {
namespace {

constexpr std::uint64_t kDefaultContextTokens = 32768;
// Above this a request is surely a typo (10^7 tokens of context, 10^4 sequences, issue 9).
constexpr std::uint64_t kMaxContextTokens = 10'000'000;
constexpr std::uint64_t kMaxSequences = 10'000;
// Data-centre GPUs from this size up are usually served with vLLM.
constexpr std::uint64_t kVllmMinDeviceBytes = 40'000'000'000ULL;

Runtime default_runtime(const spec::HardwareProfile& hw) {
    if (hw.kind == spec::HardwareKind::node) return Runtime::vllm;
    if (hw.kind == spec::HardwareKind::gpu && hw.device_memory.bytes >= kVllmMinDeviceBytes) return Runtime::vllm;
    return Runtime::llama_cpp;
}

std::uint64_t devices_of(const spec::HardwareProfile& hw) {
    return hw.kind == spec::HardwareKind::node ? std::max<std::uint64_t>(1, hw.device_count) : 1;
}

// Usable bytes of one device as machine_capacity() counts them (0 when unknown).
std::uint64_t device_bytes_of(const spec::HardwareProfile& hw) {
    return hw.device_usable_bytes != 0 ? hw.device_usable_bytes : hw.device_memory.bytes;
}

// The KV options kv_cache() takes for a per-sequence context on this machine.
KvOptions kv_options(const FitSetup& s, const FitRequest& r, std::uint64_t devices, std::uint64_t device_bytes,
                     std::uint64_t context_tokens, std::uint64_t sequences) {
    KvOptions kv;
    kv.runtime = s.runtime;
    kv.sequences = sequences;
    kv.flash_attention = r.flash_attention;
    kv.ubatch_tokens = r.ubatch_tokens;
    if (r.kv_dtype) kv.k_dtype = kv.v_dtype = *r.kv_dtype;
    if (s.runtime == Runtime::llama_cpp) {
        // llama-server's -c is shared by its -np sequences: each gets -c / -np cells.
        kv.context_tokens = checked_mul(context_tokens, sequences);
    } else {
        kv.context_tokens = context_tokens;
        kv.tensor_parallel = devices;
        // kv_cache and runtime_overhead must agree on vLLM's batch-token budget (sliding windows).
        if (s.runtime == Runtime::vllm) kv.batched_tokens = vllm_default_batched_tokens(device_bytes);
    }
    return kv;
}

}  // namespace

FitSetup resolve_fit_options(const model::ModelSpec& spec, const spec::HardwareProfile& hw, const FitRequest& r) {
    FitSetup s;
    s.knobs = r.knobs;
    s.sequences = r.sequences;
    if (r.runtime) {
        s.runtime = *r.runtime;
    } else {
        s.runtime = default_runtime(hw);
        s.assumptions.push_back({"runtime", std::string(runtime_name(s.runtime)),
                                 s.runtime == Runtime::vllm ? "default for data-centre GPUs and nodes (--runtime)"
                                                            : "default for consumer GPUs, unified memory and CPUs "
                                                              "(--runtime)"});
    }
    if (r.quant) {
        s.quant = *r.quant;
    } else {
        // gpt-oss ships MXFP4 experts; llama.cpp users run the matching MXFP4_MOE file.
        const bool mxfp4 = spec.native_format == "mxfp4_experts";
        s.quant = s.runtime != Runtime::llama_cpp ? "native" : mxfp4 ? "MXFP4_MOE" : "Q4_K_M";
        s.assumptions.push_back({"quantization", s.quant == "native" ? "native (" + spec.native_format + ")" : s.quant,
                                 s.runtime == Runtime::llama_cpp
                                     ? "the usual llama.cpp quantization for this model (--quant)"
                                     : "the checkpoint as published (--quant)"});
    }
    if (r.context_tokens) {
        s.context_tokens = *r.context_tokens;
    } else {
        s.context_tokens = kDefaultContextTokens;
        if (spec.max_context_tokens != 0) s.context_tokens = std::min(s.context_tokens, spec.max_context_tokens);
        s.assumptions.push_back({"context", format_tokens(s.context_tokens) + " tokens per sequence",
                                 "a usual working context, capped at the model's maximum (--ctx)"});
    }
    s.kv = kv_options(s, r, devices_of(hw), device_bytes_of(hw), s.context_tokens, s.sequences);
    return s;
}

Result<Capacity> machine_capacity(const spec::HardwareProfile& hw) {
    Capacity c;
    switch (hw.kind) {
        case spec::HardwareKind::gpu:
        case spec::HardwareKind::node:
            c.devices = devices_of(hw);
            if (hw.device_usable_bytes != 0) {
                c.device_bytes = hw.device_usable_bytes;
                c.basis = "driver-reported usable memory per device";
            } else {
                c.device_bytes = hw.device_memory.bytes;
                c.basis = "published memory per device (no driver figure in the profile)";
            }
            break;
        case spec::HardwareKind::unified:
            if (hw.unified.gpu_limit_bytes != 0) {
                c.device_bytes = hw.unified.gpu_limit_bytes;
                c.basis = "what the GPU may use of the unified pool by default";
            } else {
                // Metal's recommendedMaxWorkingSetSize is 75% of RAM on large Macs (formats.md §4.5).
                const std::uint64_t pool =
                    hw.unified.os_visible_bytes != 0 ? hw.unified.os_visible_bytes : hw.device_memory.bytes;
                c.device_bytes = pool / 4 * 3;
                c.assumptions.push_back({"GPU share of the unified pool", "75% of " + gib(pool),
                                         "Metal recommendedMaxWorkingSetSize on large Macs, formats.md §4.5"});
                c.basis = "75% of the unified pool (the profile gives no GPU limit)";
            }
            if (hw.unified.gpu_limit_max_bytes > c.device_bytes && !hw.unified.gpu_limit_how.empty())
                c.assumptions.push_back({"raising the GPU limit", "up to " + gib(hw.unified.gpu_limit_max_bytes),
                                         hw.unified.gpu_limit_how});
            break;
        case spec::HardwareKind::cpu: {
            const std::uint64_t ram = hw.host.memory.bytes != 0 ? hw.host.memory.bytes : hw.device_memory.bytes;
            const std::uint64_t os = host_os_reserve_bytes(ram);
            if (ram > os) c.device_bytes = ram - os;
            c.basis = "host RAM minus what the OS keeps";
            c.assumptions.push_back({"OS reserve", gib(os), "max(2 GiB, 5% of RAM), a modelling choice"});
            break;
        }
    }
    if (c.device_bytes == 0)
        return make_error("hardware profile \"" + hw.id + "\" gives no memory figure",
                          {hw.origin, 0, 0, std::nullopt, "memory"});
    c.total_bytes = checked_mul(c.device_bytes, c.devices);
    return c;
}

const char* verdict_name(Verdict v) {
    switch (v) {
        case Verdict::fits:
            return "fits";
        case Verdict::tight:
            return "tight";
        case Verdict::does_not_fit:
            return "does not fit";
    }
    return "?";
}

namespace {

// Memory needed at one context and batch: the per-device placement and its machine-wide sums.
struct Need {
    PlacementResult placement;
    std::uint64_t kv_bytes = 0;        // all devices
    std::uint64_t overhead_bytes = 0;  // all devices
    std::uint64_t reserved_bytes = 0;  // all devices
    std::uint64_t required_bytes = 0;  // all devices
};

bool all_fit(const PlacementResult& p) {
    for (const auto& row : p.stages)
        if (row.headroom_bytes < 0) return false;
    return !(p.host && p.host->checked && p.host->headroom_bytes < 0);
}

struct Evaluator {
    const model::ModelSpec& spec;
    const spec::HardwareProfile& hw;
    const FitRequest& request;
    const FitSetup& setup;
    const Capacity& capacity;
    const DeviceLayout& layout;
    const WeightSplit& split;
    std::uint64_t host_ram_bytes = 0;

    Result<Need> at(std::uint64_t context_tokens, std::uint64_t sequences) const {
        Need n;
        PlacementInput in;
        in.spec = &spec;
        in.split = &split;
        in.layout = layout;
        in.kv = kv_options(setup, request, 1, capacity.device_bytes, context_tokens, sequences);
        in.knobs = setup.knobs;
        in.device.accelerator = hw.kind != spec::HardwareKind::cpu;
        if (hw.vendor == "Apple") in.device.context_bytes = 0;  // Metal has no CUDA-style context
        in.device.unified = hw.kind == spec::HardwareKind::unified;
        in.device.memory_bytes = capacity.device_bytes;
        in.host_ram_bytes = host_ram_bytes;
        MOEFIT_TRY(placed, place(in));
        n.placement = std::move(placed);
        for (std::size_t i = 0; i < n.placement.stages.size(); ++i) {
            const auto& row = n.placement.stages[i];
            n.kv_bytes = checked_add(n.kv_bytes, checked_mul(row.kv_bytes, row.count));
            n.overhead_bytes = checked_add(n.overhead_bytes, checked_mul(row.overhead_bytes, row.count));
            n.reserved_bytes = checked_add(n.reserved_bytes, checked_mul(row.reserved_bytes, row.count));
        }
        n.required_bytes = checked_add(checked_add(n.placement.device_weight_bytes(), n.kv_bytes), n.overhead_bytes);
        return n;
    }

    bool fits(std::uint64_t context_tokens, std::uint64_t sequences) const {
        auto n = at(context_tokens, sequences);
        return n.ok() && all_fit(n->placement);
    }

    // Largest x in [1, hi] with ok(x), assuming ok is monotone (more never needs less); 0 if none.
    template <class Ok>
    static std::uint64_t largest(std::uint64_t hi, Ok ok) {
        if (!ok(1)) return 0;
        std::uint64_t lo = 1;
        while (lo < hi) {
            const std::uint64_t mid = lo + (hi - lo + 1) / 2;
            if (ok(mid))
                lo = mid;
            else
                hi = mid - 1;
        }
        return lo;
    }
};

MoeInsight insight_of(const model::ModelSpec& spec, const model::Inventory& inv, const WeightBytes& w) {
    MoeInsight m;
    const auto counts = model::count_params(spec, inv);
    m.total_params = counts.total;
    m.active_params = counts.active;
    m.active_share = counts.total == 0 ? 0 : double(counts.active) / double(counts.total);
    m.dense_same_active_bytes = static_cast<std::uint64_t>(double(counts.active) * w.bits_per_weight / 8.0);
    m.bytes_per_token_ratio =
        w.active_bytes_per_token == 0 ? 0 : double(w.total_bytes) / double(w.active_bytes_per_token);
    return m;
}

std::string row_label(const DeviceLoad& row) {
    return row.count > 1 ? row.name + " (each)" : row.name;
}

void explain(FitResult& r, const model::ModelSpec& spec) {
    const PlacementResult& p = r.placement;
    const DeviceLoad& b = p.binding_row();
    const bool one = p.stages.size() == 1 && p.stages[0].count == 1 && b.host == false;
    const std::uint64_t avail = b.available_bytes();
    const double used = avail == 0 ? 0 : double(b.used_bytes()) / double(avail);
    const std::string who = one ? "" : (b.host ? "host RAM" : "the most loaded device, " + row_label(b)) + ", ";
    if (r.verdict == Verdict::does_not_fit) {
        r.reasons.push_back(fmt::format("{}needs {} but {} is available: short by {}", who, gib(b.used_bytes()),
                                        gib(avail), gib(static_cast<std::uint64_t>(-b.headroom_bytes))));
        if (b.host)
            r.reasons.push_back(
                "the experts kept in host RAM do not fit it: fewer offloaded layers (on more "
                "GPUs), a smaller quantization or more RAM is needed");
        else if (b.weight_bytes > avail)
            r.reasons.push_back(
                fmt::format("the weights alone ({}{}) exceed the available memory: a smaller "
                            "quantization, more devices or expert offload is needed",
                            gib(b.weight_bytes), one ? "" : " on " + row_label(b)));
        else if (r.max_context_tokens == 0)
            r.reasons.push_back("the weights fit, but not the runtime's buffers even at a 1-token context");
        else
            r.reasons.push_back(fmt::format("the weights fit; the context does not: at most {} tokens at batch {}",
                                            format_tokens(r.max_context_tokens), r.setup.sequences));
    } else {
        r.reasons.push_back(fmt::format("{}needs {} of {} available ({:.0f}%): {} of headroom", who,
                                        gib(b.used_bytes()), gib(avail), used * 100,
                                        gib(static_cast<std::uint64_t>(b.headroom_bytes))));
        if (r.verdict == Verdict::tight)
            r.reasons.push_back(
                "less than 5% headroom: a longer prompt, another process or fragmentation can "
                "tip it over");
    }
    if (p.host && !p.host->checked && p.host->weight_bytes != 0)
        r.reasons.push_back(
            fmt::format("{} of weights stay in host RAM, which the profile does not give: not "
                        "checked (--host-memory)",
                        gib(p.host->weight_bytes)));
    if (spec.max_context_tokens != 0 && r.setup.context_tokens > spec.max_context_tokens)
        r.reasons.push_back(fmt::format("the context {} is beyond the model's maximum of {} tokens",
                                        format_tokens(r.setup.context_tokens), format_tokens(spec.max_context_tokens)));
    if (spec.is_moe())
        r.reasons.push_back(fmt::format("memory pays for all {} parameters; each token uses only {} ({:.1f}%)",
                                        format_count(r.insight.total_params), format_count(r.insight.active_params),
                                        r.insight.active_share * 100));
}

// The verdict of the most loaded device: tight when any checked row has under kTightShare headroom.
Verdict verdict_of(const PlacementResult& p) {
    if (!all_fit(p)) return Verdict::does_not_fit;
    auto tight = [](const DeviceLoad& row) {
        return double(row.headroom_bytes) < kTightShare * double(row.available_bytes());
    };
    for (const auto& row : p.stages)
        if (tight(row)) return Verdict::tight;
    if (p.host && p.host->checked && p.host->weight_bytes != 0 && tight(*p.host)) return Verdict::tight;
    return Verdict::fits;
}

}  // namespace

Result<FitResult> fit(const model::ModelSpec& spec, const model::Inventory& inventory, const spec::HardwareProfile& hw,
                      const FitRequest& request) {
    if (request.sequences == 0 || request.sequences > kMaxSequences)
        return make_error(fmt::format("expected 1 to {} sequences, found {}", kMaxSequences, request.sequences),
                          {"--batch", 0, 0, std::nullopt, "batch"});
    if (request.context_tokens && (*request.context_tokens == 0 || *request.context_tokens > kMaxContextTokens))
        return make_error(
            fmt::format("expected a context of 1 to {} tokens, found {}", kMaxContextTokens, *request.context_tokens),
            {"--ctx", 0, 0, std::nullopt, "ctx"});
    FitResult r;
    r.setup = resolve_fit_options(spec, hw, request);
    MOEFIT_TRY(capacity, machine_capacity(hw));
    r.capacity = std::move(capacity);
    MOEFIT_TRY(scheme, parse_scheme(r.setup.quant, spec));
    MOEFIT_TRY(weights, compute_weights(inventory, spec, scheme));
    r.weights = std::move(weights);
    if (r.weights.mtp_bytes != 0)
        r.setup.assumptions.push_back({"MTP module", "not loaded (" + gib(r.weights.mtp_bytes) + ")",
                                       "runtimes load it only for speculative decoding"});

    MOEFIT_TRY(layout, resolve_layout(spec, hw, r.setup.runtime, request.placement));
    r.capacity.devices = layout.devices;
    r.capacity.total_bytes = checked_mul(r.capacity.device_bytes, layout.devices);
    if (layout.devices > 1 && hw.kind == spec::HardwareKind::gpu)
        r.capacity.assumptions.push_back({"devices", fmt::format("{} x {}", layout.devices, hw.name),
                                          "--gpus: identical copies of the profile's GPU"});
    r.setup.kv.tensor_parallel = r.setup.runtime == Runtime::llama_cpp ? 1 : layout.tp;
    const WeightSplit split = split_weights(spec, inventory, r.weights, layout, r.setup.runtime);
    std::uint64_t host_ram =
        request.placement.host_memory_bytes.value_or(hw.kind == spec::HardwareKind::node ? hw.host.memory.bytes : 0);
    const Evaluator eval{spec, hw, request, r.setup, r.capacity, layout, split, host_ram};
    MOEFIT_TRY(need, eval.at(r.setup.context_tokens, r.setup.sequences));
    r.placement = std::move(need.placement);
    r.kv = r.placement.kv;
    r.overhead = r.placement.overhead.front();
    add_weight_lines(inventory, r.weights, r.placement, r.breakdown);
    add_kv_lines(r.kv, layout.devices / layout.pp, r.breakdown);
    add_overhead_lines(r.placement, r.breakdown);
    r.required_bytes = need.required_bytes;
    r.available_bytes = need.reserved_bytes < r.capacity.total_bytes ? r.capacity.total_bytes - need.reserved_bytes : 0;
    r.headroom_bytes = static_cast<std::int64_t>(r.available_bytes) - static_cast<std::int64_t>(r.required_bytes);
    r.verdict = verdict_of(r.placement);

    if (request.search_limits) {
        const std::uint64_t ctx_limit = spec.max_context_tokens != 0 ? spec.max_context_tokens : kMaxContextTokens;
        r.max_context_tokens =
            Evaluator::largest(ctx_limit, [&](std::uint64_t c) { return eval.fits(c, r.setup.sequences); });
        r.max_context_is_model_limit = r.max_context_tokens == ctx_limit && spec.max_context_tokens != 0;
        r.max_sequences =
            Evaluator::largest(kMaxSequences, [&](std::uint64_t b) { return eval.fits(r.setup.context_tokens, b); });
    }
    r.insight = insight_of(spec, inventory, r.weights);
    explain(r, spec);
    return r;
}

}  // namespace moefit::engine
