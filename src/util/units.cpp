#include "util/units.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <string>

namespace moefit {
namespace {

std::string trim_copy(std::string_view s) {
    size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return std::string(s.substr(b, e - b));
}

// Splits "1.5 GiB" into the number text and the unit text, dropping '_' digit separators.
bool split_number(std::string_view s, std::string& number, std::string& unit) {
    size_t i = 0;
    number.clear();
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.' || s[i] == '_')) {
        if (s[i] != '_') number += s[i];
        ++i;
    }
    while (i < s.size() && s[i] == ' ') ++i;
    unit = std::string(s.substr(i));
    return !number.empty() && number != ".";
}

bool lower_equals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
    return true;
}

}  // namespace

Result<Size> parse_size(std::string_view text) {
    const std::string s = trim_copy(text);
    const std::string shown = "\"" + std::string(text) + "\"";
    if (s.empty()) return make_error("expected a size such as 24GiB or 80GB, found an empty value");
    if (s[0] == '-') return make_error("expected a non-negative size, found " + shown);
    std::string number, unit;
    if (!split_number(s, number, unit))
        return make_error("expected a size such as 24GiB or 80GB, found " + shown);
    struct U { const char* name; double mult; UnitFamily fam; };
    static const U units[] = {
        {"", 1, UnitFamily::binary},          {"b", 1, UnitFamily::binary},
        {"kib", 1024.0, UnitFamily::binary},  {"mib", 1024.0 * 1024, UnitFamily::binary},
        {"gib", 1024.0 * 1024 * 1024, UnitFamily::binary},
        {"tib", 1024.0 * 1024 * 1024 * 1024, UnitFamily::binary},
        {"kb", 1e3, UnitFamily::decimal},     {"mb", 1e6, UnitFamily::decimal},
        {"gb", 1e9, UnitFamily::decimal},     {"tb", 1e12, UnitFamily::decimal},
    };
    for (const U& u : units) {
        if (!lower_equals(unit, u.name)) continue;
        char* end = nullptr;
        const double v = std::strtod(number.c_str(), &end);
        if (end == nullptr || *end != '\0' || !std::isfinite(v))
            return make_error("expected a size such as 24GiB or 80GB, found " + shown);
        // A fraction of a byte is a slip; with a larger unit a decimal is a rounded figure
        // ("117.74 MiB", as format_bytes prints) taken to the nearest byte.
        if (u.mult == 1 && v != std::floor(v)) return make_error("expected a whole number of bytes, found " + shown);
        const double bytes = v * u.mult;
        if (bytes > 9.2e18) return make_error("size too large (at most 8 EiB), found " + shown);
        Size out;
        out.bytes = static_cast<std::uint64_t>(std::llround(bytes));
        out.family = u.fam;
        return out;
    }
    return make_error("unknown size unit \"" + unit + "\" in " + shown +
                      "; expected B, KiB, MiB, GiB, TiB (binary) or KB, MB, GB, TB (decimal)");
}

Result<std::uint64_t> parse_count(std::string_view text, const CountNoun& noun) {
    const std::string s = trim_copy(text);
    const std::string shown = "\"" + std::string(text) + "\"";
    const std::string count(noun.count);
    const std::string example = fmt::format("expected a {} such as {}", count, noun.example);
    if (s.empty()) return make_error(example + ", found an empty value");
    if (s[0] == '-') return make_error(fmt::format("expected a non-negative {}, found {}", count, shown));
    std::string number, unit;
    if (!split_number(s, number, unit)) return make_error(example + ", found " + shown);
    double mult = 1;
    if (unit.empty()) mult = 1;
    else if (lower_equals(unit, "k")) mult = 1024;
    else if (lower_equals(unit, "m")) mult = 1024.0 * 1024;
    else {
        std::string hyphenated = count;
        for (char& c : hyphenated)
            if (c == ' ') c = '-';
        return make_error(
            fmt::format("unknown {} suffix \"{}\" in {}; expected K (x1024) or M (x1024^2)", hyphenated, unit, shown));
    }
    char* end = nullptr;
    const double v = std::strtod(number.c_str(), &end);
    if (end == nullptr || *end != '\0' || !std::isfinite(v)) return make_error(example + ", found " + shown);
    const double n = v * mult;
    if (n != std::floor(n))
        return make_error(fmt::format("expected a whole number of {}, found {}", noun.plural, shown));
    if (n > 1099511627776.0) return make_error(fmt::format("{} too large (at most 2^40), found {}", count, shown));
    return static_cast<std::uint64_t>(n);
}

Result<std::uint64_t> parse_token_count(std::string_view text) {
    return parse_count(text, kTokenCount);
}

std::string format_bytes(std::uint64_t bytes, UnitFamily family) {
    static const char* bin[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    static const char* dec[] = {"B", "KB", "MB", "GB", "TB", "PB"};
    const double base = family == UnitFamily::binary ? 1024.0 : 1000.0;
    double v = static_cast<double>(bytes);
    int i = 0;
    while (v >= base && i < 5) {
        v /= base;
        ++i;
    }
    char buf[64];
    if (i == 0) std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
    else std::snprintf(buf, sizeof buf, "%.2f %s", v, family == UnitFamily::binary ? bin[i] : dec[i]);
    return buf;
}

std::string format_count(std::uint64_t count) {
    static const char* suffix[] = {"", "K", "M", "B", "T", "P"};
    double v = static_cast<double>(count);
    int i = 0;
    while (v >= 1000.0 && i < 5) {
        v /= 1000.0;
        ++i;
    }
    char buf[64];
    if (i == 0) std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(count));
    else std::snprintf(buf, sizeof buf, "%.2f%s", v, suffix[i]);
    return buf;
}

std::string format_grouped(std::uint64_t value) {
    std::string digits = std::to_string(value);
    std::string out;
    const size_t n = digits.size();
    for (size_t i = 0; i < n; ++i) {
        out += digits[i];
        if ((n - i - 1) % 3 == 0 && i + 1 < n) out += ',';
    }
    return out;
}

std::string format_tokens(std::uint64_t tokens) {
    if (tokens >= 1024 && tokens % (1024 * 1024) == 0) return std::to_string(tokens / (1024 * 1024)) + "M";
    if (tokens >= 1024 && tokens % 1024 == 0) return std::to_string(tokens / 1024) + "K";
    return std::to_string(tokens);
}

}  // namespace moefit
