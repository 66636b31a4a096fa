#include "report/compare_report.hpp"

#include <fmt/format.h>

#include "report/fit_report.hpp"
#include "report/speed_section.hpp"
#include "report/table.hpp"
#include "util/strings.hpp"
#include "util/units.hpp"

namespace moefit::report {
namespace {

// The first row with a speed, for what every row shares (placement, efficiency, depth).
const engine::SpeedSummary* first_speed(const engine::CompareResult& r) {
    for (const auto& row : r.rows)
        if (row.speed) return &*row.speed;
    return nullptr;
}

// "speed: decode at 32K context x 1 sequence, prefill of 512 tokens, on 1 device" and the
// efficiency row every row uses; or why no speed was estimated.
std::string speed_line(const engine::CompareResult& r) {
    const engine::SpeedSummary* s = first_speed(r);
    if (!s) return "speed: not estimated: " + r.speed_unavailable + "\n";
    return fmt::format("speed: decode at {} context x {} sequence{}, prefill of {} tokens, on {}\n       {}\n",
                       format_tokens(s->context_tokens), s->batch, s->batch == 1 ? "" : "s",
                       format_tokens(s->prefill.prompt_tokens), placement_text(s->placement),
                       efficiency_text(s->efficiency));
}

// Decode tok/s per sequence, its range, prefill tok/s; "-" for options that do not fit (their
// speed would never be seen) and when the speed is unknown.
std::vector<std::string> speed_cells(const engine::CompareRow& row) {
    if (!row.speed || row.fit.verdict == engine::Verdict::does_not_fit) return {"-", "-", "-"};
    const engine::SpeedSummary& s = *row.speed;
    return {format_speed(s.decode.per_sequence.value), format_speed_range(s.decode.per_sequence),
            s.prefill.available ? format_speed(s.prefill.tokens_per_second.value) : "-"};
}

nlohmann::ordered_json nullable_speed(const engine::Speed& s, bool present) {
    return present ? speed_value_json(s) : nlohmann::ordered_json(nullptr);
}

}  // namespace

std::string render_compare_text(const CompareInput& in) {
    const auto& r = in.result;
    const auto& s = r.setup;
    std::string out = fit_title(in.spec, in.hw) + "\n";
    out += fmt::format("{}, {} tokens of context x {} sequence{}, KV {}\n\n", engine::runtime_name(s.runtime),
                       format_tokens(s.context_tokens), s.sequences, s.sequences == 1 ? "" : "s",
                       engine::kv_dtype_name(s.kv.k_dtype));
    out.insert(out.size() - 1, speed_line(r));
    Table t({"", "quant", "bits/w", "weights", "required", "available", "headroom", "verdict", "largest context",
             "decode tok/s", "range", "prefill tok/s"},
            {false, false, true, true, true, true, true, false, true, true, true, true});
    for (std::size_t i = 0; i < r.rows.size(); ++i) {
        const auto& f = r.rows[i].fit;
        std::vector<std::string> cells = {static_cast<int>(i) == r.best ? "*" : "",
                                          r.rows[i].quant,
                                          fmt::format("{:.2f}", f.weights.bits_per_weight),
                                          gib(f.weights.total_bytes),
                                          gib(f.required_bytes),
                                          gib(f.available_bytes),
                                          signed_gib(f.headroom_bytes),
                                          engine::verdict_name(f.verdict),
                                          f.max_context_tokens == 0 ? "-" : format_tokens(f.max_context_tokens)};
        for (std::string& c : speed_cells(r.rows[i])) cells.push_back(std::move(c));
        t.add_row(std::move(cells));
    }
    out += t.render();
    if (r.best >= 0)
        out += fmt::format("\n* best: {}, the most bits per weight that fits{}.\n", r.rows[r.best].quant,
                           r.rows[r.best].fit.verdict == engine::Verdict::tight ? " (tightly)" : "");
    else
        out += "\nNothing fits: try a shorter context, fewer sequences, more devices or expert offload.\n";
    if (first_speed(r)) out += "Speeds (tok/s) assume the option fits; the range comes from the efficiency spread.\n";
    return out;
}

nlohmann::ordered_json compare_json(const CompareInput& in) {
    const auto& r = in.result;
    nlohmann::ordered_json j;
    j["schema"] = "moefit.compare";
    j["schema_version"] = kCompareSchemaVersion;
    j["model"] = model_ref_json(in.spec);
    j["hardware"] = hardware_ref_json(in.hw);
    j["setup"] = {{"runtime", engine::runtime_name(r.setup.runtime)},
                  {"context_tokens", r.setup.context_tokens},
                  {"sequences", r.setup.sequences},
                  {"kv_dtype", engine::kv_dtype_name(r.setup.kv.k_dtype)}};
    if (const engine::SpeedSummary* s = first_speed(r))
        j["speed"] = {{"runtime", s->runtime},
                      {"placement", placement_json(s->placement)},
                      {"batch", s->batch},
                      {"context_tokens", s->context_tokens},
                      {"prompt_tokens", s->prefill.prompt_tokens},
                      {"efficiency", efficiency_json(s->efficiency)},
                      {"unavailable", nullptr}};
    else
        j["speed"] = {{"unavailable", r.speed_unavailable}};
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < r.rows.size(); ++i) {
        const auto& f = r.rows[i].fit;
        rows.push_back({{"quant", r.rows[i].quant},
                        {"best", static_cast<int>(i) == r.best},
                        {"bits_per_weight", f.weights.bits_per_weight},
                        {"weights_bytes", f.weights.total_bytes},
                        {"required_bytes", f.required_bytes},
                        {"available_bytes", f.available_bytes},
                        {"headroom_bytes", f.headroom_bytes},
                        {"verdict", engine::verdict_name(f.verdict)},
                        {"max_context_tokens", f.max_context_tokens},
                        {"max_sequences", f.max_sequences}});
        const auto& speed = r.rows[i].speed;
        auto& row = rows.back();
        row["decode_tokens_per_second"] = nullable_speed(speed ? speed->decode.per_sequence : engine::Speed{}, !!speed);
        row["decode_total_tokens_per_second"] = nullable_speed(speed ? speed->decode.total : engine::Speed{}, !!speed);
        row["decode_bound"] = speed ? nlohmann::ordered_json(engine::bound_name(speed->decode.step.bound))
                                    : nlohmann::ordered_json(nullptr);
        const bool prefill = speed && speed->prefill.available;
        row["prefill_tokens_per_second"] =
            nullable_speed(prefill ? speed->prefill.tokens_per_second : engine::Speed{}, prefill);
        row["ttft_seconds"] = nullable_speed(prefill ? speed->prefill.ttft_seconds : engine::Speed{}, prefill);
    }
    j["rows"] = rows;
    j["best"] = r.best >= 0 ? nlohmann::ordered_json(r.rows[r.best].quant) : nlohmann::ordered_json(nullptr);
    return j;
}

}  // namespace moefit::report
