#include "report/speed_report.hpp"

#include <set>

#include "report/speed_section.hpp"
#include "report/table.hpp"
#include "util/strings.hpp"
#include "util/units.hpp"

namespace moefit::report {
namespace {

using nlohmann::ordered_json;

}  // namespace

std::string render_speed_text(const SpeedInput& in) {
    std::string out = in.spec.name + " " + in.scheme + " (" + gb(static_cast<double>(in.weight_bytes)) +
                      " of weights) on " + in.hardware.name + "\n";
    out += "runtime " + in.runtime + ", " + placement_text(in.placement) + "\n";
    if (!in.decode.empty()) {
        const engine::StepExplanation& x = in.decode.front().step;
        out += "efficiency: " + efficiency_text(x.efficiency) + "\n";
        if (x.host_efficiency) out += "host: " + efficiency_text(*x.host_efficiency) + "\n";
        out += "peak: " + peak_text(x) + "\n";
        out += "\nDecode\n";
        Table t({"batch", "context", "tok/s per seq", "range", "total tok/s", "bound", "bytes/step", "experts/layer"},
                {true, true, true, true, true, false, true, true});
        for (const engine::DecodeResult& d : in.decode)
            t.add_row({std::to_string(d.batch), format_tokens(d.context_tokens), format_speed(d.per_sequence.value),
                       format_speed_range(d.per_sequence), format_speed(d.total.value),
                       engine::bound_name(d.step.bound), gb(d.step.device_bytes + d.step.host_bytes),
                       d.step.experts_touched > 0 ? format_speed(d.step.experts_touched) : "-"});
        out += t.render();
    }
    if (!in.prefill.empty()) {
        out += "\nPrefill (one sequence)\n";
        Table t({"prompt", "tok/s", "range", "TTFT", "TTFT range", "bound"}, {true, true, true, true, true, false});
        for (const engine::PrefillResult& p : in.prefill) {
            if (!p.available) {
                t.add_row({format_tokens(p.prompt_tokens), "-", "-", "-", "-", p.unavailable_reason});
                continue;
            }
            t.add_row({format_tokens(p.prompt_tokens), format_speed(p.tokens_per_second.value),
                       format_speed_range(p.tokens_per_second), format_seconds(p.ttft_seconds.value),
                       format_seconds(p.ttft_seconds.low) + "-" + format_seconds(p.ttft_seconds.high),
                       engine::bound_name(p.step.bound)});
        }
        out += t.render();
    }
    std::set<std::string> notes;
    for (const auto& d : in.decode) notes.insert(d.step.notes.begin(), d.step.notes.end());
    for (const auto& p : in.prefill) notes.insert(p.step.notes.begin(), p.step.notes.end());
    notes.insert("speeds assume the model fits (see `moefit fit`); ranges come from the efficiency spread");
    out += "\n";
    for (const engine::Assumption& a : in.assumptions)
        out += "assumed: " + a.name + " " + a.value + ", " + a.source + "\n";
    for (const std::string& n : notes) out += "note: " + n + "\n";
    return out;
}

ordered_json speed_json(const SpeedInput& in) {
    ordered_json j;
    j["schema"] = "moefit.speed";
    j["schema_version"] = kSpeedSchemaVersion;
    j["model"] = in.spec.id;
    j["scheme"] = in.scheme;
    j["weight_bytes"] = in.weight_bytes;
    j["hardware"] = in.hardware.id;
    j["runtime"] = in.runtime;
    j["placement"] = placement_json(in.placement);
    ordered_json assumptions = ordered_json::array();
    for (const engine::Assumption& a : in.assumptions)
        assumptions.push_back({{"name", a.name}, {"value", a.value}, {"source", a.source}});
    j["assumptions"] = assumptions;
    ordered_json decode = ordered_json::array();
    for (const engine::DecodeResult& d : in.decode)
        decode.push_back({{"batch", d.batch},
                          {"context_tokens", d.context_tokens},
                          {"per_sequence_tokens_per_second", speed_value_json(d.per_sequence)},
                          {"total_tokens_per_second", speed_value_json(d.total)},
                          {"step", step_json(d.step)}});
    j["decode"] = decode;
    ordered_json prefill = ordered_json::array();
    for (const engine::PrefillResult& p : in.prefill) {
        ordered_json o = {
            {"prompt_tokens", p.prompt_tokens}, {"start_tokens", p.start_tokens}, {"available", p.available}};
        if (!p.available) {
            o["reason"] = p.unavailable_reason;
        } else {
            o["tokens_per_second"] = speed_value_json(p.tokens_per_second);
            o["ttft_seconds"] = speed_value_json(p.ttft_seconds);
            o["step"] = step_json(p.step);
        }
        prefill.push_back(o);
    }
    j["prefill"] = prefill;
    return j;
}

}  // namespace moefit::report
