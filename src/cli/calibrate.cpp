// moefit calibrate [--model M] [--budget 2GiB] [--threads N] [--steps N] [--rounds N] [--out host.toml] [--json]
// moefit calibrate --measured FILE [--out override.toml] [--json]
//
// Measures this host, runs the reference MoE scaled to --budget and prints the engine's predicted
// decode speed beside the measured one (reference/calibrate.hpp); --out writes the host's cpu
// profile for `moefit fit --hw` and `moefit speed --hw`. With --measured, fits the bandwidth
// efficiency of the user's own engine run instead (engine/measured_efficiency.hpp) and --out
// writes it as an [[efficiency]] row. Progress goes to stderr: a bar on a terminal, plain lines
// otherwise.
#include "reference/calibrate.hpp"

#include <unistd.h>

#include <cstdio>
#include <memory>

#include "cli/common.hpp"
#include "engine/measured_efficiency.hpp"
#include "report/calibrate_report.hpp"
#include "spec/file_io.hpp"
#include "spec/hardware_catalog.hpp"
#include "spec/model_catalog.hpp"
#include "util/units.hpp"

namespace moefit::cli {
namespace {

struct CalibrateOptions {
    std::string model = "qwen3-30b-a3b";
    // At 1 GiB a step reads ~140 MiB, which a large last-level cache partly holds: on a Xeon VM
    // reporting 480 MiB of L3 the decode ran at 1.06-1.13 of the prediction, against 0.93-0.99 at 2 GiB.
    std::string budget = "2GiB";
    std::size_t threads = 0;
    int steps = 16;
    int rounds = 9;
    std::string measured;
    std::string out;
    bool json = false;
};

// The host's RAM as the OS reports it (0 when it cannot say).
std::uint64_t host_memory_bytes() {
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long page = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && page > 0 ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page) : 0;
}

// The last-level cache as the OS reports it (0 when it cannot say).
std::uint64_t last_level_cache_bytes() {
    const long bytes = sysconf(_SC_LEVEL3_CACHE_SIZE);
    return bytes > 0 ? static_cast<std::uint64_t>(bytes) : 0;
}

// Progress on stderr: a redrawn bar on a terminal, one line per phase otherwise.
class Progress {
public:
    Progress() : tty_(isatty(fileno(stderr)) != 0) {}
    void operator()(reference::CalibratePhase phase, double fraction) {
        const int index = static_cast<int>(phase);
        if (!tty_) {
            if (fraction == 0) std::fprintf(stderr, "calibrate: %s...\n", reference::phase_name(phase));
            return;
        }
        // Five phases of equal width; the bar shows the whole run.
        const double overall = (index + fraction) / 5.0;
        const int width = 30, filled = static_cast<int>(overall * width);
        std::fprintf(stderr, "\r[%s%s] %3d%% %-32s", std::string(static_cast<std::size_t>(filled), '#').c_str(),
                     std::string(static_cast<std::size_t>(width - filled), ' ').c_str(),
                     static_cast<int>(overall * 100), reference::phase_name(phase));
        if (phase == reference::CalibratePhase::predict && fraction >= 1) std::fprintf(stderr, "\n");
        std::fflush(stderr);
    }

private:
    bool tty_;
};

ExitCode run_measured(const CalibrateOptions& o) {
    auto text = spec::read_text_file(o.measured);
    if (!text) return report_error(text.error());
    auto run = engine::parse_measured_run(*text, o.measured);
    if (!run) return report_error(run.error());
    auto model = spec::load_model(run->model);
    if (!model) return report_error(model.error());
    auto hw = spec::load_hardware(run->hardware);
    if (!hw) return report_error(hw.error());
    auto fit = engine::fit_measured_run(*run, *model, *hw);
    if (!fit) return report_error(fit.error());
    const std::string shown =
        o.json ? report::measured_json(*run, *fit).dump(2) + "\n" : report::render_measured_text(*run, *fit);
    if (ExitCode c = emit(shown, OutputOptions{}); c != ExitCode::ok) return c;
    if (o.out.empty()) return ExitCode::ok;
    return emit(report::render_efficiency_override(*run, *fit), OutputOptions{false, o.out});
}

ExitCode run_calibrate(const CalibrateOptions& o) {
    if (!o.measured.empty()) return run_measured(o);
    auto budget = parse_size(o.budget);
    if (!budget) return report_error(budget.error().in_file("--budget"));
    if (o.steps < 1 || o.steps > 10'000)
        return report_error(
            make_error("expected 1 to 10000 steps, found " + std::to_string(o.steps), at_flag("--steps")));
    if (o.rounds < 1 || o.rounds > 100)
        return report_error(
            make_error("expected 1 to 100 rounds, found " + std::to_string(o.rounds), at_flag("--rounds")));
    auto model = spec::load_model(o.model);
    if (!model) return report_error(model.error());
    reference::CalibrateOptions co;
    co.budget_bytes = budget->bytes;
    co.steps = o.steps;
    co.rounds = o.rounds;
    co.host_memory_bytes = host_memory_bytes();
    co.last_level_cache_bytes = last_level_cache_bytes();
    reference::ThreadPool pool(o.threads);
    Progress progress;
    auto r =
        reference::calibrate(*model, pool, co, [&progress](reference::CalibratePhase p, double f) { progress(p, f); });
    if (!r) return report_error(r.error());
    const std::string shown = o.json ? report::calibrate_json(*r).dump(2) + "\n" : report::render_calibrate_text(*r);
    if (ExitCode c = emit(shown, OutputOptions{}); c != ExitCode::ok) return c;
    if (o.out.empty()) return ExitCode::ok;
    return emit(report::render_host_profile_toml(*r), OutputOptions{false, o.out});
}

}  // namespace

void add_calibrate(CLI::App& cmd, Action& action) {
    auto opts = std::make_shared<CalibrateOptions>();
    cmd.add_option("--model", opts->model, "built-in model or spec file to scale down and run")->capture_default_str();
    cmd.add_option("--budget", opts->budget, "weight bytes of the scaled reference model")->capture_default_str();
    cmd.add_option("--threads", opts->threads, "threads (default: all cores)");
    cmd.add_option("--steps", opts->steps, "timed decode steps per round")->capture_default_str();
    cmd.add_option("--rounds", opts->rounds, "rounds of timed steps between STREAM reads (the median round counts)")
        ->capture_default_str();
    cmd.add_option("--measured", opts->measured,
                   "fit the efficiency of your own engine's run from FILE ([measured] model, hardware, quant, "
                   "runtime, batch, context, decode_tps)");
    cmd.add_option("--out", opts->out,
                   "write the host's hardware profile (with --measured: the [[efficiency]] row) to FILE atomically");
    cmd.add_flag("--json", opts->json, "print the report as JSON");
    cmd.callback([opts, &action] { action = [opts] { return run_calibrate(*opts); }; });
}

}  // namespace moefit::cli
