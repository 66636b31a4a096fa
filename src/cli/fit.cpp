// moefit fit MODEL (--hw HW | --memory SIZE) [--quant Q] [--ctx N] [--batch B] [--kv-dtype T]
//            [--runtime R] [--gpus N] [--nodes N] [--tp N] [--ep N] [--pp N] [--cpu-moe]
//            [--n-cpu-moe N] [--host-memory SIZE] [--check] [--json] [--out FILE]
#include <memory>

#include "cli/common.hpp"
#include "cli/fit_flags.hpp"
#include "engine/speed_summary.hpp"
#include "report/fit_report.hpp"
#include "report/speed_section.hpp"

namespace moefit::cli {
namespace {

struct FitOptions {
    FitFlags flags;
    bool check = false;
    OutputOptions output;
};

ExitCode run_fit(const FitOptions& o) {
    auto in = load_fit_inputs(o.flags);
    if (!in) return report_error(in.error());
    auto result = engine::fit(in->spec, in->inventory, in->hw, in->request);
    if (!result) return report_error(result.error());
    // Speed beside memory; a profile without bandwidth (--memory) has none to show.
    const auto& r = *result;
    auto speed = engine::speed_summary(in->spec, in->inventory, r.weights, r.kv, in->hw, r.setup.runtime,
                                       r.setup.sequences, r.setup.context_tokens);
    report::FitInput view{in->spec, in->hw, r};
    if (speed)
        view.speed = &*speed;
    else
        view.speed_unavailable = speed.error().message;
    std::string text = o.output.json ? report::fit_json(view).dump(2) + "\n" : report::render_fit_text(view);
    if (!o.output.json && speed) text += "\n" + report::render_speed_section(*speed);
    const ExitCode written = emit(text, o.output);
    if (written != ExitCode::ok) return written;
    return o.check && result->verdict == engine::Verdict::does_not_fit ? ExitCode::does_not_fit : ExitCode::ok;
}

}  // namespace

void add_fit(CLI::App& cmd, Action& action) {
    auto opts = std::make_shared<FitOptions>();
    add_fit_flags(cmd, opts->flags, true, true);
    cmd.add_flag("--check", opts->check, "exit with status 1 when the model does not fit");
    add_output_options(cmd, opts->output);
    cmd.callback([opts, &action] { action = [opts] { return run_fit(*opts); }; });
}

}  // namespace moefit::cli
