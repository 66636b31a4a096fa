#include "report/fit_report.hpp"

#include <fmt/format.h>

#include <cstdlib>

#include "report/speed_section.hpp"
#include "report/table.hpp"
#include "util/strings.hpp"
#include "util/units.hpp"

namespace moefit::report {
namespace {

using nlohmann::ordered_json;

std::string upper(std::string s) {
    for (auto& ch : s) ch = static_cast<char>(ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch);
    return s;
}

std::string setup_line(const engine::FitResult& r) {
    const auto& s = r.setup;
    return fmt::format("{} ({:.2f} bits/weight), {}, {} tokens of context x {} sequence{}, KV {}", s.quant,
                       r.weights.bits_per_weight, engine::runtime_name(s.runtime), format_tokens(s.context_tokens),
                       s.sequences, s.sequences == 1 ? "" : "s", engine::kv_dtype_name(s.kv.k_dtype));
}

std::string assumptions_table(const engine::FitResult& r) {
    Table t({"assumption", "value", "why / source"});
    for (const auto* list : {&r.setup.assumptions, &r.capacity.assumptions, &r.placement.assumptions, &r.kv.assumptions,
                             &r.overhead.assumptions})
        for (const auto& a : *list) t.add_row({a.name, a.value, a.source});
    return t.render();
}

std::string limits_text(const engine::FitResult& r) {
    std::string out;
    if (r.max_context_tokens == 0)
        out += fmt::format("  largest context at batch {}: none fits\n", r.setup.sequences);
    else
        out += fmt::format("  largest context at batch {}: {} tokens{}\n", r.setup.sequences,
                           format_tokens(r.max_context_tokens),
                           r.max_context_is_model_limit ? " (the model's maximum)" : "");
    if (r.max_sequences == 0)
        out += fmt::format("  largest batch at {} context: none fits\n", format_tokens(r.setup.context_tokens));
    else
        out += fmt::format("  largest batch at {} context: {} sequence{}\n", format_tokens(r.setup.context_tokens),
                           r.max_sequences, r.max_sequences == 1 ? "" : "s");
    return out;
}

std::string insight_text(const engine::FitResult& r) {
    const auto& m = r.insight;
    std::string out = fmt::format("  memory holds all {} parameters; a token uses {} ({:.1f}%)\n",
                                  format_count(m.total_params), format_count(m.active_params), m.active_share * 100);
    out += fmt::format("  a dense model with the same {} active parameters would need {} of weights\n",
                       format_count(m.active_params), gib(m.dense_same_active_bytes));
    if (m.bytes_per_token_ratio > 0)
        out += fmt::format(
            "  a dense model of the same {} in memory would read {:.1f}x more bytes per token "
            "(decode about {:.1f}x slower)\n",
            gib(r.weights.total_bytes), m.bytes_per_token_ratio, m.bytes_per_token_ratio);
    return out;
}

// Whether two stage rows can share one line ("GPU 0-7 (each)").
bool same_load(const engine::DeviceLoad& a, const engine::DeviceLoad& b) {
    return a.weight_bytes == b.weight_bytes && a.kv_bytes == b.kv_bytes && a.overhead_bytes == b.overhead_bytes &&
           a.reserved_bytes == b.reserved_bytes && a.capacity_bytes == b.capacity_bytes && a.layers == b.layers;
}

std::string devices_table(const engine::FitResult& r) {
    const auto& p = r.placement;
    Table t({"device", "layers", "weights", "KV", "overhead", "reserved", "capacity", "headroom", ""},
            {false, true, true, true, true, true, true, true, false});
    const auto& stages = p.stages;
    for (std::size_t i = 0; i < stages.size();) {
        std::size_t j = i + 1;
        while (j < stages.size() && same_load(stages[i], stages[j])) ++j;
        const auto& row = stages[i];
        std::uint64_t count = 0;
        for (std::size_t k = i; k < j; ++k) count += stages[k].count;
        std::string name = row.name;
        if (count > 1) {
            const std::uint64_t first = row.first_device;
            name = fmt::format("GPU {}-{} (each)", first, first + count - 1);
        }
        const std::string layers =
            j - i > 1
                ? fmt::format("{} each", row.layers)
                : (row.layers == 0 ? "-" : fmt::format("{}-{}", row.first_layer, row.first_layer + row.layers - 1));
        const bool binding = p.binding >= i && p.binding < j;
        t.add_row({name, layers, gib(row.weight_bytes), gib(row.kv_bytes), gib(row.overhead_bytes),
                   gib(row.reserved_bytes), gib(row.capacity_bytes), signed_gib(row.headroom_bytes),
                   binding ? "most loaded" : ""});
        i = j;
    }
    if (p.host) {
        const auto& h = *p.host;
        t.add_row({"host", "-", gib(h.weight_bytes), "-", "-", h.checked ? gib(h.reserved_bytes) : "-",
                   h.checked ? gib(h.capacity_bytes) : "not known", h.checked ? signed_gib(h.headroom_bytes) : "-",
                   p.binding == stages.size() ? "most loaded" : (h.checked ? "" : "not checked (--host-memory)")});
    }
    return t.render();
}

ordered_json device_json(const engine::DeviceLoad& d, bool binding) {
    return {{"name", d.name},
            {"first_device", d.first_device},
            {"count", d.count},
            {"host", d.host},
            {"checked", d.checked},
            {"first_layer", d.first_layer},
            {"layers", d.layers},
            {"weight_bytes", d.weight_bytes},
            {"kv_bytes", d.kv_bytes},
            {"overhead_bytes", d.overhead_bytes},
            {"reserved_bytes", d.reserved_bytes},
            {"capacity_bytes", d.capacity_bytes},
            {"headroom_bytes", d.headroom_bytes},
            {"most_loaded", binding}};
}

ordered_json assumptions_json(const std::vector<engine::Assumption>& list) {
    ordered_json a = ordered_json::array();
    for (const auto& x : list) a.push_back({{"name", x.name}, {"value", x.value}, {"source", x.source}});
    return a;
}

}  // namespace

std::string fit_title(const model::ModelSpec& spec, const spec::HardwareProfile& hw) {
    return fmt::format("{} on {}", spec.name, hw.name);
}

std::string render_fit_text(const FitInput& in) {
    const auto& r = in.result;
    std::string out = fit_title(in.spec, in.hw) + "\n" + setup_line(r) + "\n\n";
    out += fmt::format("Verdict: {}", upper(engine::verdict_name(r.verdict)));
    const auto& b = r.placement.binding_row();
    const bool one = r.placement.stages.size() == 1 && r.placement.stages[0].count == 1 && !b.host;
    const std::string where = one ? "" : (b.count > 1 ? " on " + b.name + ", each" : " on " + b.name);
    out += b.headroom_bytes < 0
               ? fmt::format(" (short by {}{})\n", gib(static_cast<std::uint64_t>(-b.headroom_bytes)), where)
               : fmt::format(" ({} headroom{})\n", gib(static_cast<std::uint64_t>(b.headroom_bytes)), where);
    for (const auto& reason : r.reasons) out += "  - " + reason + "\n";

    out += "\nMemory" +
           std::string(r.capacity.devices > 1 ? fmt::format(" (all {} devices)", r.capacity.devices) : "") + "\n";
    Table t({"", "bytes", "share", "detail"}, {false, true, true, false});
    for (const auto& line : r.breakdown)
        t.add_row(
            {line.name, gib(line.bytes),
             fmt::format("{:.1f}%", r.required_bytes ? 100.0 * double(line.bytes) / double(r.required_bytes) : 0.0),
             line.detail});
    t.add_separator();
    t.add_row({"required", gib(r.required_bytes), "", ""});
    const std::uint64_t reserved = r.capacity.total_bytes - r.available_bytes;
    t.add_row({"capacity", gib(r.capacity.total_bytes), "",
               r.capacity.devices > 1
                   ? fmt::format("{} x {}, {}", r.capacity.devices, gib(r.capacity.device_bytes), r.capacity.basis)
                   : r.capacity.basis});
    if (reserved != 0) t.add_row({"kept by the runtime", gib(reserved), "", "never handed to the model"});
    t.add_row({"available", gib(r.available_bytes), "", ""});
    t.add_row({"headroom", signed_gib(r.headroom_bytes), "", ""});
    out += t.render();

    out += "\nDevices: " + r.placement.layout.how + "\n" + devices_table(r);
    out += "\nLimits\n" + limits_text(r);
    if (in.spec.is_moe()) out += "\nMixture of experts\n" + insight_text(r);
    out += "\nAssumptions\n" + assumptions_table(r);
    for (const auto& note : r.weights.notes) out += "  note: " + note + "\n";
    return out;
}

ordered_json model_ref_json(const model::ModelSpec& spec) {
    return {{"id", spec.id}, {"name", spec.name}, {"origin", spec.origin}};
}

ordered_json hardware_ref_json(const spec::HardwareProfile& hw) {
    return {{"id", hw.id}, {"name", hw.name}, {"kind", spec::kind_name(hw.kind)}, {"origin", hw.origin}};
}

ordered_json fit_json(const FitInput& in) {
    const auto& r = in.result;
    ordered_json j;
    j["schema"] = "moefit.fit";
    j["schema_version"] = kFitSchemaVersion;
    j["model"] = model_ref_json(in.spec);
    j["hardware"] = hardware_ref_json(in.hw);
    j["setup"] = {{"quant", r.setup.quant},
                  {"runtime", engine::runtime_name(r.setup.runtime)},
                  {"context_tokens", r.setup.context_tokens},
                  {"sequences", r.setup.sequences},
                  {"kv_dtype", engine::kv_dtype_name(r.setup.kv.k_dtype)},
                  {"flash_attention", r.setup.kv.flash_attention},
                  {"ubatch_tokens", r.setup.kv.ubatch_tokens}};
    j["verdict"] = engine::verdict_name(r.verdict);
    j["fits"] = r.verdict != engine::Verdict::does_not_fit;
    j["required_bytes"] = r.required_bytes;
    j["capacity_bytes"] = r.capacity.total_bytes;
    j["available_bytes"] = r.available_bytes;
    j["headroom_bytes"] = r.headroom_bytes;
    j["reasons"] = r.reasons;
    ordered_json lines = ordered_json::array();
    for (const auto& l : r.breakdown) lines.push_back({{"name", l.name}, {"bytes", l.bytes}, {"detail", l.detail}});
    j["breakdown"] = lines;
    j["capacity"] = {{"devices", r.capacity.devices},
                     {"device_bytes", r.capacity.device_bytes},
                     {"total_bytes", r.capacity.total_bytes},
                     {"basis", r.capacity.basis}};
    ordered_json formats = ordered_json::array();
    for (const auto& f : r.weights.by_format)
        formats.push_back({{"format", f.format}, {"tensors", f.tensors}, {"bytes", f.bytes}, {"elements", f.elements}});
    j["weights"] = {{"scheme", r.weights.scheme},
                    {"total_bytes", r.weights.total_bytes},
                    {"mtp_bytes", r.weights.mtp_bytes},
                    {"params", r.weights.params},
                    {"bits_per_weight", r.weights.bits_per_weight},
                    {"active_bytes_per_token", r.weights.active_bytes_per_token},
                    {"by_format", formats},
                    {"notes", r.weights.notes}};
    ordered_json parts = ordered_json::array();
    for (const auto& p : r.kv.parts)
        parts.push_back({{"kind", engine::kv_part_name(p.kind)},
                         {"layers", p.layers},
                         {"cells", p.cells},
                         {"bytes_per_cell", p.bytes_per_cell},
                         {"bytes", p.bytes},
                         {"grows_with_context", p.grows_with_context}});
    j["kv"] = {{"bytes_per_rank", r.kv.total_bytes},      {"ranks", r.kv.ranks},
               {"bytes_per_token", r.kv.bytes_per_token}, {"state_bytes_per_sequence", r.kv.state_bytes_per_sequence},
               {"context_cells", r.kv.context_cells},     {"parts", parts}};
    ordered_json items = ordered_json::array();
    for (const auto& i : r.overhead.items)
        items.push_back({{"name", i.name}, {"bytes", i.bytes}, {"source", i.source}});
    j["overhead_per_device"] = {
        {"bytes", r.overhead.bytes}, {"reserved_bytes", r.overhead.reserved_bytes}, {"items", items}};
    const auto& l = r.placement.layout;
    j["placement"] = {{"devices", l.devices},
                      {"nodes", l.nodes},
                      {"tp", l.tp},
                      {"ep", l.ep},
                      {"pp", l.pp},
                      {"dp", l.dp},
                      {"host_expert_layers", l.host_expert_layers},
                      {"how", l.how}};
    ordered_json devices = ordered_json::array();
    for (std::size_t i = 0; i < r.placement.stages.size(); ++i)
        devices.push_back(device_json(r.placement.stages[i], r.placement.binding == i));
    if (r.placement.host)
        devices.push_back(device_json(*r.placement.host, r.placement.binding == r.placement.stages.size()));
    j["devices"] = devices;
    j["limits"] = {{"max_context_tokens", r.max_context_tokens},
                   {"max_context_is_model_limit", r.max_context_is_model_limit},
                   {"max_sequences", r.max_sequences}};
    j["moe"] = {{"total_params", r.insight.total_params},
                {"active_params", r.insight.active_params},
                {"active_share", r.insight.active_share},
                {"dense_same_active_bytes", r.insight.dense_same_active_bytes},
                {"bytes_per_token_ratio", r.insight.bytes_per_token_ratio}};
    ordered_json all = ordered_json::array();
    for (const auto* list : {&r.setup.assumptions, &r.capacity.assumptions, &r.placement.assumptions, &r.kv.assumptions,
                             &r.overhead.assumptions})
        for (const auto& a : assumptions_json(*list)) all.push_back(a);
    j["assumptions"] = all;
    if (in.speed != nullptr) {
        j["speed"] = speed_json(*in.speed);
        j["speed"]["unavailable"] = nullptr;
    } else if (!in.speed_unavailable.empty()) {
        j["speed"] = {{"unavailable", in.speed_unavailable}};
    }
    return j;
}

}  // namespace moefit::report
