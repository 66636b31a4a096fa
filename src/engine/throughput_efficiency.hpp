// Achievable fractions of peak (η) per runtime and device class, and the table they come from.
//
// η_bw is the fraction of the profile's peak memory bandwidth a runtime reaches streaming weights
// in decode; η_c the fraction of its dense 16-bit peak it reaches in prefill. Both are fitted on
// the measured points of the shared calibration set (data/throughput_efficiency.toml says how)
// and may be replaced by a calibration the caller passes (a `moefit calibrate` run, or a user's
// own llama-bench figures). The table is TOML:
//
//     expert_skew = 0.8                 # U_eff = k + skew * (U(B) - k)
//     [[efficiency]]
//     runtime = "llama.cpp"             # canonical_runtime() name or "*"
//     device_class = "nvidia-unified"   # device_class() name or "*"
//     bandwidth = 0.78                  # central η_bw, with bandwidth_low / bandwidth_high
//     compute = 0.17                    # central η_c, with compute_low / compute_high
//     points = 5                        # measured points behind the row (0 = a default)
//
// Lookup takes the first row matching (runtime, class), then ("*", class), then (runtime, "*"),
// then ("*", "*"): the device class moves η more than the runtime does (Apple vs NVIDIA parts
// differ by up to 3x in the calibration set, runtimes on one part by less).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "spec/hardware.hpp"
#include "util/result.hpp"

namespace moefit::engine {

struct Efficiency {
    double bandwidth = 0.6;
    double bandwidth_low = 0.5;
    double bandwidth_high = 0.7;
    double compute = 0.3;
    double compute_low = 0.2;
    double compute_high = 0.4;
    std::string source;  // "built-in: llama.cpp on nvidia-unified (5 points)", "calibration: FILE", ...
};

struct EfficiencyRow {
    std::string runtime;       // or "*"
    std::string device_class;  // or "*"
    Efficiency efficiency;
    int points = 0;
};

struct EfficiencyTable {
    double expert_skew = 1.0;
    std::vector<EfficiencyRow> rows;
    std::string origin;
};

// Parses a table (format above). Fails with an input Error naming `origin`, the line and the key
// for a missing or out-of-range value (η outside (0, 1.5], low > central > high, skew outside
// (0, 1]) or an unknown key, and when no ("*", "*") row exists.
Result<EfficiencyTable> parse_efficiency_table(std::string_view text, const std::string& origin);

// The table embedded from data/throughput_efficiency.toml, parsed once. Fails only if the
// embedded file is broken (an internal Error, caught by the tests).
Result<EfficiencyTable> builtin_efficiency_table();

// The efficiency for `runtime` on `device_class`, by the lookup order above; source says which
// row answered.
Efficiency lookup_efficiency(const EfficiencyTable& table, std::string_view runtime, std::string_view device_class);

// The efficiency of CPU work on `host` (a cpu profile, or a node's host): the ("cpu") row for
// `runtime`, with its bandwidth figures replaced by the profile's measured
// host.decode_efficiency when it has one (low and high keep the row's spread around it).
Efficiency host_efficiency(const EfficiencyTable& table, std::string_view runtime, const spec::HardwareProfile& host);

// The class a profile's devices belong to for efficiency purposes: "<vendor>-gpu" for gpu and node
// profiles, "<vendor>-unified" for unified pools, "cpu" for CPU hosts; vendor is lowercase
// ("nvidia", "amd", "apple", "intel", or "other").
std::string device_class(const spec::HardwareProfile& hardware);

// The canonical runtime name for what a user or a benchmark calls it: "llama.cpp" (also Ollama,
// LM Studio, llama-server, llama-bench), "vllm", "sglang", "mlx", "ktransformers"; "" when unknown.
std::string canonical_runtime(std::string_view name);

// Every canonical runtime name, for hints.
std::vector<std::string> runtime_names();

}  // namespace moefit::engine
