#include "spec/schema.hpp"

#include <algorithm>
#include <cmath>
#include <toml++/toml.h>

#include "util/spelling.hpp"
#include "util/units.hpp"

namespace moefit::spec {
namespace {

Location location_of(const toml::source_region& r, const std::string& file, const std::string& key) {
    Location loc;
    loc.file = file;
    loc.line = static_cast<int>(r.begin.line);
    loc.column = static_cast<int>(r.begin.column);
    loc.key = key;
    return loc;
}

std::string found_text(const toml::node& n) {
    if (n.is_string()) return "the string \"" + n.as_string()->get() + "\"";
    if (n.is_integer()) return std::to_string(n.as_integer()->get());
    if (n.is_floating_point()) {
        const double d = n.as_floating_point()->get();
        if (std::isnan(d)) return "nan";
        if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
        std::string s = std::to_string(d);
        while (!s.empty() && s.back() == '0') s.pop_back();
        if (!s.empty() && s.back() == '.') s.pop_back();
        return s;
    }
    if (n.is_boolean()) return n.as_boolean()->get() ? "true" : "false";
    if (n.is_array()) return "an array";
    if (n.is_table()) return "a table";
    return "a date/time";
}

std::string range_text(const KeySpec& k) {
    if (k.max == UINT64_MAX) return "an integer >= " + std::to_string(k.min);
    return "an integer from " + std::to_string(k.min) + " to " + std::to_string(k.max);
}

Result<Value> convert(const toml::node& n, const KeySpec& k, const Location& loc) {
    auto fail = [&](const std::string& expected) {
        return make_error("expected " + expected + ", found " + found_text(n), loc);
    };
    switch (k.type) {
        case ValueType::integer: {
            double v = 0;
            if (n.is_integer()) {
                const std::int64_t i = n.as_integer()->get();
                if (i < 0) return fail(range_text(k));
                const auto u = static_cast<std::uint64_t>(i);
                if (u < k.min || u > k.max) return fail(range_text(k));
                return Value{u};
            }
            if (!n.is_floating_point()) return fail(range_text(k));
            v = n.as_floating_point()->get();
            // Whole floats such as 46.7e9 are accepted for counts; fractions, NaN and inf are not.
            if (!std::isfinite(v) || v < 0 || v != std::floor(v) || v > 1.8e19) return fail(range_text(k));
            const auto u = static_cast<std::uint64_t>(v);
            if (u < k.min || u > k.max) return fail(range_text(k));
            return Value{u};
        }
        case ValueType::number: {
            double v = 0;
            if (n.is_integer()) v = static_cast<double>(n.as_integer()->get());
            else if (n.is_floating_point()) v = n.as_floating_point()->get();
            else return fail("a number");
            if (!std::isfinite(v) || v < 0) return fail("a finite non-negative number");
            return Value{v};
        }
        case ValueType::boolean:
            if (!n.is_boolean()) return fail("true or false");
            return Value{n.as_boolean()->get()};
        case ValueType::string: {
            if (!n.is_string()) return fail(k.choices.empty() ? "a string" : "a string");
            std::string s(*n.as_string());
            if (!k.choices.empty()) {
                std::vector<std::string> names(k.choices.begin(), k.choices.end());
                bool found = false;
                for (const auto& c : names) found = found || c == s;
                if (!found) {
                    std::string list;
                    for (std::size_t i = 0; i < names.size(); ++i) list += (i ? ", " : "") + names[i];
                    Error e = make_error("expected one of " + list + ", found \"" + s + "\"", loc);
                    e.hint = did_you_mean(s, names);
                    return e;
                }
            }
            return Value{s};
        }
        case ValueType::string_list: {
            const toml::array* a = n.as_array();
            if (a == nullptr) return fail("an array of strings");
            std::vector<std::string> out;
            for (const toml::node& item : *a) {
                if (!item.is_string()) return fail("an array of strings");
                out.emplace_back(item.as_string()->get());
            }
            return Value{out};
        }
        case ValueType::size: {
            if (!n.is_string()) return fail("a size string such as \"80GB\" or \"24GiB\"");
            auto size = parse_size(n.as_string()->get());
            if (!size) {
                Error e = size.error();
                e.where = loc;
                return e;
            }
            return Value{n.as_string()->get()};
        }
    }
    return fail("a value");
}

}  // namespace

std::string type_name(ValueType t) {
    switch (t) {
        case ValueType::integer: return "integer";
        case ValueType::number: return "number";
        case ValueType::boolean: return "boolean";
        case ValueType::string: return "string";
        case ValueType::string_list: return "array of strings";
        case ValueType::size: return "size (\"80GB\", \"24GiB\")";
    }
    return "?";
}

Result<Document> read_toml(std::string_view text, const std::string& file, std::span<const KeySpec> schema) {
    // The Debian toml++ library is built with exceptions: parse errors arrive as toml::parse_error.
    toml::table root;
    try {
        root = toml::parse(text, file);
    } catch (const toml::parse_error& err) {
        Location loc;
        loc.file = file;
        loc.line = static_cast<int>(err.source().begin.line);
        loc.column = static_cast<int>(err.source().begin.column);
        return make_error("invalid TOML: " + std::string(err.description()), loc);
    }

    std::vector<std::string> tables, paths;
    for (const KeySpec& k : schema) {
        paths.push_back(k.path());
        if (std::find(tables.begin(), tables.end(), std::string(k.table)) == tables.end())
            tables.emplace_back(k.table);
    }

    Document doc;
    for (const auto& [table_key, table_node] : root) {
        const std::string tname(table_key.str());
        const Location tloc = location_of(table_key.source(), file, tname);
        const toml::table* t = table_node.as_table();
        if (t == nullptr || std::find(tables.begin(), tables.end(), tname) == tables.end()) {
            Error e = make_error(t == nullptr ? "expected a [table], found a top-level key"
                                              : "unknown table [" + tname + "]",
                                 tloc);
            e.hint = did_you_mean(tname, tables);
            return e;
        }
        doc.tables[tname] = tloc;
        for (const auto& [key, node] : *t) {
            const std::string path = tname + "." + std::string(key.str());
            const Location loc = location_of(node.source(), file, path);
            const auto it = std::find(paths.begin(), paths.end(), path);
            if (it == paths.end()) {
                Error e = make_error("unknown key", location_of(key.source(), file, path));
                e.hint = did_you_mean(path, paths);
                return e;
            }
            const std::size_t index = static_cast<std::size_t>(it - paths.begin());
            MOEFIT_TRY(value, convert(node, schema[index], loc));
            doc.values.push_back({index, std::move(value), loc});
            doc.locations[path] = loc;
        }
    }
    for (const KeySpec& k : schema) {
        if (!k.required() || doc.locations.count(k.path())) continue;
        Location loc;
        loc.file = file;
        const auto t = doc.tables.find(std::string(k.table));
        if (t != doc.tables.end()) loc.line = t->second.line;
        loc.key = k.path();
        return make_error("missing required key (" + type_name(k.type) + ": " + std::string(k.doc) + ")", loc);
    }
    return doc;
}

}  // namespace moefit::spec
