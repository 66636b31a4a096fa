#include "report/checkpoint_report.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "report/table.hpp"
#include "util/strings.hpp"
#include "util/units.hpp"

namespace moefit::report {
namespace {

std::string bits(std::uint64_t bytes, std::uint64_t elements) {
    if (elements == 0) return "-";
    return fmt::format("{:.2f}", 8.0 * static_cast<double>(bytes) / static_cast<double>(elements));
}

std::string plural(std::uint64_t n, std::string_view word) {
    return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

// "Q4_K 24, Q6_K 24": types by tensor count.
std::string type_list(const std::vector<engine::TypeBytes>& types) {
    std::string out;
    for (const auto& t : types) out += fmt::format("{}{} {}", out.empty() ? "" : ", ", t.type, t.tensors);
    return out;
}

std::string mismatch_kind(engine::MismatchKind k) {
    switch (k) {
        case engine::MismatchKind::missing:
            return "missing";
        case engine::MismatchKind::unexpected:
            return "unexpected";
        case engine::MismatchKind::elements:
            return "elements";
        case engine::MismatchKind::bytes:
            return "bytes";
    }
    return "missing";
}

std::string render_gguf(const CheckpointInput& in, const engine::GgufSummary& g) {
    std::string out = fmt::format("GGUF file{} ({}, {})\n", g.file_type.empty() ? "" : " " + g.file_type,
                                  plural(g.shards, "shard"), plural(g.tensors, "tensor"));
    for (const auto& f : in.files) out += "  " + f + "\n";
    out += fmt::format("  {} ({} bytes) for {} weights: {:.2f} bits per weight\n", format_bytes(g.total_bytes),
                       format_grouped(g.total_bytes), format_count(g.params), g.bits_per_weight);
    if (g.mtp_bytes > 0) out += fmt::format("  MTP module apart: {}\n", format_bytes(g.mtp_bytes));
    out += "\nBy ggml type\n";
    Table types({"type", "tensors", "weights", "bytes", "", "share"}, {false, true, true, true, true, true});
    std::uint64_t all = 0;
    for (const auto& t : g.by_type) all += t.bytes;
    for (const auto& t : g.by_type)
        types.add_row({t.type, std::to_string(t.tensors), format_count(t.elements), format_bytes(t.bytes),
                       format_grouped(t.bytes), share(t.bytes, all)});
    out += types.render() + "\nBy tensor class\n";
    Table classes({"class", "tensors", "weights", "bytes", "bits/weight", "types"},
                  {false, true, true, true, true, false});
    for (const auto& c : g.by_class)
        classes.add_row({c.cls, std::to_string(c.tensors), format_count(c.elements), format_bytes(c.bytes),
                         bits(c.bytes, c.elements), type_list(c.types)});
    out += classes.render() + "\nQuantization mix (tensors of each kind per type)\n";
    Table mix({"tensor", "class", "types"}, {false, false, false});
    for (const auto& k : g.mix) mix.add_row({k.kind, k.cls, type_list(k.types)});
    return out + mix.render();
}

std::string render_safetensors(const CheckpointInput& in, const spec::SafetensorsModel& m) {
    std::string out = fmt::format("safetensors checkpoint ({}, {})\n", plural(m.files.size(), "file"),
                                  plural(m.total.tensors, "tensor"));
    if (!m.index_file.empty()) out += "  index " + m.index_file + "\n";
    for (const auto& f : in.files) out += "  " + f + "\n";
    out += fmt::format("  {} ({} bytes), {} stored elements\n\nBy dtype\n", format_bytes(m.total.bytes),
                       format_grouped(m.total.bytes), format_count(m.total.elements));
    Table dtypes({"dtype", "tensors", "elements", "bytes", "", "share"}, {false, true, true, true, true, true});
    for (const auto& [dtype, t] : m.by_dtype)
        dtypes.add_row({std::string(spec::safetensors_dtype_info(dtype).name), std::to_string(t.tensors),
                        format_count(t.elements), format_bytes(t.bytes), format_grouped(t.bytes),
                        share(t.bytes, m.total.bytes)});
    return out + dtypes.render();
}

std::string render_comparison(const engine::CheckpointComparison& c) {
    std::string out = "\nChecked against our description\n";
    std::vector<std::string> header{"class", "weights ours", "in file"};
    std::vector<bool> right{false, true, true};
    if (c.bytes_compared) {
        header.insert(header.end(), {"bytes ours", "in file"});
        right.insert(right.end(), {true, true});
    }
    header.emplace_back("stored as");
    right.push_back(false);
    Table t(header, right);
    for (const auto& cc : c.by_class) {
        std::string dtypes;
        for (const auto& d : cc.dtypes) dtypes += (dtypes.empty() ? "" : ", ") + d.dtype;
        std::vector<std::string> row{cc.cls, format_count(cc.expected_elements), format_count(cc.found_elements)};
        if (c.bytes_compared) row.insert(row.end(), {format_bytes(cc.expected_bytes), format_bytes(cc.found_bytes)});
        row.push_back(dtypes);
        t.add_row(std::move(row));
    }
    out += t.render();
    if (c.agrees()) {
        return out + fmt::format("  all {} tensors agree with the description{}\n", c.matched,
                                 c.bytes_compared ? " (weights and bytes)" : "");
    }
    const auto unexpected =
        static_cast<std::uint64_t>(std::count_if(c.mismatches.begin(), c.mismatches.end(), [](const auto& m) {
            return m.kind == engine::MismatchKind::unexpected;
        }));
    const std::uint64_t ours = c.matched + c.mismatches.size() - unexpected;
    out += fmt::format("  {} of our {} tensors agree; {}:\n", c.matched, ours,
                       fmt::format("{} mismatch{}", c.mismatches.size(), c.mismatches.size() == 1 ? "" : "es"));
    for (std::size_t i = 0; i < c.mismatches.size() && i < kCheckpointMaxTextMismatches; ++i)
        out += fmt::format("    {}: {}\n", c.mismatches[i].name, c.mismatches[i].message);
    if (c.mismatches.size() > kCheckpointMaxTextMismatches)
        out += fmt::format("    ... and {} more (--json lists them)\n",
                           c.mismatches.size() - kCheckpointMaxTextMismatches);
    return out;
}

nlohmann::ordered_json type_rows(const std::vector<engine::TypeBytes>& rows) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& t : rows)
        out.push_back({{"type", t.type}, {"tensors", t.tensors}, {"elements", t.elements}, {"bytes", t.bytes}});
    return out;
}

}  // namespace

