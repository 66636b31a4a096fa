#include "report/list_report.hpp"

#include "model/accounting.hpp"
#include "model/inventory.hpp"
#include "report/inspect_report.hpp"
#include "report/table.hpp"
#include "util/units.hpp"

namespace moefit::report {

std::string render_models_text(const std::vector<model::ModelSpec>& models) {
    Table t({"id", "name", "total", "active", "experts", "native", "aliases"},
            {false, false, true, true, true, false, false});
    for (const model::ModelSpec& m : models) {
        const auto counts = model::count_params(m, model::build_inventory(m));
        std::string aliases;
        for (const auto& a : m.aliases) aliases += (aliases.empty() ? "" : ", ") + a;
        t.add_row({m.id, m.name, format_count(counts.total), format_count(counts.active),
                   m.is_moe() ? std::to_string(m.moe.experts_per_token) + "/" + std::to_string(m.moe.num_experts)
                              : "dense",
                   m.native_format, aliases});
    }
    return t.render(0) + "\n" + std::to_string(models.size()) +
           " built-in models. `moefit inspect NAME` shows one; any spec .toml path works too.\n";
}

nlohmann::ordered_json models_json(const std::vector<model::ModelSpec>& models) {
    nlohmann::ordered_json j;
    j["schema"] = "moefit.list.models";
    j["schema_version"] = 1;
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const model::ModelSpec& m : models) {
        const auto counts = model::count_params(m, model::build_inventory(m));
        arr.push_back({{"id", m.id},
                       {"name", m.name},
                       {"aliases", m.aliases},
                       {"hf_repo", m.hf_repo},
                       {"total_params", counts.total},
                       {"active_params", counts.active},
                       {"num_experts", m.moe.num_experts},
                       {"experts_per_token", m.moe.experts_per_token},
                       {"native_format", m.native_format}});
    }
    j["models"] = arr;
    return j;
}

std::string render_keys_text(std::span<const spec::KeySpec> keys) {
    Table t({"key", "type", "unit", "default", "meaning"});
    for (const spec::KeySpec& k : keys) {
        std::string type = spec::type_name(k.type);
        if (!k.choices.empty()) {
            type = "";
            for (auto c : k.choices) type += (type.empty() ? "" : "|") + std::string(c);
        }
        t.add_row({k.path(), type, std::string(k.unit), std::string(k.default_text), std::string(k.doc)});
    }
    return t.render(0);
}

nlohmann::ordered_json keys_json(std::span<const spec::KeySpec> keys) {
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const spec::KeySpec& k : keys) {
        nlohmann::ordered_json row = {{"key", k.path()},
                                      {"type", spec::type_name(k.type)},
                                      {"unit", std::string(k.unit)},
                                      {"default", std::string(k.default_text)},
                                      {"doc", std::string(k.doc)}};
        if (k.type == spec::ValueType::integer) {
            row["min"] = k.min;
            row["max"] = k.max;
        }
        if (!k.choices.empty()) {
            std::vector<std::string> c(k.choices.begin(), k.choices.end());
            row["choices"] = c;
        }
        arr.push_back(row);
    }
    return {{"schema", "moefit.list.keys"}, {"schema_version", 1}, {"keys", arr}};
}

}  // namespace moefit::report
