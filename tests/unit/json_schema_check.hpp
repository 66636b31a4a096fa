// A small JSON Schema checker for the subset our report schemas use (type, required,
// properties, additionalProperties: false, items, enum, const, minimum), so the tests can check
// every JSON report against the schema file shipped in docs/schema/. Test-only code.
#pragma once

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace moefit::test {

// Returns "" when `value` conforms to `schema`, else the first problem with its JSON path.
inline std::string schema_problem(const nlohmann::json& schema, const nlohmann::json& value,
                                  const std::string& path = "$") {
    if (schema.contains("type")) {
        const std::string t = schema["type"];
        const bool ok = (t == "object" && value.is_object()) || (t == "array" && value.is_array()) ||
                        (t == "string" && value.is_string()) || (t == "boolean" && value.is_boolean()) ||
                        (t == "integer" && value.is_number_integer()) || (t == "number" && value.is_number()) ||
                        (t == "null" && value.is_null());
        if (!ok) return path + ": expected " + t + ", found " + value.type_name();
    }
    if (schema.contains("const") && schema["const"] != value) return path + ": expected " + schema["const"].dump();
    if (schema.contains("enum")) {
        bool found = false;
        for (const auto& e : schema["enum"]) found = found || e == value;
        if (!found) return path + ": " + value.dump() + " is not in " + schema["enum"].dump();
    }
    if (schema.contains("minimum") && value.is_number() && value.get<double>() < schema["minimum"].get<double>())
        return path + ": below the minimum " + schema["minimum"].dump();
    if (value.is_object()) {
        if (schema.contains("required"))
            for (const auto& r : schema["required"])
                if (!value.contains(r.get<std::string>())) return path + ": missing required key " + r.dump();
        const bool closed = schema.value("additionalProperties", true) == false;
        for (const auto& [k, v] : value.items()) {
            if (schema.contains("properties") && schema["properties"].contains(k)) {
                const std::string p = schema_problem(schema["properties"][k], v, path + "." + k);
                if (!p.empty()) return p;
            } else if (closed) {
                return path + ": unexpected key \"" + k + "\"";
            }
        }
    }
    if (value.is_array() && schema.contains("items"))
        for (std::size_t i = 0; i < value.size(); ++i) {
            const std::string p = schema_problem(schema["items"], value[i], path + "[" + std::to_string(i) + "]");
            if (!p.empty()) return p;
        }
    return "";
}

// Loads docs/schema/<name>.schema.json from the source tree.
inline nlohmann::json load_schema(const std::string& name) {
    std::ifstream in(std::string(MOEFIT_SOURCE_DIR) + "/docs/schema/" + name + ".schema.json");
    std::stringstream ss;
    ss << in.rdbuf();
    return nlohmann::json::parse(ss.str());
}

}  // namespace moefit::test
