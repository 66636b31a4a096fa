#include "spec/hardware_schema.hpp"

#include <vector>

namespace moefit::spec {
namespace {

using Row = SchemaRow<HardwareProfile>;

std::uint64_t u(const Value& v) { return std::get<std::uint64_t>(v); }
double d(const Value& v) { return std::get<double>(v); }
const std::string& s(const Value& v) { return std::get<std::string>(v); }
// The schema has already checked that a size parses; value() cannot fail here.
Size size(const Value& v) { return parse_size(s(v)).value(); }

HardwareKind kind_of(const std::string& text) {
    if (text == "node") return HardwareKind::node;
    if (text == "unified") return HardwareKind::unified;
    if (text == "cpu") return HardwareKind::cpu;
    return HardwareKind::gpu;
}

constexpr std::uint64_t kMaxDevices = 4096;
constexpr std::uint64_t kMaxCores = 1'000'000;
const std::vector<std::string_view> kKinds = {"gpu", "node", "unified", "cpu"};
const std::vector<std::string_view> kLinks = {"pcie3",   "pcie4",   "pcie5",   "pcie6",          "nvlink2",
                                              "nvlink3", "nvlink4", "nvlink5", "infinity-fabric"};

// clang-format off
const std::vector<Row>& rows() {
    static const std::vector<Row> table = {
        // [hardware]
        {{"hardware", "id", ValueType::string, "", "required", "command-line name, lowercase"},
         [](HardwareProfile& p, const Value& v) { p.id = s(v); }},
        {{"hardware", "name", ValueType::string, "", "required", "display name"},
         [](HardwareProfile& p, const Value& v) { p.name = s(v); }},
        {{"hardware", "aliases", ValueType::string_list, "", "[]", "other names users type"},
         [](HardwareProfile& p, const Value& v) { p.aliases = std::get<std::vector<std::string>>(v); }},
        {{"hardware", "vendor", ValueType::string, "", "\"\"", "maker"},
         [](HardwareProfile& p, const Value& v) { p.vendor = s(v); }},
        {{"hardware", "kind", ValueType::string, "", "required",
          "gpu (one device), node (devices + host), unified (shared pool), cpu", 0, UINT64_MAX, kKinds},
         [](HardwareProfile& p, const Value& v) { p.kind = kind_of(s(v)); }},
        // [accelerator]: kind gpu and node; figures per device
        {{"accelerator", "count", ValueType::integer, "devices", "1", "identical devices (gpu: 1)", 1, kMaxDevices},
         [](HardwareProfile& p, const Value& v) { p.device_count = u(v); }},
        {{"accelerator", "memory", ValueType::size, "bytes", "required for gpu, node", "memory per device as published"},
         [](HardwareProfile& p, const Value& v) { p.device_memory = size(v); }},
        {{"accelerator", "memory_usable", ValueType::size, "bytes", "unknown", "memory per device as the driver reports it (nvidia-smi)"},
         [](HardwareProfile& p, const Value& v) { p.device_usable_bytes = size(v).bytes; }},
        {{"accelerator", "bandwidth_GBps", ValueType::number, "GB/s", "required for gpu, node", "peak memory bandwidth per device"},
         [](HardwareProfile& p, const Value& v) { p.bandwidth_GBps = d(v); }},
        {{"accelerator", "tflops_fp32", ValueType::number, "TFLOPS", "unknown", "FP32 peak per device"},
         [](HardwareProfile& p, const Value& v) { p.peak.tflops_fp32 = d(v); }},
        {{"accelerator", "tflops_bf16", ValueType::number, "TFLOPS", "unknown", "dense BF16 tensor peak per device"},
         [](HardwareProfile& p, const Value& v) { p.peak.tflops_bf16 = d(v); }},
        {{"accelerator", "tflops_fp16", ValueType::number, "TFLOPS", "unknown", "dense FP16 tensor peak per device"},
         [](HardwareProfile& p, const Value& v) { p.peak.tflops_fp16 = d(v); }},
        {{"accelerator", "tflops_fp8", ValueType::number, "TFLOPS", "unknown", "dense FP8 tensor peak per device"},
         [](HardwareProfile& p, const Value& v) { p.peak.tflops_fp8 = d(v); }},
        {{"accelerator", "tflops_fp4", ValueType::number, "TFLOPS", "unknown", "dense FP4 tensor peak per device"},
         [](HardwareProfile& p, const Value& v) { p.peak.tflops_fp4 = d(v); }},
        {{"accelerator", "tops_int8", ValueType::number, "TOPS", "unknown", "dense INT8 tensor peak per device"},
         [](HardwareProfile& p, const Value& v) { p.peak.tops_int8 = d(v); }},
        {{"accelerator", "link", ValueType::string, "", "none", "device-to-device interconnect", 0, UINT64_MAX, kLinks},
         [](HardwareProfile& p, const Value& v) { p.link = s(v); }},
        {{"accelerator", "link_GBps", ValueType::number, "GB/s", "unknown", "interconnect bandwidth per device, both directions together"},
         [](HardwareProfile& p, const Value& v) { p.link_GBps = d(v); }},
        // [host]: the whole host of a node, or the machine of a cpu profile; gpu: pcie_GBps only
        {{"host", "memory", ValueType::size, "bytes", "required for node, cpu", "host RAM"},
         [](HardwareProfile& p, const Value& v) { p.host.memory = size(v); }},
        {{"host", "bandwidth_GBps", ValueType::number, "GB/s", "required for cpu", "peak host RAM bandwidth"},
         [](HardwareProfile& p, const Value& v) { p.host.bandwidth_GBps = d(v); }},
        {{"host", "cores", ValueType::integer, "cores", "unknown", "CPU cores", 1, kMaxCores},
         [](HardwareProfile& p, const Value& v) { p.host.cores = u(v); }},
        {{"host", "pcie_GBps", ValueType::number, "GB/s", "unknown", "host-to-device link per device, one direction"},
         [](HardwareProfile& p, const Value& v) { p.host.pcie_GBps = d(v); }},
        {{"host", "decode_efficiency", ValueType::number, "of bandwidth_GBps", "unknown", "measured fraction of bandwidth_GBps a decode reaches (moefit calibrate)"},
         [](HardwareProfile& p, const Value& v) { p.host.decode_efficiency = d(v); }},
        // [unified]: kind unified; the pool is described as one device
        {{"unified", "memory", ValueType::size, "bytes", "required for unified", "the whole pool as published"},
         [](HardwareProfile& p, const Value& v) { p.device_memory = size(v); }},
        {{"unified", "os_visible", ValueType::size, "bytes", "unknown", "total the OS / driver reports"},
         [](HardwareProfile& p, const Value& v) { p.unified.os_visible_bytes = size(v).bytes; }},
        {{"unified", "gpu_limit", ValueType::size, "bytes", "unknown", "what the GPU may use by default"},
         [](HardwareProfile& p, const Value& v) { p.unified.gpu_limit_bytes = size(v).bytes; }},
        {{"unified", "gpu_limit_max", ValueType::size, "bytes", "unknown", "what the GPU may use once the limit is raised"},
         [](HardwareProfile& p, const Value& v) { p.unified.gpu_limit_max_bytes = size(v).bytes; }},
        {{"unified", "gpu_limit_how", ValueType::string, "", "\"\"", "how to raise the GPU limit"},
         [](HardwareProfile& p, const Value& v) { p.unified.gpu_limit_how = s(v); }},
        {{"unified", "bandwidth_GBps", ValueType::number, "GB/s", "required for unified", "peak pool bandwidth"},
         [](HardwareProfile& p, const Value& v) { p.bandwidth_GBps = d(v); }},
        {{"unified", "tflops_fp32", ValueType::number, "TFLOPS", "unknown", "GPU FP32 peak"},
         [](HardwareProfile& p, const Value& v) { p.peak.tflops_fp32 = d(v); }},
        {{"unified", "tflops_bf16", ValueType::number, "TFLOPS", "unknown", "GPU dense BF16 peak"},
         [](HardwareProfile& p, const Value& v) { p.peak.tflops_bf16 = d(v); }},
        {{"unified", "tflops_fp16", ValueType::number, "TFLOPS", "unknown", "GPU dense FP16 peak"},
         [](HardwareProfile& p, const Value& v) { p.peak.tflops_fp16 = d(v); }},
        {{"unified", "tflops_fp8", ValueType::number, "TFLOPS", "unknown", "GPU dense FP8 peak"},
         [](HardwareProfile& p, const Value& v) { p.peak.tflops_fp8 = d(v); }},
        {{"unified", "tflops_fp4", ValueType::number, "TFLOPS", "unknown", "GPU dense FP4 peak"},
         [](HardwareProfile& p, const Value& v) { p.peak.tflops_fp4 = d(v); }},
        {{"unified", "tops_int8", ValueType::number, "TOPS", "unknown", "GPU dense INT8 peak"},
         [](HardwareProfile& p, const Value& v) { p.peak.tops_int8 = d(v); }},
    };
    return table;
}
// clang-format on

}  // namespace

const char* kind_name(HardwareKind kind) {
    switch (kind) {
        case HardwareKind::gpu: return "gpu";
        case HardwareKind::node: return "node";
        case HardwareKind::unified: return "unified";
        case HardwareKind::cpu: return "cpu";
    }
    return "?";
}

std::span<const KeySpec> hardware_keys() { return schema_keys(rows()); }

void apply_hardware_key(std::size_t index, const Value& value, HardwareProfile& profile) {
    apply_schema_key(rows(), index, value, profile);
}

}  // namespace moefit::spec
