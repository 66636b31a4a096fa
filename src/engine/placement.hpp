// Placement: what every device of a deployment holds. Weights come tensor by tensor from
// WeightBytes (never recomputed), KV from KvResult::layer_bytes, overheads from runtime_overhead
// called per device; the most loaded device decides whether the model fits.
//
// Layouts (devices = tp x pp x dp; all ranks of one pipeline stage hold the same bytes):
//   tensor parallel (vLLM, SGLang): attention, FFN and (ep = 1) expert matrices split over the tp
//     ranks; norms, the router and MLA's low-rank q_a/kv_a projections replicated; GQA K/V
//     projections split by heads but never below one head per rank; embedding and head
//     vocab-parallel. KV: kv_cache with tensor_parallel = tp (MLA latent on every rank).
//   expert parallel: routed experts spread over ep ranks (ceil(E / ep) whole experts on the most
//     loaded rank), everything else as tensor parallel (tp = 1: data-parallel attention, each
//     rank holding ceil(sequences / dp) sequences' KV).
//   pipeline parallel (llama.cpp's layer split, vLLM across nodes): layers split into pp
//     contiguous stages of near-equal layer count; the KV of a layer lives on its stage; the
//     output head and final norm on the last stage. llama.cpp keeps token_embd in host RAM (its
//     input layer is always on the CPU) and, with tied embeddings, a copy on the output device.
//   hybrid offload (llama.cpp --cpu-moe / --n-cpu-moe N): the routed-expert tensors of blocks
//     0..N-1 in host RAM; for large batches the main GPU's compute buffer also holds one
//     offloaded expert tensor (formats.md §4.4, S13a).
// A unified pool or a CPU host is one device holding everything.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/kv_cache.hpp"
#include "engine/runtime.hpp"
#include "engine/weights.hpp"
#include "model/inventory.hpp"
#include "model/spec.hpp"
#include "spec/hardware.hpp"
#include "util/result.hpp"

namespace moefit::engine {

// What the user asked for; unset fields take the runtime's defaults (resolve_layout).
struct PlacementRequest {
    std::optional<std::uint64_t> gpus;  // devices used per node (gpu profile: copies of it); unset = all
    std::uint64_t nodes = 1;
    std::optional<std::uint64_t> tp, ep, pp;
    bool cpu_moe = false;                            // llama.cpp --cpu-moe: every routed expert in host RAM
    std::optional<std::uint64_t> n_cpu_moe;          // llama.cpp --n-cpu-moe N: experts of blocks 0..N-1
    std::optional<std::uint64_t> host_memory_bytes;  // host RAM when the profile does not give it
};

using ClassBytes = std::array<std::uint64_t, model::kTensorClassCount>;

// A resolved layout.
struct DeviceLayout {
    std::uint64_t devices = 1;         // accelerators used (1 for a unified pool or a CPU host)
    std::uint64_t unused_devices = 0;  // llama.cpp: devices beyond one per layer (fewer layers than devices)
    std::uint64_t nodes = 1;
    std::uint64_t tp = 1, ep = 1, pp = 1, dp = 1;
    std::uint64_t host_expert_layers = 0;  // blocks [0, n) keep their routed experts in host RAM
    bool accelerator = true;               // false: CPU only
    bool separate_host = false;            // a host with its own RAM beside the devices
    std::string how;                       // "tensor parallel over 8 devices (vllm default)", ...
};

// The layout `runtime` uses for `request` on `hw` (nodes = request.nodes copies of it). Defaults:
// all devices; vLLM/SGLang tensor parallel within a node and pipeline stages across nodes;
// llama.cpp a layer split over every device, at most one stage per layer (the devices past the
// layer count are left unused: `unused_devices`). Fails with an input Error (key = the option) for
// counts that do not divide the devices, more devices than the node has, tp/ep with llama.cpp,
// expert offload outside llama.cpp or on a unified pool / CPU host, more stages than layers.
Result<DeviceLayout> resolve_layout(const model::ModelSpec& spec, const spec::HardwareProfile& hw, Runtime runtime,
                                    const PlacementRequest& request);

// First layer of pipeline stage `stage` (stage = pp gives num_layers).
std::uint64_t stage_first_layer(const DeviceLayout& layout, std::uint64_t num_layers, std::uint64_t stage);

// Weight bytes per class on one rank of each stage, and in host RAM.
struct WeightSplit {
    std::vector<ClassBytes> stage;  // pp entries
    ClassBytes host{};
    std::uint64_t largest_host_expert_bytes = 0;  // the biggest routed-expert tensor kept in host RAM
};

// Where every main-model tensor of `weights` goes under `layout` (MTP tensors are not loaded).
WeightSplit split_weights(const model::ModelSpec& spec, const model::Inventory& inventory, const WeightBytes& weights,
                          const DeviceLayout& layout, Runtime runtime);

// One row of the per-device table: `count` identical devices from `first_device` on, or the host.
struct DeviceLoad {
    std::string name;  // "GPU 0-7", "GPU 3", "unified pool", "CPU", "host"
    std::uint64_t first_device = 0;
    std::uint64_t count = 1;
    bool host = false;
    bool checked = true;  // false: a host whose RAM is not known
    std::uint64_t first_layer = 0, layers = 0;
    ClassBytes weights{};
    std::uint64_t weight_bytes = 0;
    std::uint64_t kv_bytes = 0;
    std::uint64_t overhead_bytes = 0;
    std::uint64_t reserved_bytes = 0;  // kept by the runtime (or the OS, on the host)
    std::uint64_t capacity_bytes = 0;
    std::int64_t headroom_bytes = 0;  // capacity - reserved - weights - KV - overhead

    std::uint64_t used_bytes() const { return weight_bytes + kv_bytes + overhead_bytes; }
    std::uint64_t available_bytes() const {
        return capacity_bytes > reserved_bytes ? capacity_bytes - reserved_bytes : 0;
    }
};

// What placement needs besides the layout.
struct PlacementInput {
    const model::ModelSpec* spec = nullptr;
    const WeightSplit* split = nullptr;
    DeviceLayout layout;
    KvOptions kv;  // for the whole deployment; placement sets tensor_parallel and per-replica sequences
    RuntimeKnobs knobs;
    DeviceContext device;              // memory_bytes = usable capacity of one device
    std::uint64_t host_ram_bytes = 0;  // 0 = not known (the host row is not checked)
};

struct PlacementResult {
    DeviceLayout layout;
    std::vector<DeviceLoad> stages;         // one row per pipeline stage (its ranks are identical)
    std::optional<DeviceLoad> host;         // when the devices sit in a host with its own RAM
    KvResult kv;                            // one rank's cache (tensor_parallel = tp, per-replica sequences)
    std::vector<RuntimeOverhead> overhead;  // per stage, one device
    std::size_t binding = 0;                // index into stages of the most loaded device; stages.size() = the host
    std::vector<Assumption> assumptions;

    const DeviceLoad& binding_row() const { return binding < stages.size() ? stages[binding] : *host; }
    std::uint64_t device_weight_bytes() const;  // summed over every device (replicas included)
    std::uint64_t device_kv_bytes() const;
};

// Loads every device under `in`. Fails with kv_cache's and runtime_overhead's input Errors.
Result<PlacementResult> place(const PlacementInput& in);

// OS reserve of a host with `ram_bytes`: max(2 GiB, 5%), a modelling choice shared with the CPU
// capacity of fit.
std::uint64_t host_os_reserve_bytes(std::uint64_t ram_bytes);

}  // namespace moefit::engine
