#include "engine/plan.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "engine/compare.hpp"
#include "engine/throughput.hpp"
#include "engine/throughput_kv.hpp"
#include "spec/hardware_catalog.hpp"
#include "util/checked.hpp"
#include "util/strings.hpp"
#include "util/units.hpp"

namespace moefit::engine {
namespace {

std::string short_by(std::int64_t headroom) {
    return gib(static_cast<std::uint64_t>(headroom < 0 ? -headroom : headroom));
}

// Device counts to try, smallest first: 1, 2, 4, ... within a node (or copies of one GPU), then
// whole nodes.
std::vector<PlacementRequest> device_counts(const spec::HardwareProfile& hw, std::uint64_t nodes,
                                            std::uint64_t max_devices) {
    std::vector<PlacementRequest> out;
    const std::uint64_t per_node =
        hw.kind == spec::HardwareKind::node ? std::max<std::uint64_t>(1, hw.device_count) : max_devices;
    auto add = [&](std::uint64_t gpus, std::uint64_t n) {
        if (gpus * n > max_devices) return;
        PlacementRequest p;
        if (hw.kind == spec::HardwareKind::node || hw.kind == spec::HardwareKind::gpu) p.gpus = gpus;
        p.nodes = n;
        out.push_back(p);
    };
    if (hw.kind == spec::HardwareKind::cpu || hw.kind == spec::HardwareKind::unified) {
        for (std::uint64_t n = 1; n <= nodes && n <= max_devices; ++n) add(1, n);
        return out;
    }
    for (std::uint64_t g = 1; g < per_node; g *= 2) add(g, 1);
    add(per_node, 1);
    if (hw.kind == spec::HardwareKind::node)
        for (std::uint64_t n = 2; n <= nodes; ++n) add(per_node, n);
    return out;
}

std::string flags_of(const std::string& quant, const PlacementRequest& p, const spec::HardwareProfile& hw) {
    std::string f = "--quant " + quant;
    if (p.gpus && !(hw.kind == spec::HardwareKind::node && *p.gpus == hw.device_count) &&
        !(hw.kind == spec::HardwareKind::gpu && *p.gpus == 1))
        f += fmt::format(" --gpus {}", *p.gpus);
    if (p.nodes > 1) f += fmt::format(" --nodes {}", p.nodes);
    if (p.tp) f += fmt::format(" --tp {}", *p.tp);
    if (p.ep) f += fmt::format(" --ep {}", *p.ep);
    if (p.cpu_moe) f += " --cpu-moe";
    if (p.n_cpu_moe) f += fmt::format(" --n-cpu-moe {}", *p.n_cpu_moe);
    return f;
}

struct Planner {
    const model::ModelSpec& spec;
    const model::Inventory& inventory;
    const spec::HardwareProfile& hw;
    const PlanRequest& request;
    const spec::HardwareProfile* host = nullptr;  // host RAM bandwidth for offloaded experts
    KvTraffic kv;
    std::uint64_t tried = 0;

    // One candidate: the fit and, when it fits, the decode speed.
    Result<PlanOption> evaluate(const std::string& quant, const PlacementRequest& placement) {
        ++tried;
        FitRequest r = request.base;
        r.quant = quant;
        r.placement = placement;
        r.placement.host_memory_bytes = request.base.placement.host_memory_bytes;
        r.search_limits = false;
        MOEFIT_TRY(f, fit(spec, inventory, hw, r));
        PlanOption o;
        o.quant = quant;
        o.bits_per_weight = f.weights.bits_per_weight;
        o.placement = r.placement;
        o.layout = f.placement.layout;
        o.verdict = f.verdict;
        const DeviceLoad& b = f.placement.binding_row();
        o.most_loaded = b.count > 1 ? b.name + " (each)" : b.name;
        o.headroom_bytes = b.headroom_bytes;
        o.weight_bytes = f.weights.total_bytes;
        o.flags = flags_of(quant, r.placement, hw);
        if (f.verdict == Verdict::does_not_fit) return o;
        const TokenCost cost = token_cost(spec, inventory, f.weights);
        ThroughputInput in;
        in.cost = &cost;
        in.kv = kv;
        in.hardware = &hw;
        in.host = host;
        in.placement.devices = o.layout.accelerator ? o.layout.devices : 0;
        in.placement.tp = o.layout.tp;
        in.placement.ep = o.layout.ep;
        in.placement.pp = o.layout.pp;
        if (o.layout.host_expert_layers > 0) in.placement.host_expert_share.assign(o.layout.host_expert_layers, 1.0);
        in.runtime = std::string(runtime_name(f.setup.runtime));
        in.batch = f.setup.sequences;
        in.context_tokens = f.setup.context_tokens;
        in.ubatch_tokens = request.base.ubatch_tokens;
        auto d = predict_decode(in);
        if (d) {
            o.tokens_per_second = d->per_sequence.value;
            o.tps_low = d->per_sequence.low;
            o.tps_high = d->per_sequence.high;
        }
        return o;
    }

