#include "spec/hardware_toml.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "spec/hardware_schema.hpp"
#include "spec/schema.hpp"

namespace moefit::spec {
namespace {

constexpr std::uint64_t kMinMemoryBytes = 512 * MiB;
// 1024 TiB: far above any device or host (the largest single hosts hold ~48 TB); a bigger figure
// is a unit slip ("9000000TB") that would otherwise make anything fit.
constexpr std::uint64_t kMaxMemoryBytes = 1024 * TiB;
// Bandwidths below 10 GB/s (1 GB/s for a host) or speeds above 100000 are a figure in the wrong unit (TB/s, MB/s,
// GFLOPS); no memory system or device is near either bound.
constexpr double kMinMemoryGBps = 10;
// A host's RAM bandwidth may be measured low: `moefit calibrate` on a loaded 2-core box reads ~4 GB/s.
constexpr double kMinHostGBps = 1;
constexpr double kMaxFigure = 100000;
// A measured decode may beat a STREAM read a little (caches, prefetch) but never by half again.
constexpr double kMaxEfficiency = 1.5;

std::string number_text(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

const KeySpec& key_spec(const std::string& path) {
    for (const KeySpec& k : hardware_keys())
        if (k.path() == path) return k;
    return hardware_keys()[0];  // unreachable: every path below is in the schema
}

// Checks of a read profile against what its kind needs, with the locations of the document.
class Checker {
public:
    Checker(const Document& doc, const std::string& file, const HardwareProfile& p)
        : doc_(doc), file_(file), p_(p), kind_(std::string("kind = \"") + kind_name(p.kind) + "\"") {}

    Status run() const {
        MOEFIT_CHECK(check_id());
        MOEFIT_CHECK(check_tables());
        MOEFIT_CHECK(check_required());
        MOEFIT_CHECK(check_figures());
        MOEFIT_CHECK(check_capacities());
        return check_link();
    }

private:
    bool has(const std::string& path) const { return doc_.locations.count(path) != 0; }

    // Where `path` was written; else the line of its table; else the line of hardware.kind.
    Location where(const std::string& path) const {
        if (auto it = doc_.locations.find(path); it != doc_.locations.end()) return it->second;
        Location loc;
        loc.file = file_;
        loc.key = path;
        if (auto t = doc_.tables.find(path.substr(0, path.find('.'))); t != doc_.tables.end())
            loc.line = t->second.line;
        else if (auto k = doc_.locations.find("hardware.kind"); k != doc_.locations.end())
            loc.line = k->second.line;
        return loc;
    }

    Status check_id() const {
        bool ok = !p_.id.empty();
        for (char c : p_.id)
            ok = ok && (std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
                        c == '-' || c == '_' || c == '.' || c == '+');
        if (!ok)
            return make_error("expected a lowercase name of letters, digits and - _ . +, found \"" + p_.id + "\"",
                              where("hardware.id"));
        for (const std::string& a : p_.aliases)
            if (a.empty() || a.find(' ') != std::string::npos)
                return make_error("expected aliases without spaces, found \"" + a + "\"", where("hardware.aliases"));
        return {};
    }

    Status check_tables() const {
        const HardwareKind k = p_.kind;
        const bool accelerator_ok = k == HardwareKind::gpu || k == HardwareKind::node;
        const std::pair<const char*, bool> allowed[] = {
            {"accelerator", accelerator_ok},
            {"host", k != HardwareKind::unified},
            {"unified", k == HardwareKind::unified},
        };
        for (const auto& [table, ok] : allowed) {
            const auto t = doc_.tables.find(table);
            if (ok || t == doc_.tables.end()) continue;
            Error e = make_error(std::string("a [") + table + "] table does not belong in a profile with " + kind_,
                                 t->second);
            e.hint = "gpu and node profiles use [accelerator] and [host], unified profiles [unified], "
                     "cpu profiles [host]";
            return e;
        }
        if (k != HardwareKind::gpu) return {};
        for (const char* key : {"host.memory", "host.bandwidth_GBps", "host.cores"}) {
            if (!has(key)) continue;
            Error e = make_error("not used when " + kind_ + ": a gpu profile describes the device alone", where(key));
            e.hint = "use kind = \"node\" to describe the host as well";
            return e;
        }
        if (p_.device_count != 1)
            return make_error("expected 1 when " + kind_ + ", found " + std::to_string(p_.device_count) +
                                  " (use kind = \"node\" for several devices)",
                              where("accelerator.count"));
        return {};
    }

    Status check_required() const {
        std::vector<std::string> needed;
        switch (p_.kind) {
            case HardwareKind::gpu: needed = {"accelerator.memory", "accelerator.bandwidth_GBps"}; break;
            case HardwareKind::node: needed = {"accelerator.memory", "accelerator.bandwidth_GBps", "host.memory"}; break;
            case HardwareKind::unified: needed = {"unified.memory", "unified.bandwidth_GBps"}; break;
            case HardwareKind::cpu: needed = {"host.memory", "host.bandwidth_GBps"}; break;
        }
        for (const std::string& path : needed) {
            if (has(path)) continue;
            const KeySpec& k = key_spec(path);
            const std::string what = k.type == ValueType::size ? "a size such as \"80GB\"" : "in " + std::string(k.unit);
            return make_error("missing key required when " + kind_ + " (" + std::string(k.doc) + ", " + what + ")",
                              where(path));
        }
        return {};
    }

    // Every size at least kMinMemoryBytes; every speed > 0, memory bandwidths >= kMinMemoryGBps,
    // and nothing above kMaxFigure.
    Status check_figures() const {
        for (const Assignment& a : doc_.values) {
            const KeySpec& k = hardware_keys()[a.key_index];
            if (k.type == ValueType::size) {
                const std::string& text = std::get<std::string>(a.value);
                MOEFIT_CHECK(check_memory_size(parse_size(text).value().bytes, text, a.where));
                continue;
            }
            if (k.type != ValueType::number) continue;
            const double v = std::get<double>(a.value);
            const std::string unit(k.unit);
            if (v == 0) return make_error("expected a positive number of " + unit + " (leave the key out when unknown), found 0", a.where);
            if (k.key == "decode_efficiency") {
                if (v < 0 || v > kMaxEfficiency)
                    return make_error("expected a fraction in (0, " + number_text(kMaxEfficiency) + "], found " +
                                          number_text(v),
                                      a.where);
                continue;
            }
            const bool memory = k.key == "bandwidth_GBps";
            const double floor = k.table == "host" ? kMinHostGBps : kMinMemoryGBps;
            if (memory && v < floor)
                return make_error("expected at least " + number_text(floor) + " " + unit + ", found " +
                                      number_text(v) + "; is the unit right (GB/s, not TB/s)?",
                                  a.where);
            if (v > kMaxFigure)
                return make_error("expected at most " + number_text(kMaxFigure) + " " + unit + ", found " +
                                      number_text(v) + "; is the unit right?",
                                  a.where);
        }
        return {};
    }

    // `path` (bytes) must lie within [low, high] x the figure it is compared with.
    Status within(const std::string& path, std::uint64_t bytes, const std::string& other_name,
                  std::uint64_t other_bytes, double low, double high, UnitFamily family) const {
        const double ratio = static_cast<double>(bytes) / static_cast<double>(other_bytes);
        if (ratio <= high && ratio >= low) return {};
        const bool over = ratio > high;
        const double limit = static_cast<double>(other_bytes) * (over ? high : low);
        const std::string factor = number_text(over ? high : low);
        return make_error(std::string("expected ") + (over ? "at most " : "at least ") + factor + " x " + other_name +
                              " = " + format_bytes(static_cast<std::uint64_t>(limit), family) + ", found " +
                              format_bytes(bytes, family) + "; is the unit right?",
                          where(path));
    }

    Status check_capacities() const {
        const std::uint64_t published = p_.device_memory.bytes;
        const UnitFamily fam = p_.device_memory.family;
        if (p_.device_usable_bytes != 0)
            MOEFIT_CHECK(within("accelerator.memory_usable", p_.device_usable_bytes, "memory", published, 0.5, 1.1, fam));
        const UnifiedLimits& u = p_.unified;
        if (u.os_visible_bytes != 0)
            MOEFIT_CHECK(within("unified.os_visible", u.os_visible_bytes, "memory", published, 0.5, 1.1, fam));
        if (u.gpu_limit_max_bytes != 0)
            MOEFIT_CHECK(within("unified.gpu_limit_max", u.gpu_limit_max_bytes, "memory", published, 0, 1.1, fam));
        if (u.gpu_limit_bytes != 0) {
            if (u.os_visible_bytes != 0)
                MOEFIT_CHECK(within("unified.gpu_limit", u.gpu_limit_bytes, "os_visible", u.os_visible_bytes, 0, 1, fam));
            else
                MOEFIT_CHECK(within("unified.gpu_limit", u.gpu_limit_bytes, "memory", published, 0, 1.1, fam));
            if (u.gpu_limit_max_bytes != 0)
                MOEFIT_CHECK(within("unified.gpu_limit", u.gpu_limit_bytes, "gpu_limit_max", u.gpu_limit_max_bytes, 0, 1, fam));
        }
        return {};
    }

    Status check_link() const {
        if (has("accelerator.link") == has("accelerator.link_GBps")) return {};
        const std::string missing = has("accelerator.link") ? "accelerator.link_GBps" : "accelerator.link";
        return make_error("missing key: link and link_GBps go together", where(missing));
    }

    const Document& doc_;
    const std::string& file_;
    const HardwareProfile& p_;
    std::string kind_;
};

}  // namespace

Status check_memory_size(std::uint64_t bytes, const std::string& shown, Location where) {
    if (bytes > kMaxMemoryBytes)
        return make_error("expected at most 1024 TiB, found \"" + shown + "\"; is the unit right (GB, not TB)?",
                          std::move(where));
    if (bytes >= kMinMemoryBytes) return {};
    return make_error("expected at least 512 MiB, found \"" + shown + "\"; is the unit right (GB, GiB)?",
                      std::move(where));
}

Result<HardwareProfile> read_hardware_toml(std::string_view text, const std::string& file) {
    MOEFIT_TRY(doc, read_toml(text, file, hardware_keys()));
    HardwareProfile p;
    p.device_count = 1;  // the [accelerator] count default; cpu profiles have none (below)
    for (const Assignment& a : doc.values) apply_hardware_key(a.key_index, a.value, p);
    if (p.kind == HardwareKind::cpu) p.device_count = 0;
    p.origin = file;
    MOEFIT_CHECK(Checker(doc, file, p).run());
    return p;
}

}  // namespace moefit::spec
