// moefit speed MODEL --hw HW [--quant Q] [--runtime R] [--kv-dtype T]
//              [--batch 1,8,64] [--ctx 0,32K] [--prompt N] [--ubatch N] [--json] [--out FILE]
//
// Runtime and quantization default as for `moefit fit` (engine::resolve_fit_options); the model
// and hardware load through the same code as fit's (cli/fit_flags.hpp).
#include <algorithm>
#include <memory>

#include "cli/common.hpp"
#include "cli/fit_flags.hpp"
#include "engine/kv_cache.hpp"
#include "engine/scheme.hpp"
#include "engine/speed_summary.hpp"
#include "engine/throughput.hpp"
#include "engine/weights.hpp"
#include "report/speed_report.hpp"
#include "util/spelling.hpp"
#include "util/units.hpp"

namespace moefit::cli {
namespace {

struct SpeedOptions {
    std::string model;
    std::string hardware;
    std::string quant;
    std::string runtime;
    std::string kv_dtype;
    std::string batch = "1";
    std::string ctx;  // empty: 0 and fit's default context
    std::string prompt = std::to_string(engine::kDefaultPromptTokens);
    std::string ubatch;  // empty: the runtime's default (engine::default_ubatch_tokens)
    OutputOptions output;
};

// "1,8,64" / "0,32K" as counts up to `max`; `name` names the option in errors.
Result<std::vector<std::uint64_t>> parse_list(const std::string& text, const char* name, bool allow_zero,
                                              std::uint64_t max) {
    std::vector<std::uint64_t> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = text.find(',', start);
        const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (item == "0" && allow_zero) {
            out.push_back(0);
        } else {
            auto v = parse_token_count(item);
            if (!v)
                return make_error("expected a list of counts such as 1,8,64, found \"" + text + "\"", at_flag(name));
            if (*v == 0 && !allow_zero) return make_error("expected counts of at least 1, found 0", at_flag(name));
            if (*v > max)
                return make_error("expected counts up to " + format_grouped(max) + ", found " + item, at_flag(name));
            out.push_back(*v);
        }
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return out;
}

// The throughput runtime for --runtime: fit's names (engine::parse_runtime) plus mlx and
// ktransformers, which the throughput model knows and the memory engine does not. Empty text =
// fit's default.
Result<std::string> speed_runtime(const std::string& text) {
    if (text.empty()) return std::string();
    if (auto rt = engine::parse_runtime(text)) return engine::throughput_runtime(*rt);
    const std::string canonical = engine::canonical_runtime(text);
    if (canonical == "mlx" || canonical == "ktransformers") return canonical;
    Error e = make_error("unknown runtime \"" + text + "\": expected llama.cpp, vllm, sglang, mlx or ktransformers",
                         at_flag("--runtime"), ErrorKind::not_found);
    e.hint = did_you_mean(text, engine::runtime_names());
    return e;
}

ExitCode run_speed(const SpeedOptions& o) {
    auto runtime = speed_runtime(o.runtime);
    if (!runtime) return report_error(runtime.error());
    FitFlags f;
    f.model = o.model;
    f.hw = o.hardware;
    f.quant = o.quant;
    f.kv_dtype = o.kv_dtype;
    // mlx and ktransformers lay out their cache and pick quantizations as llama.cpp does.
    f.runtime = runtime->empty() ? "" : std::string(engine::runtime_name(engine::kv_layout_runtime(*runtime)));
    auto in = load_fit_inputs(f);
    if (!in) return report_error(in.error());
    const engine::FitSetup setup = engine::resolve_fit_options(in->spec, in->hw, in->request);
    const std::string rt = runtime->empty() ? engine::throughput_runtime(setup.runtime) : *runtime;

    auto batches = parse_list(o.batch, "--batch", false, 10'000);
    if (!batches) return report_error(batches.error());
    std::vector<std::uint64_t> contexts = {0, setup.context_tokens};
    if (!o.ctx.empty()) {
        auto c = parse_list(o.ctx, "--ctx", true, 10'000'000);
        if (!c) return report_error(c.error());
        contexts = std::move(*c);
    }
    contexts.erase(std::unique(contexts.begin(), contexts.end()), contexts.end());
    auto prompts = parse_list(o.prompt, "--prompt", false, 10'000'000);
    if (!prompts) return report_error(prompts.error());

    auto scheme = engine::parse_scheme(setup.quant, in->spec);
    if (!scheme) return report_error(scheme.error());
    auto weights = engine::compute_weights(in->inventory, in->spec, *scheme);
    if (!weights) return report_error(weights.error());
    // The KV read per token does not depend on the context the cache was sized for.
    auto kv = engine::kv_cache(in->spec, setup.kv);
    if (!kv) return report_error(kv.error());
    engine::SpeedSetup speed = engine::speed_setup(in->spec, in->inventory, *weights, *kv, in->hw, rt);
    if (!o.ubatch.empty()) {
        auto ub = parse_list(o.ubatch, "--ubatch", false, 65'536);
        if (!ub) return report_error(ub.error());
        speed.ubatch_tokens = ub->front();
    }

    report::SpeedInput out{in->spec, in->hw, scheme->name, rt, speed.placement, weights->total_bytes, {}, {}, {}};
    for (const engine::Assumption& a : setup.assumptions)
        if (a.name == "runtime" || a.name == "quantization") out.assumptions.push_back(a);
    if (o.ctx.empty())
        out.assumptions.push_back({"decode depths", "0 and " + format_tokens(setup.context_tokens) + " tokens",
                                   "an empty cache and fit's default context (--ctx)"});
    for (std::uint64_t b : *batches) {
        for (std::uint64_t c : contexts) {
            auto d = engine::predict_decode(speed.input(b, c));
            if (!d) return report_error(d.error());
            out.decode.push_back(std::move(*d));
        }
    }
    for (std::uint64_t p : *prompts) {
        auto r = engine::predict_prefill(speed.input(1, 0), p, 0);
        if (!r) return report_error(r.error());
        out.prefill.push_back(std::move(*r));
    }
    const std::string text = o.output.json ? report::speed_json(out).dump(2) + "\n" : report::render_speed_text(out);
    return emit(text, o.output);
}

}  // namespace

void add_speed(CLI::App& cmd, Action& action) {
    auto opts = std::make_shared<SpeedOptions>();
    cmd.add_option("MODEL", opts->model,
                   "built-in model (`moefit list models`), a spec .toml, a config.json or a model folder")
        ->required();
    cmd.add_option("--hw", opts->hardware, "hardware profile (`moefit list hardware`) or a profile .toml")->required();
    cmd.add_option("--quant", opts->quant,
                   "quantization: Q4_K_M, native, a mix like experts=q4_k,default=q8_0 (default as for fit)");
    cmd.add_option("--runtime", opts->runtime, "llama.cpp, vllm, sglang, mlx or ktransformers (default by hardware)");
    cmd.add_option("--kv-dtype", opts->kv_dtype, "KV cache type: f16, bf16, fp8, q8_0, q4_0 (default f16)");
    cmd.add_option("--batch", opts->batch, "sequences decoding together, comma-separated (default 1)");
    cmd.add_option("--ctx", opts->ctx, "decode context depths, comma-separated (default 0 and fit's context)");
    cmd.add_option("--prompt", opts->prompt, "prompt lengths for prefill, comma-separated")->capture_default_str();
    cmd.add_option("--ubatch", opts->ubatch, "prefill micro-batch (default 512, 8192 for vllm and sglang)");
    add_output_options(cmd, opts->output);
    cmd.callback([opts, &action] { action = [opts] { return run_speed(*opts); }; });
}

}  // namespace moefit::cli
