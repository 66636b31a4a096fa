// Units that round-trip: sizes ("24GiB", "80GB", "512 MiB") and token counts ("128K", "32768").
// Bytes are always std::uint64_t; a parsed size remembers whether the user wrote a binary
// (KiB/MiB/GiB/TiB) or decimal (KB/MB/GB/TB) unit so output can use the same family.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace moefit {

enum class UnitFamily { binary, decimal };

struct Size {
    std::uint64_t bytes = 0;
    UnitFamily family = UnitFamily::binary;
};

// Parses "24GiB", "80GB", "1.5 TiB", "4096" (plain bytes); "512M" is rejected as ambiguous.
// A decimal with a unit above B is rounded to the nearest byte ("117.74 MiB", as format_bytes
// prints). Fails on negative, NaN, empty, unknown unit, a fraction of a byte ("1.5B", "0.3"),
// or a value over 2^63 bytes.
Result<Size> parse_size(std::string_view text);

// What a count counts, for messages: `expected a non-negative <count>`, `expected a whole number
// of <plural>`, `expected a <count> such as <example>`.
struct CountNoun {
    std::string_view count;    // "token count"
    std::string_view plural;   // "tokens"
    std::string_view example;  // "32768 or 128K"
};
inline constexpr CountNoun kTokenCount{"token count", "tokens", "32768 or 128K"};

// Parses a count: "32768", "128K" / "128k" (x1024), "1M" (x1024^2), "32_768". Fails on unknown
// suffixes, fractions that are not whole, negative values and values > 2^40; messages name
// `noun`.
Result<std::uint64_t> parse_count(std::string_view text, const CountNoun& noun);

// parse_count of a token count.
Result<std::uint64_t> parse_token_count(std::string_view text);

// "17.28 GiB" / "18.56 GB": two decimals, largest unit that keeps the value >= 1.
std::string format_bytes(std::uint64_t bytes, UnitFamily family = UnitFamily::binary);

// "46.70B", "671.03B", "1.03T", "12.9M": parameter counts in decimal SI, two decimals.
std::string format_count(std::uint64_t count);

// "46,702,792,704": every digit, grouped by thousands.
std::string format_grouped(std::uint64_t value);

// "128K" when a multiple of 1024, else the plain number.
std::string format_tokens(std::uint64_t tokens);

inline constexpr std::uint64_t KiB = 1024ull;
inline constexpr std::uint64_t MiB = 1024ull * KiB;
inline constexpr std::uint64_t GiB = 1024ull * MiB;
inline constexpr std::uint64_t TiB = 1024ull * GiB;

}  // namespace moefit
