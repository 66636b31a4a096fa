// A declared-once schema for TOML files: each key's table, name, type, unit, default, range
// and one-line doc. It drives parsing, type and range checks, unknown-key suggestions and the
// `moefit list keys` listing, for model specs and hardware profiles alike.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "util/result.hpp"

namespace moefit::spec {

enum class ValueType { integer, number, boolean, string, string_list, size };

using Value = std::variant<std::uint64_t, double, bool, std::string, std::vector<std::string>>;

struct KeySpec {
    std::string_view table;         // "attention"
    std::string_view key;           // "num_heads"
    ValueType type = ValueType::integer;
    std::string_view unit;          // "elements", "tokens", "GB/s", "" ...
    std::string_view default_text;  // "required", "0", "= num_heads" ...
    std::string_view doc;           // one line
    std::uint64_t min = 0;          // integer range (inclusive)
    std::uint64_t max = UINT64_MAX;
    std::vector<std::string_view> choices = {};  // allowed strings for enum-like keys

    bool required() const { return default_text == "required"; }
    std::string path() const { return std::string(table) + "." + std::string(key); }
};

// One key/value read from a document, with where it stood.
struct Assignment {
    std::size_t key_index = 0;      // into the schema
    Value value;
    Location where;
};

struct Document {
    std::vector<Assignment> values;
    std::map<std::string, Location> locations;  // "table.key" -> where it was written
    std::map<std::string, Location> tables;     // "table" -> where the table header stood
};

// A schema row: a key's declaration and how a checked value is stored into a `Target`.
template <typename Target>
struct SchemaRow {
    KeySpec spec;
    void (*set)(Target& target, const Value& value);
};

// The declarations of `rows`, in order: the schema read_toml takes. Built once per Target, so
// each Target has one static row table.
template <typename Target>
std::span<const KeySpec> schema_keys(const std::vector<SchemaRow<Target>>& rows) {
    static const std::vector<KeySpec> keys = [&] {
        std::vector<KeySpec> out;
        out.reserve(rows.size());
        for (const SchemaRow<Target>& r : rows) out.push_back(r.spec);
        return out;
    }();
    return keys;
}

// Stores `value` (checked against rows[index].spec by read_toml) into `target`.
template <typename Target>
void apply_schema_key(const std::vector<SchemaRow<Target>>& rows, std::size_t index, const Value& value,
                      Target& target) {
    rows[index].set(target, value);
}

// Parses TOML `text` (named `file` in messages) and checks it against `schema`: every key known
// (else "unknown key" with a suggestion), every value of the declared type and in range, every
// required key present. Fails with the first problem, located at file:line:column and key.
Result<Document> read_toml(std::string_view text, const std::string& file, std::span<const KeySpec> schema);

// Human-readable name of a type, for messages and listings ("integer", "size such as 24GiB" ...).
std::string type_name(ValueType t);

}  // namespace moefit::spec
