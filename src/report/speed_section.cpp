#include "report/speed_section.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <vector>

#include "util/strings.hpp"
#include "util/units.hpp"

namespace moefit::report {
namespace {

using nlohmann::ordered_json;

std::string fraction_range(double v, double lo, double hi) {
    return fmt::format("{:.2f} ({:.2f}-{:.2f})", v, lo, hi);
}

// "12.19 GB: dense weights 1.02 GB, routed experts 6.88 GB (2.00 per layer), KV 4.29 GB".
std::string step_reads(const engine::StepExplanation& x) {
    std::string s = gb(x.device_bytes + x.host_bytes) + ": dense weights " + gb(x.dense_bytes);
    if (x.expert_bytes > 0 || x.experts_touched > 0)
        s += ", routed experts " + gb(x.expert_bytes) + " (" + format_speed(x.experts_touched) + " per layer)";
    if (x.kv_bytes > 0) s += ", KV " + gb(x.kv_bytes);
    if (x.host_bytes > 0) s += ", experts in host RAM " + gb(x.host_bytes);
    return s;
}

}  // namespace

std::string format_speed(double v) {
    if (v >= 100) return fmt::format("{:.0f}", v);
    if (v >= 10) return fmt::format("{:.1f}", v);
    if (v >= 1) return fmt::format("{:.2f}", v);
    return fmt::format("{:.3f}", v);
}

std::string format_speed_range(const engine::Speed& s) {
    return format_speed(s.low) + "-" + format_speed(s.high);
}

std::string format_seconds(double s) {
    return s >= 1 ? format_speed(s) + " s" : format_speed(s * 1000) + " ms";
}

std::string placement_text(const engine::ThroughputPlacement& p) {
    if (p.devices == 0) return "CPU only";
    std::string s = std::to_string(p.devices) + (p.devices == 1 ? " device" : " devices");
    if (p.tp > 1) s += ", TP " + std::to_string(p.tp);
    if (p.ep > 1) s += ", EP " + std::to_string(p.ep);
    if (p.pp > 1) s += ", " + std::to_string(p.pp) + " pipeline stages";
    const auto host_layers =
        std::count_if(p.host_expert_share.begin(), p.host_expert_share.end(), [](double v) { return v > 0; });
    if (host_layers > 0) s += ", experts of " + std::to_string(host_layers) + " layers in host RAM";
    return s;
}

std::string efficiency_text(const engine::Efficiency& e) {
    return "bandwidth " + fraction_range(e.bandwidth, e.bandwidth_low, e.bandwidth_high) + ", compute " +
           fraction_range(e.compute, e.compute_low, e.compute_high) + " of peak [" + e.source + "]";
}

std::string peak_text(const engine::StepExplanation& x) {
    return fmt::format("{:.0f} GB/s, {}; expert skew {:.2f}", x.bandwidth_GBps,
                       x.peak_tflops > 0 ? format_speed(x.peak_tflops) + " TFLOPS (" + x.peak_note + ")"
                                         : std::string("compute peak not known"),
                       x.expert_skew);
}

ordered_json speed_value_json(const engine::Speed& s) {
    return {{"value", s.value}, {"low", s.low}, {"high", s.high}};
}

ordered_json efficiency_json(const engine::Efficiency& e) {
    return {{"bandwidth", {{"value", e.bandwidth}, {"low", e.bandwidth_low}, {"high", e.bandwidth_high}}},
            {"compute", {{"value", e.compute}, {"low", e.compute_low}, {"high", e.compute_high}}},
            {"source", e.source}};
}

ordered_json placement_json(const engine::ThroughputPlacement& p) {
    return {
        {"devices", p.devices}, {"tp", p.tp}, {"ep", p.ep}, {"pp", p.pp}, {"host_expert_share", p.host_expert_share}};
}

ordered_json step_json(const engine::StepExplanation& x) {
    ordered_json j;
    j["bound"] = engine::bound_name(x.bound);
    j["device_bytes"] = x.device_bytes;
    j["dense_bytes"] = x.dense_bytes;
    j["expert_bytes"] = x.expert_bytes;
    j["kv_bytes"] = x.kv_bytes;
    j["host_bytes"] = x.host_bytes;
    j["flops"] = x.flops;
    j["experts_touched_per_layer"] = x.experts_touched;
    j["seconds"] = {{"memory", x.memory_seconds},
                    {"compute", x.compute_seconds},
                    {"host", x.host_seconds},
                    {"communication", x.comm_seconds},
                    {"total", x.step_seconds}};
    j["bandwidth_GBps"] = x.bandwidth_GBps;
    j["peak_tflops"] = x.peak_tflops > 0 ? ordered_json(x.peak_tflops) : ordered_json(nullptr);
    j["peak_note"] = x.peak_note;
    j["efficiency"] = efficiency_json(x.efficiency);
    j["host_efficiency"] = x.host_efficiency ? efficiency_json(*x.host_efficiency) : ordered_json(nullptr);
    j["expert_skew"] = x.expert_skew;
    j["notes"] = x.notes;
    return j;
}

std::string render_speed_section(const engine::SpeedSummary& s) {
    const engine::DecodeResult& d = s.decode;
    const engine::PrefillResult& p = s.prefill;
    std::vector<std::pair<std::string, std::string>> lines;
    std::string decode_label = "decode at " + format_tokens(s.context_tokens) + " context";
    std::string decode = format_speed(d.per_sequence.value) + " tok/s";
    if (s.batch > 1) {
        decode_label += ", " + std::to_string(s.batch) + " sequences";
        decode += " each (" + format_speed_range(d.per_sequence) + "), " + format_speed(d.total.value) +
                  " tok/s total (" + format_speed_range(d.total) + ")";
    } else {
        decode += " (" + format_speed_range(d.per_sequence) + ")";
    }
    lines.emplace_back(decode_label, decode + ", " + engine::bound_name(d.step.bound) + " bound");
    lines.emplace_back("each decode step reads", step_reads(d.step));
    const std::string prefill_label = "prefill of " + format_tokens(p.prompt_tokens) + " tokens";
    if (p.available)
        lines.emplace_back(prefill_label, format_speed(p.tokens_per_second.value) + " tok/s (" +
                                              format_speed_range(p.tokens_per_second) + "), first token in " +
                                              format_seconds(p.ttft_seconds.value) + " (" +
                                              format_seconds(p.ttft_seconds.low) + "-" +
                                              format_seconds(p.ttft_seconds.high) + "), " +
                                              engine::bound_name(p.step.bound) + " bound");
    else
        lines.emplace_back(prefill_label, "not estimated: " + p.unavailable_reason);
    lines.emplace_back("efficiency", efficiency_text(s.efficiency));
    if (d.step.host_efficiency) lines.emplace_back("host efficiency", efficiency_text(*d.step.host_efficiency));
    lines.emplace_back("peak", peak_text(d.step));

    std::size_t width = 0;
    for (const auto& [label, text] : lines) width = std::max(width, label.size());
    std::string out = "Speed (" + s.runtime + ", " + placement_text(s.placement) + ")\n";
    for (const auto& [label, text] : lines) out += fmt::format("  {:<{}}  {}\n", label, width, text);
    std::set<std::string> notes(d.step.notes.begin(), d.step.notes.end());
    notes.insert(p.step.notes.begin(), p.step.notes.end());
    notes.insert("ranges come from the spread of the fitted efficiencies (in-sample, see README)");
    for (const std::string& n : notes) out += "  note: " + n + "\n";
    return out;
}

ordered_json speed_json(const engine::SpeedSummary& s) {
    ordered_json j;
    j["runtime"] = s.runtime;
    j["placement"] = placement_json(s.placement);
    j["batch"] = s.batch;
    j["context_tokens"] = s.context_tokens;
    j["prompt_tokens"] = s.prefill.prompt_tokens;
    j["decode"] = {{"per_sequence_tokens_per_second", speed_value_json(s.decode.per_sequence)},
                   {"total_tokens_per_second", speed_value_json(s.decode.total)},
                   {"bound", engine::bound_name(s.decode.step.bound)},
                   {"step", step_json(s.decode.step)}};
    ordered_json prefill = {{"available", s.prefill.available}};
    if (s.prefill.available) {
        prefill["tokens_per_second"] = speed_value_json(s.prefill.tokens_per_second);
        prefill["ttft_seconds"] = speed_value_json(s.prefill.ttft_seconds);
        prefill["bound"] = engine::bound_name(s.prefill.step.bound);
        prefill["step"] = step_json(s.prefill.step);
    } else {
        prefill["reason"] = s.prefill.unavailable_reason;
    }
    j["prefill"] = prefill;
    j["efficiency"] = efficiency_json(s.efficiency);
    return j;
}

}  // namespace moefit::report
