#include "report/calibrate_report.hpp"

#include <fmt/format.h>

#include "report/speed_section.hpp"
#include "util/units.hpp"

namespace moefit::report {
namespace {

const char* kind_text(reference::WeightKind k) {
    switch (k) {
        case reference::WeightKind::f32:
            return "f32";
        case reference::WeightKind::f16:
            return "f16";
        case reference::WeightKind::bf16:
            return "bf16";
        case reference::WeightKind::q8_0:
            return "q8_0";
        case reference::WeightKind::q4_0:
            return "q4_0";
    }
    return "?";
}

double ratio(double measured, double predicted) {
    return predicted > 0 ? measured / predicted : 0;
}

}  // namespace

std::string render_calibrate_text(const reference::CalibrateResult& r) {
    const model::ModelSpec& s = r.scaled;
    std::string out;
    out += fmt::format("host: {} threads; STREAM read {:.2f} GB/s, triad {:.2f} GB/s; {} kernel {:.1f} GFLOP/s\n",
                       r.threads, r.bandwidth.read_bytes_per_second / 1e9, r.bandwidth.triad_bytes_per_second / 1e9,
                       kind_text(r.kernel_kind), r.kernel_flops_per_second / 1e9);
    out += fmt::format("reference model: {} scaled to {} layers, hidden {}, {} experts (k = {}), {}, {} of weights\n",
                       s.name, s.num_layers, s.hidden_size, s.moe.num_experts, s.moe.experts_per_token, r.scheme,
                       format_bytes(r.weight_bytes));
    out += fmt::format(
        "streaming: the kernels read every weight once in order at {:.2f} GB/s = {:.2f} of the STREAM read\n",
        r.streaming.bytes_per_second / 1e9, r.streaming.fraction_of_read);
    const double predicted = r.predicted.total.value;
    out += fmt::format("decode at batch 1 ({} rounds of {} steps between STREAM reads, depth ~{}; the median round):\n",
                       r.rounds.size(), r.steps, r.context_tokens);
    out += fmt::format(
        "  measured   {} tok/s, {} moved per step, {:.2f} GB/s\n", format_speed(r.measured_tokens_per_second),
        format_bytes(static_cast<std::uint64_t>(r.measured_bytes_per_step)), r.measured_bytes_per_second / 1e9);
    out += fmt::format("  predicted  {} tok/s ({}), {} per step, bound by {}\n", format_speed(predicted),
                       format_speed_range(r.predicted.total),
                       format_bytes(static_cast<std::uint64_t>(r.predicted.step.device_bytes)),
                       engine::bound_name(r.predicted.step.bound));
    out += fmt::format("  measured / predicted = {:.2f}\n", ratio(r.measured_tokens_per_second, predicted));
    if (r.last_level_cache_bytes > 0) {
        // A step that a cache can hold is partly read from it: the measurement then runs ahead of
        // the memory, and the fitted efficiency with it.
        const double times = r.measured_bytes_per_step / static_cast<double>(r.last_level_cache_bytes);
        const char* note = times < 1 ? ": much of it stays cached between steps, so the measurement runs ahead "
                                       "of the memory (a larger --budget avoids that)"
                                     : "";
        out += fmt::format("  a step reads {:.1f} times the last-level cache ({}){}\n", times,
                           format_bytes(r.last_level_cache_bytes), note);
    }
    std::string fractions;
    for (const reference::CalibrateRound& c : r.rounds)
        fractions += fmt::format("{}{:.2f}", fractions.empty() ? "" : ", ", c.fraction_of_read);
    out += fmt::format("  rounds: measured / STREAM read = {}\n", fractions);
    out += fmt::format("efficiency: fitted bandwidth {:.3f} of the STREAM read; predicted with {}\n",
                       r.fitted_bandwidth_efficiency, efficiency_text(r.predicted.step.efficiency));
    return out;
}

nlohmann::ordered_json calibrate_json(const reference::CalibrateResult& r) {
    nlohmann::ordered_json j;
    j["schema"] = "moefit.calibrate";
    j["schema_version"] = kCalibrateSchemaVersion;
    j["host"] = {{"threads", r.threads},
                 {"last_level_cache_bytes", r.last_level_cache_bytes},
                 {"read_bytes_per_second", r.bandwidth.read_bytes_per_second},
                 {"triad_bytes_per_second", r.bandwidth.triad_bytes_per_second},
                 {"kernel", kind_text(r.kernel_kind)},
                 {"kernel_flops_per_second", r.kernel_flops_per_second},
                 {"streaming_bytes_per_second", r.streaming.bytes_per_second},
                 {"streaming_fraction_of_read", r.streaming.fraction_of_read}};
    j["model"] = {{"name", r.scaled.name},
                  {"layers", r.scaled.num_layers},
                  {"hidden_size", r.scaled.hidden_size},
                  {"num_experts", r.scaled.moe.num_experts},
                  {"experts_per_token", r.scaled.moe.experts_per_token},
                  {"scheme", r.scheme},
                  {"weight_bytes", r.weight_bytes}};
    j["decode"] = {
        {"batch", 1},
        {"steps", r.steps},
        {"context_tokens", r.context_tokens},
        {"measured",
         {{"tokens_per_second", r.measured_tokens_per_second},
          {"bytes_per_step", r.measured_bytes_per_step},
          {"bytes_per_second", r.measured_bytes_per_second}}},
        {"predicted",
         {{"tokens_per_second", speed_value_json(r.predicted.total)}, {"step", step_json(r.predicted.step)}}},
        {"measured_over_predicted", ratio(r.measured_tokens_per_second, r.predicted.total.value)}};
    nlohmann::ordered_json rounds = nlohmann::ordered_json::array();
    for (const reference::CalibrateRound& c : r.rounds)
        rounds.push_back({{"read_bytes_per_second", c.read_bytes_per_second},
                          {"tokens_per_second", c.tokens_per_second},
                          {"bytes_per_step", c.bytes_per_step},
                          {"fraction_of_read", c.fraction_of_read}});
    j["decode"]["rounds"] = rounds;
    j["efficiency"] = {{"fitted_bandwidth", r.fitted_bandwidth_efficiency},
                       {"predicted_with", efficiency_json(r.predicted.step.efficiency)}};
    return j;
}

std::string render_host_profile_toml(const reference::CalibrateResult& r) {
    const spec::HardwareProfile& p = r.profile;
    std::string out;
    out += "# This host, measured by `moefit calibrate` (figures are of the machine it ran on, when it ran).\n";
    out += fmt::format("# Threads: {}. STREAM-style read {:.2f} GB/s, triad {:.2f} GB/s (medians of {} sweeps).\n",
                       r.threads, r.bandwidth.read_bytes_per_second / 1e9, r.bandwidth.triad_bytes_per_second / 1e9,
                       r.bandwidth.read_samples.size());
    out += fmt::format(
        "# Matvec kernel ({}, batch 1, cache-resident): {:.1f} GFLOP/s (a cpu profile has no key for it).\n",
        kind_text(r.kernel_kind), r.kernel_flops_per_second / 1e9);
    out += fmt::format("# The kernels streaming the reference weights in order: {:.2f} GB/s, {:.2f} of the read.\n",
                       r.streaming.bytes_per_second / 1e9, r.streaming.fraction_of_read);
    out += fmt::format("# Reference decode of {} ({}, {}): measured {:.2f} tok/s, predicted {:.2f} tok/s.\n",
                       r.scaled.name, r.scheme, format_bytes(r.weight_bytes), r.measured_tokens_per_second,
                       r.predicted.total.value);
    out += fmt::format(
        "# Fitted bandwidth efficiency: {:.3f} of bandwidth_GBps (the measured read, not a datasheet peak).\n",
        r.fitted_bandwidth_efficiency);
    out += "\n[hardware]\n";
    out += fmt::format("id = \"{}\"\nname = \"{}\"\nvendor = \"{}\"\nkind = \"{}\"\n", p.id, p.name, p.vendor,
                       spec::kind_name(p.kind));
    out += "\n[host]\n";
    out += fmt::format("memory = \"{}MiB\"\n", p.host.memory.bytes / MiB);
    out += fmt::format("bandwidth_GBps = {:.2f}\n", p.host.bandwidth_GBps);
    out += fmt::format("cores = {}\n", p.host.cores);
    out += fmt::format("decode_efficiency = {:.3f}  # measured above; fit and speed use it for this host\n",
                       r.fitted_bandwidth_efficiency);
    return out;
}

std::string render_measured_text(const engine::MeasuredRun& run, const engine::MeasuredFit& fit) {
    std::string out;
    out +=
        fmt::format("measured: {} {} on {} with {}, batch {}, depth {}: {} tok/s\n", run.model, run.quant, run.hardware,
                    run.runtime, run.batch, run.context_tokens, format_speed(run.decode_tokens_per_second));
    out += fmt::format("predicted: {} tok/s ({}), {} per step, bound by {}, with {}\n",
                       format_speed(fit.predicted.total.value), format_speed_range(fit.predicted.total),
                       format_bytes(static_cast<std::uint64_t>(fit.bytes_per_step)),
                       engine::bound_name(fit.predicted.step.bound), efficiency_text(fit.predicted.step.efficiency));
    out +=
        fmt::format("measured / predicted = {:.2f}\n", ratio(run.decode_tokens_per_second, fit.predicted.total.value));
    out += fmt::format("fitted bandwidth efficiency for {} on {}: {:.3f} of {:.1f} GB/s\n", run.runtime,
                       fit.device_class, fit.fitted_bandwidth_efficiency, fit.bandwidth_bytes_per_second / 1e9);
    out += "\n" + render_efficiency_override(run, fit);
    return out;
}

nlohmann::ordered_json measured_json(const engine::MeasuredRun& run, const engine::MeasuredFit& fit) {
    nlohmann::ordered_json j;
    j["schema"] = "moefit.calibrate.measured";
    j["schema_version"] = kCalibrateSchemaVersion;
    j["measured"] = {{"model", run.model},
                     {"hardware", run.hardware},
                     {"quant", run.quant},
                     {"runtime", run.runtime},
                     {"batch", run.batch},
                     {"context_tokens", run.context_tokens},
                     {"tokens_per_second", run.decode_tokens_per_second}};
    j["device_class"] = fit.device_class;
    j["predicted"] = {{"tokens_per_second", speed_value_json(fit.predicted.total)},
                      {"step", step_json(fit.predicted.step)}};
    j["measured_over_predicted"] = ratio(run.decode_tokens_per_second, fit.predicted.total.value);
    j["fitted_bandwidth_efficiency"] = fit.fitted_bandwidth_efficiency;
    j["bandwidth_bytes_per_second"] = fit.bandwidth_bytes_per_second;
    return j;
}

std::string render_efficiency_override(const engine::MeasuredRun& run, const engine::MeasuredFit& fit) {
    const engine::Efficiency& c = fit.predicted.step.efficiency;
    std::string out;
    out += fmt::format("# Fitted by `moefit calibrate --measured` from {} tok/s of {} {} on {} (batch {}).\n",
                       run.decode_tokens_per_second, run.model, run.quant, run.hardware, run.batch);
    out += "[[efficiency]]\n";
    out += fmt::format("runtime = \"{}\"\ndevice_class = \"{}\"\n", run.runtime, fit.device_class);
    out += fmt::format("bandwidth = {:.3f}\n", fit.fitted_bandwidth_efficiency);
    out += fmt::format("compute = {:.3f}\ncompute_low = {:.3f}\ncompute_high = {:.3f}\n", c.compute, c.compute_low,
                       c.compute_high);
    out += "points = 1\n";
    return out;
}

}  // namespace moefit::report
