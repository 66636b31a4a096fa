// The flags every planning command shares (fit, compare, and later plan and speed): the model,
// the hardware (a profile or a bare --memory) and the serving setup. Parsing a value is the
// flag's job; an error names the flag and what was expected.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "engine/fit.hpp"
#include "model/inventory.hpp"
#include "model/spec.hpp"
#include "spec/hardware.hpp"
#include "util/result.hpp"

namespace moefit::cli {

struct FitFlags {
    std::string model;
    std::string hw;
    std::string memory;  // --memory 24GiB: a single device of that size instead of --hw
    std::string quant;
    std::string ctx;
    std::string batch = "1";
    std::string kv_dtype;
    std::string runtime;
    std::string ubatch = "512";
    bool no_flash_attention = false;
    std::string gpu_util;      // a fraction in (0, 1]; empty = the runtime's default
    std::string mem_fraction;  // likewise
    // Placement (engine/placement.hpp).
    std::string gpus;
    std::string nodes = "1";
    std::string tp, ep, pp;
    bool cpu_moe = false;
    std::string n_cpu_moe;
    std::string host_memory;
};

// Adds MODEL, --hw/--memory, --ctx, --batch, --kv-dtype, --runtime, --ubatch, --no-flash-attn,
// --gpu-util, --mem-fraction, --nodes, --host-memory; --quant when `with_quant`; and --gpus,
// --tp/--ep/--pp, --cpu-moe, --n-cpu-moe when `with_placement`.
void add_fit_flags(CLI::App& cmd, FitFlags& flags, bool with_quant, bool with_placement = false);

// What the flags name, loaded and checked.
struct FitInputs {
    model::ModelSpec spec;
    model::Inventory inventory;
    spec::HardwareProfile hw;
    engine::FitRequest request;
};

// The tensor inventory of `spec` (loaded from `arg`). Sizes that each pass their key's range
// check can still overflow 64 bits together: an input error naming the spec's file (deeper
// layers only see numbers), never an ArithmeticOverflow.
Result<model::Inventory> load_inventory(const model::ModelSpec& spec, const std::string& arg);

// Loads the model and hardware and parses every value. Errors name the flag (`--ctx: expected a
// token count like 32768 or 128K, found "12x"`) or the file.
Result<FitInputs> load_fit_inputs(const FitFlags& flags);

}  // namespace moefit::cli
