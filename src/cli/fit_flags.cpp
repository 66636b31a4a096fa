#include "cli/fit_flags.hpp"

#include <fmt/format.h>

#include <charconv>
#include <tuple>

#include "model/accounting.hpp"
#include "spec/hardware_catalog.hpp"
#include "spec/model_catalog.hpp"
#include "util/checked.hpp"
#include "util/units.hpp"

namespace moefit::cli {
namespace {

// Re-labels a value parser's error with the flag it came from.
Error relabel(Error e, const char* name) {
    e.where = at_flag(name);
    return e;
}

// `parse(text)`, its error naming flag `name`.
template <typename Parse>
auto parse_flag(const std::string& text, const char* name, Parse parse) -> decltype(parse(text)) {
    auto v = parse(text);
    if (!v) return relabel(v.error(), name);
    return v;
}

Result<std::uint64_t> positive_count(const std::string& text, const char* name, std::uint64_t max,
                                     const CountNoun& noun = kTokenCount) {
    MOEFIT_TRY(n, parse_flag(text, name, [&](const std::string& t) { return parse_count(t, noun); }));
    if (n == 0 || n > max)
        return make_error(fmt::format("expected 1 to {}, found {}", format_grouped(max), text), at_flag(name));
    return n;
}

// An optional fraction in (0, 1] (--gpu-util 0.9); unset when `text` is empty.
Result<std::optional<double>> fraction(const std::string& text, const char* name) {
    if (text.empty()) return std::optional<double>{};
    double v = 0;
    const char* end = text.data() + text.size();
    const auto [stop, ec] = std::from_chars(text.data(), end, v);
    if (ec != std::errc() || stop != end || !(v > 0.0 && v <= 1.0))
        return make_error(fmt::format("expected a fraction in (0, 1], found {}", text), at_flag(name));
    return std::optional<double>(v);
}

constexpr CountNoun kSequences{"sequence count", "sequences", "1 or 16"};
constexpr CountNoun kNodes{"node count", "nodes", "2"};
constexpr CountNoun kDevices{"device count", "devices", "8"};
constexpr CountNoun kBlocks{"block count", "blocks", "10"};

}  // namespace

Result<model::Inventory> load_inventory(const model::ModelSpec& spec, const std::string& arg) {
    try {
        model::Inventory inv = model::build_inventory(spec);
        (void)model::count_params(spec, inv);  // sums every tensor: the first place a total overflows
        return inv;
    } catch (const ArithmeticOverflow& e) {
        Location loc;
        loc.file = spec.origin.empty() || spec.origin == "built-in" ? arg : spec.origin;
        return make_error(fmt::format("the model's sizes overflow 64-bit arithmetic ({}): expected tensors "
                                      "totalling under 2^64 elements",
                                      e.what()),
                          loc);
    }
}

void add_fit_flags(CLI::App& cmd, FitFlags& f, bool with_quant, bool with_placement) {
    cmd.add_option("MODEL", f.model,
                   "built-in model (`moefit list models`), a spec .toml, a config.json or a model folder")
        ->required();
    cmd.add_option("--hw", f.hw, "hardware profile (`moefit list hardware`) or a profile .toml");
    cmd.add_option("--memory", f.memory, "a single device of this capacity instead of --hw, e.g. 24GiB or 80GB");
    if (with_quant)
        cmd.add_option("--quant", f.quant,
                       "quantization: Q4_K_M, native, fp8_block128, a mix like experts=q4_k,default=q8_0");
    cmd.add_option("--ctx", f.ctx, "context per sequence in tokens, e.g. 32768 or 128K (default 32K)");
    cmd.add_option("--batch", f.batch, "concurrent sequences (default 1)");
    cmd.add_option("--kv-dtype", f.kv_dtype, "KV cache type: f16, bf16, fp8, q8_0, q4_0 (default f16)");
    cmd.add_option("--runtime", f.runtime, "llama.cpp, vllm or sglang (default by hardware)");
    cmd.add_option("--ubatch", f.ubatch, "llama.cpp micro-batch (-ub), default 512");
    cmd.add_flag("--no-flash-attn", f.no_flash_attention, "llama.cpp without flash attention (-fa off)");
    cmd.add_option("--gpu-util", f.gpu_util, "vLLM gpu_memory_utilization");
    cmd.add_option("--mem-fraction", f.mem_fraction, "SGLang mem_fraction_static");
    cmd.add_option("--nodes", f.nodes, "machines of the --hw profile working together (default 1)");
    cmd.add_option("--host-memory", f.host_memory, "host RAM when the profile does not give it, e.g. 64GB");
    if (!with_placement) return;
    cmd.add_option("--gpus", f.gpus, "devices used per node, or copies of a single-GPU profile (default all / 1)");
    cmd.add_option("--tp", f.tp, "tensor-parallel ranks (vLLM/SGLang)");
    cmd.add_option("--ep", f.ep, "expert-parallel ranks (vLLM/SGLang; without --tp: data-parallel attention)");
    cmd.add_option("--pp", f.pp, "pipeline stages (layer split)");
    cmd.add_flag("--cpu-moe", f.cpu_moe, "llama.cpp: keep every routed expert in host RAM");
    cmd.add_option("--n-cpu-moe", f.n_cpu_moe, "llama.cpp: keep the routed experts of the first N blocks in host RAM");
}

Result<FitInputs> load_fit_inputs(const FitFlags& f) {
    FitInputs in;
    if (f.hw.empty() == f.memory.empty())
        return make_error("expected exactly one of --hw PROFILE or --memory SIZE", at_flag("--hw"));
    MOEFIT_TRY(spec, spec::load_model(f.model));
    in.spec = std::move(spec);
    MOEFIT_TRY(inventory, load_inventory(in.spec, f.model));
    in.inventory = std::move(inventory);
    if (!f.hw.empty()) {
        MOEFIT_TRY(hw, spec::load_hardware(f.hw));
        in.hw = std::move(hw);
    } else {
        MOEFIT_TRY(size, parse_flag(f.memory, "--memory", parse_size));
        MOEFIT_TRY(hw, spec::custom_hardware(size));
        in.hw = std::move(hw);
    }
    auto& r = in.request;
    if (!f.quant.empty()) r.quant = f.quant;
    if (!f.ctx.empty()) {
        MOEFIT_TRY(ctx, positive_count(f.ctx, "--ctx", 10'000'000));
        r.context_tokens = ctx;
    }
    MOEFIT_TRY(batch, positive_count(f.batch, "--batch", 10'000, kSequences));
    r.sequences = batch;
    MOEFIT_TRY(ubatch, positive_count(f.ubatch, "--ubatch", 65'536));
    r.ubatch_tokens = ubatch;
    if (!f.kv_dtype.empty()) {
        MOEFIT_TRY(t, parse_flag(f.kv_dtype, "--kv-dtype", engine::parse_kv_dtype));
        r.kv_dtype = t;
    }
    if (!f.runtime.empty()) {
        MOEFIT_TRY(rt, parse_flag(f.runtime, "--runtime", engine::parse_runtime));
        r.runtime = rt;
    }
    r.flash_attention = !f.no_flash_attention;
    MOEFIT_TRY(gpu_util, fraction(f.gpu_util, "--gpu-util"));
    MOEFIT_TRY(mem_fraction, fraction(f.mem_fraction, "--mem-fraction"));
    r.knobs.gpu_memory_utilization = gpu_util;
    r.knobs.mem_fraction_static = mem_fraction;
    auto& p = r.placement;
    MOEFIT_TRY(nodes, positive_count(f.nodes, "--nodes", 1024, kNodes));
    p.nodes = nodes;
    for (const auto& [text, slot, name] : {std::tuple{&f.gpus, &p.gpus, "--gpus"},
                                           {&f.tp, &p.tp, "--tp"},
                                           {&f.ep, &p.ep, "--ep"},
                                           {&f.pp, &p.pp, "--pp"}})
        if (!text->empty()) {
            MOEFIT_TRY(n, positive_count(*text, name, 4096, kDevices));
            *slot = n;
        }
    p.cpu_moe = f.cpu_moe;
    if (!f.n_cpu_moe.empty()) {
        MOEFIT_TRY(
            n, parse_flag(f.n_cpu_moe, "--n-cpu-moe", [](const std::string& t) { return parse_count(t, kBlocks); }));
        p.n_cpu_moe = n;
    }
    if (!f.host_memory.empty()) {
        MOEFIT_TRY(size, parse_flag(f.host_memory, "--host-memory", parse_size));
        if (size.bytes == 0)
            return make_error("expected a size above 0, found " + f.host_memory, at_flag("--host-memory"));
        p.host_memory_bytes = size.bytes;
    }
    return in;
}

}  // namespace moefit::cli
