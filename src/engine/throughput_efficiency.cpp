#include "engine/throughput_efficiency.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

#include "util/embedded.hpp"
#include "util/spelling.hpp"

namespace moefit::engine {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string number_text(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

Location at(const toml::node& node, const std::string& origin, const std::string& key) {
    Location loc;
    loc.file = origin;
    loc.line = static_cast<int>(node.source().begin.line);
    loc.column = static_cast<int>(node.source().begin.column);
    loc.key = key;
    return loc;
}

// Reads a number at `key` of `table` into `out`; missing keys keep `out` when `required` is false.
Status read_number(const toml::table& table, const char* key, double& out, bool required, double lo, double hi,
                   const std::string& origin, const std::string& path, const toml::node& owner) {
    const toml::node* node = table.get(key);
    if (!node) {
        if (!required) return {};
        return make_error(std::string("missing key \"") + key + "\"", at(owner, origin, path + key));
    }
    const auto value = node->value<double>();
    if (!value) return make_error("expected a number", at(*node, origin, path + key));
    if (!(*value > lo && *value <= hi))
        return make_error(
            "expected a value in (" + number_text(lo) + ", " + number_text(hi) + "], found " + number_text(*value),
            at(*node, origin, path + key));
    out = *value;
    return {};
}

Result<EfficiencyRow> read_row(const toml::table& t, const std::string& origin, const std::string& path) {
    static const std::vector<std::string> keys = {"runtime",        "device_class", "bandwidth",   "bandwidth_low",
                                                  "bandwidth_high", "compute",      "compute_low", "compute_high",
                                                  "points",         "note"};
    for (const auto& [k, v] : t) {
        const std::string name(k.str());
        if (std::find(keys.begin(), keys.end(), name) == keys.end()) {
            Error e = make_error("unknown key \"" + name + "\"", at(v, origin, path + name));
            e.hint = did_you_mean(name, keys);
            return e;
        }
    }
    EfficiencyRow row;
    for (const char* key : {"runtime", "device_class"}) {
        const auto s = t[key].value<std::string>();
        if (!s) return make_error(std::string("missing text key \"") + key + "\"", at(t, origin, path + key));
        (std::string_view(key) == "runtime" ? row.runtime : row.device_class) = *s;
    }
    Efficiency& e = row.efficiency;
    MOEFIT_CHECK(read_number(t, "bandwidth", e.bandwidth, true, 0, 1.5, origin, path, t));
    e.bandwidth_low = e.bandwidth_high = e.bandwidth;
    MOEFIT_CHECK(read_number(t, "bandwidth_low", e.bandwidth_low, false, 0, 1.5, origin, path, t));
    MOEFIT_CHECK(read_number(t, "bandwidth_high", e.bandwidth_high, false, 0, 1.5, origin, path, t));
    MOEFIT_CHECK(read_number(t, "compute", e.compute, true, 0, 1.5, origin, path, t));
    e.compute_low = e.compute_high = e.compute;
    MOEFIT_CHECK(read_number(t, "compute_low", e.compute_low, false, 0, 1.5, origin, path, t));
    MOEFIT_CHECK(read_number(t, "compute_high", e.compute_high, false, 0, 1.5, origin, path, t));
    if (!(e.bandwidth_low <= e.bandwidth && e.bandwidth <= e.bandwidth_high))
        return make_error("expected bandwidth_low <= bandwidth <= bandwidth_high", at(t, origin, path + "bandwidth"));
    if (!(e.compute_low <= e.compute && e.compute <= e.compute_high))
        return make_error("expected compute_low <= compute <= compute_high", at(t, origin, path + "compute"));
    row.points = static_cast<int>(t["points"].value_or<std::int64_t>(0));
    return row;
}

}  // namespace

Result<EfficiencyTable> parse_efficiency_table(std::string_view text, const std::string& origin) {
    toml::table doc;
    try {
        doc = toml::parse(text, origin);
    } catch (const toml::parse_error& err) {
        Location loc;
        loc.file = origin;
        loc.line = static_cast<int>(err.source().begin.line);
        loc.column = static_cast<int>(err.source().begin.column);
        return make_error(std::string(err.description()), loc);
    }
    EfficiencyTable table;
    table.origin = origin;
    for (const auto& [k, v] : doc) {
        const std::string name(k.str());
        if (name != "expert_skew" && name != "efficiency") {
            Error e = make_error("unknown key \"" + name + "\"", at(v, origin, name));
            e.hint = did_you_mean(name, {"expert_skew", "efficiency"});
            return e;
        }
    }
    MOEFIT_CHECK(read_number(doc, "expert_skew", table.expert_skew, false, 0, 1, origin, "", doc));
    const toml::array* rows = doc["efficiency"].as_array();
    if (!rows) return make_error("missing [[efficiency]] rows", at(doc, origin, "efficiency"));
    bool has_default = false;
    for (std::size_t i = 0; i < rows->size(); ++i) {
        const std::string path = "efficiency[" + std::to_string(i) + "].";
        const toml::table* t = (*rows)[i].as_table();
        if (!t) return make_error("expected a table", at((*rows)[i], origin, path));
        MOEFIT_TRY(row, read_row(*t, origin, path));
        has_default = has_default || (row.runtime == "*" && row.device_class == "*");
        table.rows.push_back(std::move(row));
    }
    if (!has_default)
        return make_error("expected a default row with runtime = \"*\" and device_class = \"*\"",
                          at(doc, origin, "efficiency"));
    return table;
}

Result<EfficiencyTable> builtin_efficiency_table() {
    static const Result<EfficiencyTable> cache = []() -> Result<EfficiencyTable> {
        for (const EmbeddedFile& f : embedded::data_files()) {
            if (std::string_view(f.name) != "throughput_efficiency.toml") continue;
            auto t = parse_efficiency_table(f.text, "<built-in>/data/throughput_efficiency.toml");
            if (!t) {
                Error e = t.error();
                e.kind = ErrorKind::internal;
                return e;
            }
            return t;
        }
        return make_error("data/throughput_efficiency.toml is not embedded", {}, ErrorKind::internal);
    }();
    return cache;
}

Efficiency lookup_efficiency(const EfficiencyTable& table, std::string_view runtime, std::string_view device_class) {
    const std::pair<std::string_view, std::string_view> order[] = {
        {runtime, device_class}, {"*", device_class}, {runtime, "*"}, {"*", "*"}};
    for (const auto& [r, c] : order) {
        for (const EfficiencyRow& row : table.rows) {
            if (row.runtime != r || row.device_class != c) continue;
            Efficiency e = row.efficiency;
            e.source = "built-in: " + (row.runtime == "*" ? std::string("any runtime") : row.runtime) + " on " +
                       (row.device_class == "*" ? std::string("any device") : row.device_class) + " (" +
                       (row.points > 0 ? std::to_string(row.points) + " measured point" + (row.points > 1 ? "s" : "")
                                       : std::string("default")) +
                       ")";
            return e;
        }
    }
    return Efficiency{};  // unreachable for a parsed table: it has a ("*", "*") row
}

Efficiency host_efficiency(const EfficiencyTable& table, std::string_view runtime, const spec::HardwareProfile& host) {
    Efficiency e = lookup_efficiency(table, runtime, "cpu");
    const double measured = host.host.decode_efficiency;
    if (measured <= 0) return e;
    // One measured model on one host is not every model on it: keep the row's relative spread.
    e.bandwidth_low = measured * e.bandwidth_low / e.bandwidth;
    e.bandwidth_high = measured * e.bandwidth_high / e.bandwidth;
    e.bandwidth = measured;
    e.source = "measured: decode_efficiency of profile \"" + host.id + "\"";
    return e;
}

std::string device_class(const spec::HardwareProfile& hardware) {
    if (hardware.kind == spec::HardwareKind::cpu) return "cpu";
    std::string vendor = lower(hardware.vendor);
    static const std::set<std::string> known = {"nvidia", "amd", "apple", "intel"};
    if (!known.count(vendor)) vendor = "other";
    return vendor + (hardware.kind == spec::HardwareKind::unified ? "-unified" : "-gpu");
}

std::string canonical_runtime(std::string_view name) {
    const std::string n = lower(name);
    auto has = [&](const char* s) { return n.find(s) != std::string::npos; };
    if (has("ktransformers") || has("kt-kernel")) return "ktransformers";
    if (has("sglang")) return "sglang";
    if (has("vllm")) return "vllm";
    if (has("mlx")) return "mlx";
    if (has("llama") || has("ollama") || has("lm studio") || has("lmstudio")) return "llama.cpp";
    return "";
}

std::vector<std::string> runtime_names() {
    return {"llama.cpp", "vllm", "sglang", "mlx", "ktransformers"};
}

}  // namespace moefit::engine