std::string render_checkpoint_text(const CheckpointInput& in) {
    std::string out;
    if (in.gguf) out += render_gguf(in, *in.gguf);
    if (in.safetensors) out += render_safetensors(in, *in.safetensors);
    if (in.comparison) out += render_comparison(*in.comparison);
    return out;
}

nlohmann::ordered_json checkpoint_json(const CheckpointInput& in) {
    nlohmann::ordered_json j;
    j["format"] = in.format;
    j["files"] = in.files;
    if (const engine::GgufSummary* g = in.gguf) {
        nlohmann::ordered_json gg;
        gg["file_type"] = g->file_type;
        gg["tensors"] = g->tensors;
        gg["total_bytes"] = g->total_bytes;
        gg["mtp_bytes"] = g->mtp_bytes;
        gg["params"] = g->params;
        gg["bits_per_weight"] = g->bits_per_weight;
        gg["by_type"] = type_rows(g->by_type);
        nlohmann::ordered_json classes = nlohmann::ordered_json::array();
        for (const auto& c : g->by_class)
            classes.push_back({{"class", c.cls},
                               {"tensors", c.tensors},
                               {"elements", c.elements},
                               {"bytes", c.bytes},
                               {"types", type_rows(c.types)}});
        gg["by_class"] = classes;
        nlohmann::ordered_json mix = nlohmann::ordered_json::array();
        for (const auto& k : g->mix)
            mix.push_back({{"tensor", k.kind}, {"class", k.cls}, {"types", type_rows(k.types)}});
        gg["mix"] = mix;
        j["gguf"] = gg;
    }
    if (const spec::SafetensorsModel* m = in.safetensors) {
        nlohmann::ordered_json st;
        st["index_file"] = m->index_file;
        st["tensors"] = m->total.tensors;
        st["elements"] = m->total.elements;
        st["bytes"] = m->total.bytes;
        nlohmann::ordered_json dtypes = nlohmann::ordered_json::array();
        for (const auto& [dtype, t] : m->by_dtype)
            dtypes.push_back({{"dtype", std::string(spec::safetensors_dtype_info(dtype).name)},
                              {"tensors", t.tensors},
                              {"elements", t.elements},
                              {"bytes", t.bytes}});
        st["by_dtype"] = dtypes;
        j["safetensors"] = st;
    }
    if (const engine::CheckpointComparison* c = in.comparison) {
        nlohmann::ordered_json cmp;
        cmp["agrees"] = c->agrees();
        cmp["bytes_compared"] = c->bytes_compared;
        cmp["matched"] = c->matched;
        cmp["expected_elements"] = c->expected_elements;
        cmp["found_elements"] = c->found_elements;
        cmp["expected_bytes"] = c->expected_bytes;
        cmp["found_bytes"] = c->found_bytes;
        nlohmann::ordered_json classes = nlohmann::ordered_json::array();
        for (const auto& cc : c->by_class) {
            nlohmann::ordered_json dtypes = nlohmann::ordered_json::array();
            for (const auto& d : cc.dtypes)
                dtypes.push_back(
                    {{"dtype", d.dtype}, {"tensors", d.tensors}, {"elements", d.elements}, {"bytes", d.bytes}});
            classes.push_back({{"class", cc.cls},
                               {"expected_elements", cc.expected_elements},
                               {"found_elements", cc.found_elements},
                               {"expected_bytes", cc.expected_bytes},
                               {"found_bytes", cc.found_bytes},
                               {"dtypes", dtypes}});
        }
        cmp["by_class"] = classes;
        cmp["mismatch_count"] = c->mismatches.size();
        nlohmann::ordered_json mismatches = nlohmann::ordered_json::array();
        for (std::size_t i = 0; i < c->mismatches.size() && i < kCheckpointMaxJsonMismatches; ++i) {
            const auto& m = c->mismatches[i];
            mismatches.push_back({{"kind", mismatch_kind(m.kind)},
                                  {"tensor", m.name},
                                  {"expected_elements", m.expected_elements},
                                  {"found_elements", m.found_elements},
                                  {"expected_bytes", m.expected_bytes},
                                  {"found_bytes", m.found_bytes},
                                  {"message", m.message}});
        }
        cmp["mismatches"] = mismatches;
        j["comparison"] = cmp;
    }
    return j;
}

}  // namespace moefit::report
