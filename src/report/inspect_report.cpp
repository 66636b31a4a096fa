#include "report/inspect_report.hpp"

#include <fmt/format.h>

#include "report/table.hpp"
#include "util/strings.hpp"
#include "util/units.hpp"

namespace moefit::report {
namespace {

using model::Convention;
using model::TensorClass;

std::string convention_name(Convention c) {
    switch (c) {
        case Convention::all:
            return "all";
        case Convention::no_input_embedding:
            return "no_input_embedding";
        case Convention::no_embeddings:
            return "no_embeddings";
    }
    return "all";
}

}  // namespace

std::string percent_difference(std::uint64_t ours, std::uint64_t published) {
    if (published == 0) return "-";
    const double d =
        100.0 * (static_cast<double>(ours) - static_cast<double>(published)) / static_cast<double>(published);
    return fmt::format("{:+.2f}%", d);
}

std::string architecture_summary(const model::ModelSpec& s) {
    std::string out;
    if (s.is_moe()) {
        std::uint64_t moe_layers = 0;
        for (std::uint64_t i = 0; i < s.num_layers; ++i) moe_layers += s.layer_is_moe(i);
        out = fmt::format("MoE, {} routed experts, top-{}", s.moe.num_experts, s.moe.experts_per_token);
        if (s.moe.num_shared_experts > 0) out += fmt::format(" + {} shared", s.moe.num_shared_experts);
        out += fmt::format("; {} layers ({} MoE)", s.num_layers, moe_layers);
    } else {
        out = fmt::format("dense; {} layers", s.num_layers);
    }
    const auto& a = s.attention;
    if (a.kind == model::AttentionKind::mla)
        out += fmt::format("; MLA {} heads, kv_lora {}", a.num_heads, a.kv_lora_rank);
    else
        out += fmt::format("; GQA {} q / {} kv heads", a.num_heads, a.num_kv_heads);
    if (s.mtp_layers > 0) out += fmt::format("; {} MTP layer{}", s.mtp_layers, s.mtp_layers > 1 ? "s" : "");
    return out;
}

std::string render_inspect_text(const InspectInput& in) {
    const model::ModelSpec& s = in.spec;
    const model::ParamCounts& c = in.counts;
    std::string out = fmt::format("{} ({}", s.name, s.id);
    if (!s.hf_repo.empty()) out += ", " + s.hf_repo;
    out += fmt::format(", {})\n{}\n\n", s.origin, architecture_summary(s));

    out += "Parameters (main model, MTP apart)\n";
    Table totals({"", "total", "", "active per token", ""}, {false, true, true, true, true});
    totals.add_row({"every tensor", format_count(c.total), format_grouped(c.total), format_count(c.active),
                    format_grouped(c.active)});
    totals.add_row({"without input embedding", format_count(c.total_in(Convention::no_input_embedding)),
                    format_grouped(c.total_in(Convention::no_input_embedding)),
                    format_count(c.active_in(Convention::no_input_embedding)),
                    format_grouped(c.active_in(Convention::no_input_embedding))});
    totals.add_row({"without embedding and head", format_count(c.total_in(Convention::no_embeddings)),
                    format_grouped(c.total_in(Convention::no_embeddings)),
                    format_count(c.active_in(Convention::no_embeddings)),
                    format_grouped(c.active_in(Convention::no_embeddings))});
    if (c.mtp_total > 0)
        totals.add_row({"MTP module (apart)", format_count(c.mtp_total), format_grouped(c.mtp_total),
                        format_count(c.mtp_active), format_grouped(c.mtp_active)});
    out += totals.render() + "\n";

    out += "By tensor class\n";
    Table classes({"class", "tensors", "total", "active", "share of total"}, {false, true, true, true, true});
    for (int i = 0; i < model::kTensorClassCount; ++i) {
        const auto cls = static_cast<TensorClass>(i);
        const model::ClassCount& cc = c.of(cls);
        if (cc.tensors == 0) continue;
        classes.add_row({std::string(model::to_string(cls)), std::to_string(cc.tensors), format_count(cc.total),
                         format_count(cc.active), cls == TensorClass::mtp ? "apart" : share(cc.total, c.total)});
    }
    out += classes.render() + "\n";

    out += "By layer kind\n";
    Table kinds({"layers", "kind", "per layer", "total", "active"}, {true, false, true, true, true});
    for (const model::LayerKindCount& k : c.by_layer_kind)
        kinds.add_row({std::to_string(k.layers), k.kind, format_count(k.total / k.layers), format_count(k.total),
                       format_count(k.active)});
    kinds.add_row({"", "embedding, head, final norm", "", format_count(c.model_level), format_count(c.model_level)});
    out += kinds.render();

    const model::Published& p = s.published;
    if (p.total_params > 0 || p.active_params > 0) {
        out += "\nPublished figures";
        if (!p.source.empty()) out += " (" + p.source + ")";
        out += "\n";
        Table pub({"", "published", "ours", "difference", "counted as"}, {false, true, true, true, false});
        if (p.total_params > 0) {
            const std::uint64_t ours = model::comparable_total(c, p);
            pub.add_row({"total", format_count(p.total_params), format_count(ours),
                         percent_difference(ours, p.total_params),
                         model::describe(p.total_convention) + (p.total_includes_mtp ? " + MTP" : "")});
        }
        if (p.active_params > 0) {
            const std::uint64_t ours = model::comparable_active(c, p);
            pub.add_row({"active", format_count(p.active_params), format_count(ours),
                         percent_difference(ours, p.active_params), model::describe(p.active_convention)});
        }
        out += pub.render();
        if (!p.note.empty()) out += "  note: " + p.note + "\n";
    }
    if (in.checkpoint) out += "\n" + render_checkpoint_text(*in.checkpoint);
    return out;
}

nlohmann::ordered_json inspect_json(const InspectInput& in) {
    const model::ModelSpec& s = in.spec;
    const model::ParamCounts& c = in.counts;
    nlohmann::ordered_json j;
    j["schema"] = "moefit.inspect";
    j["schema_version"] = kInspectSchemaVersion;
    j["model"] = {{"id", s.id},
                  {"name", s.name},
                  {"hf_repo", s.hf_repo},
                  {"architecture", s.architecture},
                  {"origin", s.origin},
                  {"native_format", s.native_format},
                  {"moe", s.is_moe()},
                  {"num_layers", s.num_layers},
                  {"num_experts", s.moe.num_experts},
                  {"experts_per_token", s.moe.experts_per_token},
                  {"mtp_layers", s.mtp_layers}};
    nlohmann::ordered_json params;
    params["total"] = c.total;
    params["active"] = c.active;
    params["input_embedding"] = c.input_embedding;
    params["output_head"] = c.output_head;
    params["total_without_input_embedding"] = c.total_in(Convention::no_input_embedding);
    params["active_without_input_embedding"] = c.active_in(Convention::no_input_embedding);
    params["total_without_embeddings"] = c.total_in(Convention::no_embeddings);
    params["active_without_embeddings"] = c.active_in(Convention::no_embeddings);
    params["mtp_total"] = c.mtp_total;
    params["mtp_active"] = c.mtp_active;
    j["parameters"] = params;
    nlohmann::ordered_json classes = nlohmann::ordered_json::array();
    for (int i = 0; i < model::kTensorClassCount; ++i) {
        const auto cls = static_cast<TensorClass>(i);
        const model::ClassCount& cc = c.of(cls);
        if (cc.tensors == 0) continue;
        classes.push_back({{"class", std::string(model::to_string(cls))},
                           {"tensors", cc.tensors},
                           {"total", cc.total},
                           {"active", cc.active}});
    }
    j["by_class"] = classes;
    nlohmann::ordered_json kinds = nlohmann::ordered_json::array();
    for (const model::LayerKindCount& k : c.by_layer_kind)
        kinds.push_back({{"kind", k.kind}, {"layers", k.layers}, {"total", k.total}, {"active", k.active}});
    j["by_layer_kind"] = kinds;
    const model::Published& p = s.published;
    nlohmann::ordered_json pub;
    pub["source"] = p.source;
    pub["total"] = p.total_params;
    pub["total_convention"] = convention_name(p.total_convention);
    pub["total_includes_mtp"] = p.total_includes_mtp;
    pub["total_ours"] = model::comparable_total(c, p);
    pub["active"] = p.active_params;
    pub["active_convention"] = convention_name(p.active_convention);
    pub["active_ours"] = model::comparable_active(c, p);
    pub["note"] = p.note;
    j["published"] = pub;
    if (in.checkpoint) j["checkpoint"] = checkpoint_json(*in.checkpoint);
    return j;
}

}  // namespace moefit::report
