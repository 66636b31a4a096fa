#include "spec/builtin_catalog.hpp"

#include <cctype>

#include "util/spelling.hpp"

namespace moefit::spec {
namespace {

char lower_char(char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

// Whether `text` holds `quoted` (which starts with '"' and is lowercase) in any case. Jumps
// from quote to quote: most of a spec is not inside a quoted string.
bool holds_ignoring_case(std::string_view text, std::string_view quoted) {
    for (std::size_t at = text.find('"'); at != std::string_view::npos; at = text.find('"', at + 1)) {
        if (text.size() - at < quoted.size()) return false;
        std::size_t i = 1;
        while (i < quoted.size() && lower_char(text[at + i]) == quoted[i]) ++i;
        if (i == quoted.size()) return true;
    }
    return false;
}

}  // namespace

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = lower_char(c);
    return out;
}

std::optional<std::size_t> builtin_file_named(std::span<const EmbeddedFile> files, std::string_view wanted) {
    const std::string file = std::string(wanted) + ".toml";
    for (std::size_t i = 0; i < files.size(); ++i)
        if (ascii_lower(files[i].name) == file) return i;
    return std::nullopt;
}

std::vector<std::size_t> builtin_files_quoting(std::span<const EmbeddedFile> files, std::string_view wanted) {
    std::vector<std::size_t> out;
    // An empty or quote-holding name cannot be a plain TOML string: leave it to the full scan.
    if (wanted.empty() || wanted.find('"') != std::string_view::npos) return out;
    const std::string quoted = "\"" + std::string(wanted) + "\"";
    for (std::size_t i = 0; i < files.size(); ++i)
        if (holds_ignoring_case(files[i].text, quoted)) out.push_back(i);
    return out;
}

Error unknown_builtin(const CatalogInfo& info, std::string_view name, const std::vector<std::string>& names) {
    Error e =
        make_error("unknown " + std::string(info.noun) + " \"" + std::string(name) + "\"", {}, ErrorKind::not_found);
    e.hint = did_you_mean(name, names);
    e.hint += std::string(e.hint.empty() ? "" : " ") + std::string(info.listing);
    return e;
}

}  // namespace moefit::spec
