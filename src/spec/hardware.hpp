// A hardware profile: the machine a model is planned for, as plain data read from a profile
// TOML (hardware_profiles/*.toml, `moefit list hardware`) or made from `--memory SIZE`.
//
// Four kinds share one shape:
//   gpu      one accelerator with its own memory; the host is not described (only its PCIe link).
//   node     `device_count` identical accelerators plus the host they sit in ([host] = whole node).
//   unified  one memory pool shared by CPU, GPU and OS (Apple M-series, DGX Spark, Strix Halo).
//            It is described as one device whose memory is the whole pool; how much of the pool
//            the GPU may use is in `unified`.
//   cpu      no accelerator (device_count = 0); weights and compute live in `host`.
// Every figure is per device and as published, with 0 meaning "not known". TFLOPS are dense
// peaks (no 2:4 sparsity). Bandwidths are GB/s = 1e9 bytes per second.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/units.hpp"

namespace moefit::spec {

enum class HardwareKind { gpu, node, unified, cpu };

// Dense peak throughput per device; 0 = not published / not known.
struct PeakCompute {
    double tflops_fp32 = 0;  // non-tensor FP32
    double tflops_bf16 = 0;
    double tflops_fp16 = 0;
    double tflops_fp8 = 0;
    double tflops_fp4 = 0;
    double tops_int8 = 0;    // tera-operations per second
};

// The host of a node or the machine of a cpu profile. For a gpu profile only pcie_GBps may be
// set; for a unified profile everything is 0 (the pool is the device memory).
struct HostSpec {
    Size memory;                 // RAM of the whole host; bytes 0 = not described
    double bandwidth_GBps = 0;   // peak RAM bandwidth of the whole host
    std::uint64_t cores = 0;     // CPU cores of the whole host
    double pcie_GBps = 0;        // host <-> one device, per direction
    // Fraction of bandwidth_GBps a decode reaches on this host as measured (`moefit calibrate`
    // writes it); 0 = not measured, the built-in cpu efficiency applies.
    double decode_efficiency = 0;
};

// The limits of a unified pool (kind unified only); 0 = not known.
struct UnifiedLimits {
    std::uint64_t os_visible_bytes = 0;     // what the OS / driver reports as total
    std::uint64_t gpu_limit_bytes = 0;      // how much the GPU may use by default
    std::uint64_t gpu_limit_max_bytes = 0;  // how much it may use once raised (gpu_limit_how)
    std::string gpu_limit_how;              // the command or setting that raises the limit
};

struct HardwareProfile {
    std::string id;                    // canonical command-line name, lowercase
    std::string name;                  // display name
    std::vector<std::string> aliases;  // other names users type
    std::string vendor;
    HardwareKind kind = HardwareKind::gpu;

    // Accelerators (gpu, node) or the pool (unified: one device); all 0 for cpu.
    std::uint64_t device_count = 0;
    Size device_memory;                   // per device as published: "80GB" = 80e9 bytes, decimal
    std::uint64_t device_usable_bytes = 0;  // per device as the driver reports it; 0 = not known
    double bandwidth_GBps = 0;            // per device memory bandwidth (cpu: see host)
    PeakCompute peak;                     // per device
    std::string link;                     // device interconnect: nvlink4, pcie5, ...; "" = none given
    double link_GBps = 0;                 // per device, both directions together

    HostSpec host;
    UnifiedLimits unified;

    std::string origin;  // "built-in", a file path, or "--memory"
};

// "gpu", "node", "unified", "cpu".
const char* kind_name(HardwareKind kind);

}  // namespace moefit::spec
