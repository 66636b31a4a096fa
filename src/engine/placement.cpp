#include "engine/placement.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "util/checked.hpp"
#include "util/units.hpp"

namespace moefit::engine {
namespace {

Error option_error(const std::string& message, const char* key) {
    return make_error(message, {std::string("--") + key, 0, 0, std::nullopt, key});
}

bool divides(std::uint64_t d, std::uint64_t n) {
    return d != 0 && n % d == 0;
}

// Bytes of `bytes` scaled by num/den, rounded up (a rank never holds a fraction of a byte less).
std::uint64_t share(std::uint64_t bytes, std::uint64_t num, std::uint64_t den) {
    return ceil_div(checked_mul(bytes, num), den);
}

bool name_has(const model::Tensor& t, const char* part) {
    return t.name.find(part) != std::string::npos;
}

// Bytes of `t` on one tensor-parallel rank (vLLM / SGLang layouts).
std::uint64_t rank_bytes(const model::ModelSpec& spec, const model::Tensor& t, std::uint64_t bytes,
                         const DeviceLayout& l) {
    using model::Role;
    using model::TensorClass;
    const std::uint64_t tp = l.tp;
    switch (t.cls) {
        case TensorClass::norm:
        case TensorClass::router:
        case TensorClass::mtp:
            return bytes;  // replicated
        case TensorClass::routed_expert:
            if (l.ep > 1) return share(bytes, ceil_div(std::max<std::uint64_t>(t.experts, 1), l.ep), t.experts);
            return share(bytes, 1, tp);
        case TensorClass::shared_expert:
            return t.role == Role::shared_gate ? bytes : share(bytes, 1, tp);
        case TensorClass::attention: {
            // MLA's low-rank down projections are ReplicatedLinear in vLLM and SGLang.
            if (t.role == Role::attn_q_a || t.role == Role::attn_kv_a) return bytes;
            const bool kv_proj = t.role == Role::attn_k || t.role == Role::attn_v ||
                                 (t.role == Role::bias && (name_has(t, "attn_k.") || name_has(t, "attn_v.")));
            const std::uint64_t kv_heads = spec.attention.num_kv_heads;
            if (kv_proj && kv_heads != 0 && tp > kv_heads) return share(bytes, 1, kv_heads);  // one head per rank
            if (t.role == Role::bias && name_has(t, "attn_output.")) return bytes;            // row-parallel bias
            return share(bytes, 1, tp);
        }
        case TensorClass::embedding:
        case TensorClass::output_head:
        case TensorClass::dense_ffn:
            return share(bytes, 1, tp);
    }
    return bytes;
}

std::string device_name(const DeviceLayout& l, std::uint64_t first, std::uint64_t count) {
    if (!l.accelerator) return "CPU";
    const char* kind = l.separate_host ? "GPU" : "unified pool";
    if (!l.separate_host && l.devices == 1) return kind;
    if (count == 1) return fmt::format("{} {}", kind, first);
    return fmt::format("{} {}-{}", kind, first, first + count - 1);
}

}  // namespace

std::uint64_t host_os_reserve_bytes(std::uint64_t ram_bytes) {
    return std::max<std::uint64_t>(2 * GiB, ram_bytes / 20);
}

Result<DeviceLayout> resolve_layout(const model::ModelSpec& spec, const spec::HardwareProfile& hw, Runtime runtime,
                                    const PlacementRequest& r) {
    DeviceLayout l;
    if (r.nodes == 0) return option_error("expected at least 1 node, found 0", "nodes");
    for (const auto& [v, key] : {std::pair{r.gpus, "gpus"}, {r.tp, "tp"}, {r.ep, "ep"}, {r.pp, "pp"}})
        if (v && *v == 0) return option_error(fmt::format("expected at least 1, found 0"), key);
    const bool offload = r.cpu_moe || (r.n_cpu_moe && *r.n_cpu_moe > 0);
    if (hw.kind == spec::HardwareKind::cpu) {
        if (r.nodes > 1 || (r.gpus && *r.gpus > 1) || (r.tp && *r.tp > 1) || (r.ep && *r.ep > 1) || (r.pp && *r.pp > 1))
            return option_error("a CPU host is one device: --nodes, --gpus, --tp, --ep and --pp do not apply", "gpus");
        if (offload) return option_error("expert offload needs a GPU: on a CPU host everything is in RAM", "cpu-moe");
        l.accelerator = false;
        l.how = "one CPU host";
        return l;
    }
    std::uint64_t per_node = 1;
    if (hw.kind == spec::HardwareKind::node) {
        const std::uint64_t have = std::max<std::uint64_t>(1, hw.device_count);
        per_node = r.gpus.value_or(have);
        if (per_node > have)
            return option_error(
                fmt::format("expected at most the {} devices of \"{}\", found {}", have, hw.id, per_node), "gpus");
    } else if (hw.kind == spec::HardwareKind::gpu) {
        per_node = r.gpus.value_or(1);
    } else if (r.gpus && *r.gpus > 1) {
        return option_error("a unified-memory machine is one pool: use --nodes for several machines", "gpus");
    }
    l.nodes = r.nodes;
    l.devices = checked_mul(per_node, r.nodes);
    l.separate_host = hw.kind != spec::HardwareKind::unified;
    if (offload) {
        if (runtime != Runtime::llama_cpp)
            return option_error(
                "experts in host RAM (--cpu-moe, --n-cpu-moe) are a llama.cpp feature: add "
                "--runtime llama.cpp",
                "cpu-moe");
        if (!l.separate_host)
            return option_error("a unified pool already shares its memory with the CPU: --cpu-moe does not apply",
                                "cpu-moe");
        l.host_expert_layers = r.cpu_moe ? spec.num_layers : std::min(*r.n_cpu_moe, spec.num_layers);
    }
    std::string source = fmt::format("{} default", runtime_name(runtime));
    if (runtime == Runtime::llama_cpp) {
        if ((r.tp && *r.tp > 1) || (r.ep && *r.ep > 1))
            return option_error(
                "llama.cpp splits layers over devices (--pp), not tensors or experts: use "
                "--runtime vllm or sglang for --tp/--ep",
                r.tp && *r.tp > 1 ? "tp" : "ep");
        // A layer is never split: with fewer layers than devices, one stage per layer and the
        // other devices left out of the plan (reported as unused, their memory not counted).
        const std::uint64_t stages = std::min(l.devices, std::max<std::uint64_t>(spec.num_layers, 1));
        if (r.pp && *r.pp != stages)
            return option_error(
                stages == l.devices
                    ? fmt::format("llama.cpp splits layers over all {} devices: expected --pp {}, found {}", l.devices,
                                  l.devices, *r.pp)
                    : fmt::format(
                          "llama.cpp splits the {} layers over {} of the {} devices: expected --pp {}, found {}",
                          spec.num_layers, stages, l.devices, stages, *r.pp),
                "pp");
        l.unused_devices = l.devices - stages;
        l.devices = stages;
        l.pp = stages;
        if (r.pp) source = "--pp";
    } else {
        if (!r.tp && !r.pp) {
            if (r.ep) {
                l.tp = 1;  // expert parallel with data-parallel attention
                l.pp = 1;
            } else {
                l.tp = per_node;
                l.pp = r.nodes;
            }
        } else {
            source = "--tp/--pp";
            l.pp = r.pp.value_or(1);
            l.tp = r.tp ? *r.tp : (divides(l.pp, l.devices) ? l.devices / l.pp : 0);
        }
        if (!divides(checked_mul(l.tp, l.pp), l.devices))
            return option_error(
                fmt::format("expected tp x pp to divide the {} devices, found tp {} and pp {}", l.devices, l.tp, l.pp),
                r.tp ? "tp" : "pp");
        l.dp = l.devices / (l.tp * l.pp);
        l.ep = r.ep.value_or(1);
        if (!divides(l.ep, l.tp * l.dp))
            return option_error(
                fmt::format("expected --ep to divide the {} devices of a pipeline stage, found {}", l.tp * l.dp, l.ep),
                "ep");
        if (r.ep) source = "--ep";
    }
    if (l.pp > spec.num_layers)
        return option_error(
            fmt::format("expected at most {} pipeline stages (one per layer), found {}", spec.num_layers, l.pp), "pp");
    std::vector<std::string> parts;
    if (l.tp > 1) parts.push_back(fmt::format("tensor parallel {}", l.tp));
    if (l.ep > 1) parts.push_back(fmt::format("expert parallel {}", l.ep));
    if (l.dp > 1) parts.push_back(fmt::format("{} data-parallel replicas", l.dp));
    if (l.pp > 1)
        parts.push_back(runtime == Runtime::llama_cpp ? fmt::format("layer split over {}", l.pp)
                                                      : fmt::format("{} pipeline stages", l.pp));
    if (l.unused_devices > 0)
        parts.push_back(fmt::format("{} device{} unused ({} layers)", l.unused_devices,
                                    l.unused_devices == 1 ? "" : "s", spec.num_layers));
    if (l.host_expert_layers > 0)
        parts.push_back(l.host_expert_layers >= spec.num_layers
                            ? std::string("all routed experts in host RAM")
                            : fmt::format("experts of blocks 0-{} in host RAM", l.host_expert_layers - 1));
    if (parts.empty()) parts.push_back("one device");
    for (std::size_t i = 0; i < parts.size(); ++i) l.how += (i ? ", " : "") + parts[i];
    l.how += fmt::format(" ({})", source);
    return l;
}

std::uint64_t stage_first_layer(const DeviceLayout& l, std::uint64_t num_layers, std::uint64_t stage) {
    return checked_mul(num_layers, stage) / l.pp;
}

WeightSplit split_weights(const model::ModelSpec& spec, const model::Inventory& inv, const WeightBytes& w,
                          const DeviceLayout& l, Runtime runtime) {
    WeightSplit s;
    s.stage.assign(l.pp, ClassBytes{});
    const bool llama = runtime == Runtime::llama_cpp;
    auto stage_of = [&](std::int64_t layer) {
        std::uint64_t st = 0;
        while (st + 1 < l.pp && stage_first_layer(l, spec.num_layers, st + 1) <= static_cast<std::uint64_t>(layer))
            ++st;
        return st;
    };
    for (std::size_t i = 0; i < w.tensors.size(); ++i) {
        const model::Tensor& t = inv.tensors[i];
        if (t.mtp) continue;
        const std::uint64_t bytes = w.tensors[i].bytes;
        const auto c = static_cast<std::size_t>(t.cls);
        if (t.cls == model::TensorClass::routed_expert && t.layer >= 0 &&
            static_cast<std::uint64_t>(t.layer) < l.host_expert_layers) {
            s.host[c] = checked_add(s.host[c], bytes);
            s.largest_host_expert_bytes = std::max(s.largest_host_expert_bytes, bytes);
            continue;
        }
        if (t.cls == model::TensorClass::embedding) {
            if (llama && l.separate_host) {
                s.host[c] = checked_add(s.host[c], bytes);  // llama.cpp's input layer stays on the CPU
                if (spec.tie_embeddings) s.stage[l.pp - 1][c] = checked_add(s.stage[l.pp - 1][c], bytes);
                continue;
            }
            s.stage[0][c] = checked_add(s.stage[0][c], rank_bytes(spec, t, bytes, l));
            if (spec.tie_embeddings && l.pp > 1)  // the head of the last stage needs its own copy
                s.stage[l.pp - 1][c] = checked_add(s.stage[l.pp - 1][c], rank_bytes(spec, t, bytes, l));
            continue;
        }
        const std::uint64_t st = t.layer >= 0 ? stage_of(t.layer) : l.pp - 1;  // head, final norm: last
        s.stage[st][c] = checked_add(s.stage[st][c], llama ? bytes : rank_bytes(spec, t, bytes, l));
    }
    return s;
}

std::uint64_t PlacementResult::device_weight_bytes() const {
    std::uint64_t sum = 0;
    for (const auto& r : stages) sum = checked_add(sum, checked_mul(r.weight_bytes, r.count));
    return sum;
}

std::uint64_t PlacementResult::device_kv_bytes() const {
    std::uint64_t sum = 0;
    for (const auto& r : stages) sum = checked_add(sum, checked_mul(r.kv_bytes, r.count));
    return sum;
}

Result<PlacementResult> place(const PlacementInput& in) {
    const model::ModelSpec& spec = *in.spec;
    const DeviceLayout& l = in.layout;
    PlacementResult out;
    out.layout = l;
    KvOptions kv = in.kv;
    kv.tensor_parallel = kv.runtime == Runtime::llama_cpp ? 1 : l.tp;
    if (l.dp > 1) kv.sequences = ceil_div(kv.sequences, l.dp);
    MOEFIT_TRY(cache, kv_cache(spec, kv));
    out.kv = std::move(cache);
    const std::uint64_t ranks = l.devices / l.pp;
    for (std::uint64_t st = 0; st < l.pp; ++st) {
        DeviceLoad row;
        row.first_device = st * ranks;
        row.count = ranks;
        row.name = device_name(l, row.first_device, row.count);
        row.first_layer = stage_first_layer(l, spec.num_layers, st);
        row.layers = stage_first_layer(l, spec.num_layers, st + 1) - row.first_layer;
        row.weights = in.split->stage[st];
        for (auto b : row.weights) row.weight_bytes = checked_add(row.weight_bytes, b);
        for (std::uint64_t layer = row.first_layer; layer < row.first_layer + row.layers; ++layer)
            if (layer < out.kv.layer_bytes.size()) row.kv_bytes = checked_add(row.kv_bytes, out.kv.layer_bytes[layer]);
        DeviceContext device = in.device;
        device.holds_output = st + 1 == l.pp;
        device.holds_layers = row.layers > 0;
        device.devices_in_group = l.devices;
        MOEFIT_TRY(overhead, runtime_overhead(spec, kv, in.knobs, device));
        // llama.cpp copies a RAM-resident expert tensor to the main GPU to multiply large batches
        // there, so that GPU's compute buffer grows by one expert tensor (formats.md §4.4, S13a).
        if (st == 0 && in.split->largest_host_expert_bytes != 0 && l.separate_host && kv.ubatch_tokens >= 32) {
            overhead.items.push_back({"offloaded expert copy", in.split->largest_host_expert_bytes,
                                      "main GPU holds one RAM-resident expert tensor for large batches, "
                                      "formats.md §4.4, S13a"});
            overhead.bytes = checked_add(overhead.bytes, in.split->largest_host_expert_bytes);
        }
        row.overhead_bytes = overhead.bytes;
        row.reserved_bytes = overhead.reserved_bytes;
        row.capacity_bytes = in.device.memory_bytes;
        row.headroom_bytes =
            static_cast<std::int64_t>(row.available_bytes()) - static_cast<std::int64_t>(row.used_bytes());
        out.stages.push_back(std::move(row));
        out.overhead.push_back(std::move(overhead));
    }
    if (l.separate_host) {
        DeviceLoad h;
        h.name = "host";
        h.host = true;
        h.weights = in.split->host;
        for (auto b : h.weights) h.weight_bytes = checked_add(h.weight_bytes, b);
        h.checked = in.host_ram_bytes != 0;
        h.capacity_bytes = in.host_ram_bytes;
        h.reserved_bytes = h.checked ? host_os_reserve_bytes(in.host_ram_bytes) : 0;
        h.headroom_bytes = static_cast<std::int64_t>(h.available_bytes()) - static_cast<std::int64_t>(h.used_bytes());
        out.host = std::move(h);
        if (out.host->weight_bytes != 0)
            out.assumptions.push_back(
                {"host RAM",
                 out.host->checked ? "weights resident, OS keeps " + format_bytes(out.host->reserved_bytes)
                                   : "not known: not checked (--host-memory)",
                 "mmap'd pages must stay resident for speed (--no-mmap: anonymous memory, same bytes), "
                 "formats.md §4.4; OS reserve max(2 GiB, 5%), a modelling choice"});
    }
    // The binding device: least headroom, the first of equals.
    for (std::size_t i = 1; i < out.stages.size(); ++i)
        if (out.stages[i].headroom_bytes < out.stages[out.binding].headroom_bytes) out.binding = i;
    if (out.host && out.host->checked && out.host->headroom_bytes < out.stages[out.binding].headroom_bytes)
        out.binding = out.stages.size();
    if (l.devices > 1 || l.host_expert_layers > 0)
        out.assumptions.push_back({"placement", l.how,
                                   l.pp > 1 ? "layers split in contiguous stages of near-equal layer count; KV "
                                              "of a layer on its stage, output head on the last"
                                            : "per-device bytes from each tensor's split (placement.hpp)"});
    if (l.host_expert_layers > 0)
        out.assumptions.push_back({"experts in host RAM",
                                   l.host_expert_layers >= spec.num_layers
                                       ? std::string("all routed experts (--cpu-moe)")
                                       : fmt::format("routed experts of blocks 0-{} (--n-cpu-moe {})",
                                                     l.host_expert_layers - 1, l.host_expert_layers),
                                   "llama.cpp overrides blk.N.ffn_*_exps to the CPU buffer; dense blocks count too"});
    return out;
}

}  // namespace moefit::engine
