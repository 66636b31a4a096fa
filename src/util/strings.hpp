// Small string and number-formatting helpers shared by the readers, the engine and the renderers.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "util/units.hpp"

namespace moefit {

inline bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

inline bool contains(std::string_view s, std::string_view part) {
    return s.find(part) != std::string_view::npos;
}

// Names that differ only in case and in '-' against '_' ("q4_k_m" = "Q4-K-M"); empty never matches.
inline bool same_name(std::string_view a, std::string_view b) {
    const auto fold = [](char c) {
        return c == '-' ? '_' : (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    };
    if (a.empty() || a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (fold(a[i]) != fold(b[i])) return false;
    return true;
}

// Bytes in binary units ("17.28 GiB"), with a sign for a difference, and in decimal units from a
// rate or an estimate in double ("205.11 MB", rounded to the nearest byte).
inline std::string gib(std::uint64_t bytes) {
    return format_bytes(bytes, UnitFamily::binary);
}
inline std::string signed_gib(std::int64_t bytes) {
    const std::uint64_t magnitude = bytes < 0 ? static_cast<std::uint64_t>(-bytes) : static_cast<std::uint64_t>(bytes);
    return (bytes < 0 ? "-" : "") + gib(magnitude);
}
inline std::string gb(double bytes) {
    return format_bytes(static_cast<std::uint64_t>(bytes + 0.5), UnitFamily::decimal);
}

// part / whole as a percentage with one decimal ("12.5%"); "-" when whole is 0.
inline std::string share(std::uint64_t part, std::uint64_t whole) {
    if (whole == 0) return "-";
    return fmt::format("{:.1f}%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

}  // namespace moefit
