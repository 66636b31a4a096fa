// Fuzzes the command-line value parsers: sizes ("24GiB"), token counts ("128K").
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "util/units.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto s = moefit::parse_size(text)) (void)moefit::format_bytes(s->bytes, s->family);
    if (auto t = moefit::parse_token_count(text)) (void)moefit::format_tokens(*t);
    return 0;
}