    bool meets(const PlanOption& o) const {
        if (o.verdict == Verdict::does_not_fit) return false;
        if (!request.min_tokens_per_second) return true;
        return o.tokens_per_second && *o.tokens_per_second >= *request.min_tokens_per_second;
    }
};

bool closer(const PlanOption& a, const PlanOption& b) {
    return a.headroom_bytes > b.headroom_bytes;
}

}  // namespace

Result<PlanResult> plan(const model::ModelSpec& spec, const model::Inventory& inventory,
                        const spec::HardwareProfile& hw, const PlanRequest& request) {
    PlanResult out;
    MOEFIT_TRY(first, fit(spec, inventory, hw, [&] {
                   FitRequest r = request.base;
                   r.search_limits = false;
                   r.placement = PlacementRequest{};
                   r.placement.host_memory_bytes = request.base.placement.host_memory_bytes;
                   return r;
               }()));
    out.setup = first.setup;
    const Runtime runtime = first.setup.runtime;
    const std::uint64_t nodes = std::max<std::uint64_t>(1, request.base.placement.nodes);
    const std::uint64_t node_devices =
        hw.kind == spec::HardwareKind::node ? std::max<std::uint64_t>(1, hw.device_count) : 1;
    const std::uint64_t max_devices = request.max_gpus.value_or(node_devices * nodes);

    Planner p{spec, inventory, hw, request, nullptr, {}, 0};
    KvOptions kv1 = first.setup.kv;
    kv1.tensor_parallel = 1;
    MOEFIT_TRY(cache, kv_cache(spec, kv1));
    p.kv = kv_traffic(spec, cache);
    spec::HardwareProfile desktop;
    const bool host_known = request.base.placement.host_memory_bytes || hw.host.memory.bytes != 0;
    if (hw.kind == spec::HardwareKind::gpu && hw.host.bandwidth_GBps <= 0) {
        if (auto d = spec::find_builtin_hardware("cpu-desktop-ddr5"); d.ok()) {
            desktop = *d;
            p.host = &desktop;
            out.notes.push_back("speed of experts in host RAM: a dual-channel DDR5 desktop (cpu-desktop-ddr5)");
        }
    }
    const bool offload = runtime == Runtime::llama_cpp && spec.is_moe() && hw.kind != spec::HardwareKind::unified &&
                         hw.kind != spec::HardwareKind::cpu && host_known;
    if (runtime == Runtime::llama_cpp && spec.is_moe() && !host_known && hw.kind == spec::HardwareKind::gpu)
        out.notes.push_back("expert offload (--n-cpu-moe) not tried: the profile gives no host RAM (--host-memory)");

    std::vector<PlanOption> all;
    const auto quants = all_quants(spec, runtime, true);
    const auto counts = device_counts(hw, nodes, max_devices);
    for (const auto& quant : quants) {
        for (const auto& count : counts) {
            MOEFIT_TRY(base, p.evaluate(quant, count));
            all.push_back(base);
            if (runtime != Runtime::llama_cpp && spec.is_moe() && count.nodes == 1 && count.gpus.value_or(1) > 1) {
                PlacementRequest ep = count;
                ep.ep = count.gpus;
                auto o = p.evaluate(quant, ep);
                if (o) all.push_back(*o);
            }
            if (offload && base.verdict == Verdict::does_not_fit) {
                // The fewest blocks whose experts go to host RAM: more blocks never need more GPU memory.
                std::uint64_t lo = 1, hi = spec.num_layers;
                std::optional<PlanOption> best;
                while (lo <= hi) {
                    const std::uint64_t mid = lo + (hi - lo) / 2;
                    PlacementRequest r = count;
                    r.n_cpu_moe = mid;
                    MOEFIT_TRY(o, p.evaluate(quant, r));
                    // Prefer a depth with real headroom; the host may still be short (reported as such).
                    const bool gpu_ok = o.verdict == Verdict::fits || o.most_loaded == "host";
                    if (gpu_ok) {
                        best = o;
                        if (mid == 1) break;
                        hi = mid - 1;
                    } else {
                        lo = mid + 1;
                    }
                }
                if (best) all.push_back(*best);
            }
        }
    }
    out.candidates = p.tried;

    // One option per quantization: the fewest devices, then the fastest.
    auto faster = [](const PlanOption& a, const PlanOption& b) {
        return a.tokens_per_second.value_or(0) > b.tokens_per_second.value_or(0);
    };
    std::vector<PlanOption> chosen;
    for (const auto& quant : quants) {
        const PlanOption* best = nullptr;
        for (const auto& o : all) {
            if (o.quant != quant || !p.meets(o)) continue;
            if (!best || o.layout.devices < best->layout.devices ||
                (o.layout.devices == best->layout.devices && faster(o, *best)))
                best = &o;
        }
        if (!best) continue;
        PlanOption c = *best;
        const PlanOption* fewer = nullptr;  // the largest device count that fell short for this quant
        for (const auto& o : all)
            if (o.quant == quant && !p.meets(o) && o.layout.devices <= c.layout.devices &&
                (!fewer || o.layout.devices > fewer->layout.devices ||
                 (o.layout.devices == fewer->layout.devices && closer(o, *fewer))))
                fewer = &o;
        c.why = fmt::format("{} ({:.2f} bits/weight, {}) fits on {} device{} ({}): {} headroom on {}", quant,
                            c.bits_per_weight, gib(c.weight_bytes), c.layout.devices, c.layout.devices == 1 ? "" : "s",
                            c.layout.how, short_by(c.headroom_bytes), c.most_loaded);
        if (fewer && fewer->verdict == Verdict::does_not_fit)
            c.rejected =
                fmt::format("{}: short by {} on {}", fewer->flags, short_by(fewer->headroom_bytes), fewer->most_loaded);
        else if (fewer)
            c.rejected =
                fmt::format("{}: {:.1f} tok/s, below --min-tps", fewer->flags, fewer->tokens_per_second.value_or(0));
        chosen.push_back(std::move(c));
    }
    std::stable_sort(chosen.begin(), chosen.end(), [&](const PlanOption& a, const PlanOption& b) {
        if (a.bits_per_weight != b.bits_per_weight) return a.bits_per_weight > b.bits_per_weight;
        if (a.tokens_per_second.value_or(0) != b.tokens_per_second.value_or(0)) return faster(a, b);
        return a.layout.devices < b.layout.devices;
    });
    // What the next better quantization lacked, for the first option.
    if (!chosen.empty()) {
        const auto it = std::find(quants.begin(), quants.end(), chosen.front().quant);
        for (auto q = quants.begin(); q != it; ++q) {
            const PlanOption* best = nullptr;
            for (const auto& o : all)
                if (o.quant == *q && (!best || closer(o, *best))) best = &o;
            if (best && best->verdict == Verdict::does_not_fit) {
                chosen.front().rejected += (chosen.front().rejected.empty() ? "" : "; ") +
                                           fmt::format("{} at best short by {} on {}", best->flags,
                                                       short_by(best->headroom_bytes), best->most_loaded);
                break;
            }
        }
    }
    if (chosen.size() > request.max_options) chosen.resize(request.max_options);
    out.options = std::move(chosen);
    if (!out.options.empty()) return out;

    // Nothing fits: the closest try and what would change that.
    for (const auto& o : all)
        if (!out.closest || closer(o, *out.closest)) out.closest = o;
    const std::string smallest = quants.empty() ? "" : quants.back();
    if (!all.empty() && !smallest.empty()) {
        FitRequest r = request.base;
        r.quant = smallest;
        r.placement = counts.empty() ? PlacementRequest{} : counts.back();
        r.placement.host_memory_bytes = request.base.placement.host_memory_bytes;
        auto f = fit(spec, inventory, hw, r);
        if (f && f->max_context_tokens > 0)
            out.suggestions.push_back(fmt::format("less context: {} fits with up to {} tokens ({})", smallest,
                                                  format_tokens(f->max_context_tokens),
                                                  flags_of(smallest, r.placement, hw)));
        // More devices: copies of the GPU, or more nodes.
        for (std::uint64_t extra = 1; extra <= 64; ++extra) {
            PlacementRequest more = r.placement;
            if (hw.kind == spec::HardwareKind::gpu)
                more.gpus = counts.empty() ? extra : *counts.back().gpus + extra;
            else if (hw.kind == spec::HardwareKind::node || hw.kind == spec::HardwareKind::unified)
                more.nodes = nodes + extra;
            else
                break;
            auto o = p.evaluate(smallest, more);
            if (o && o->verdict != Verdict::does_not_fit) {
                out.suggestions.push_back(fmt::format(
                    "more devices: {} fits on {} devices, {} more than allowed ({})", smallest, o->layout.devices,
                    o->layout.devices - std::min(o->layout.devices, max_devices), o->flags));
                break;
            }
        }
    }
    if (out.closest && out.closest->most_loaded == "host")
        out.suggestions.push_back(fmt::format("more RAM: {} more host RAM would hold the offloaded experts ({})",
                                              short_by(out.closest->headroom_bytes), out.closest->flags));
    if (runtime != Runtime::llama_cpp)
        out.suggestions.push_back("smaller quantizations: --runtime llama.cpp plans the GGUF quantizations");
    return out;
}

}  // namespace moefit::engine
