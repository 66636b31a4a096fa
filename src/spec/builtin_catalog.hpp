// The built-in catalogs (model specs, hardware profiles): TOML files embedded in the binary,
// found by id, alias or display name (case-insensitive). Finding one parses as few files as
// possible: a command that names one built-in should not pay for parsing all of them.
#pragma once

#include <algorithm>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/embedded.hpp"
#include "util/result.hpp"

namespace moefit::spec {

// One catalog: its embedded files and how to name things in messages.
struct CatalogInfo {
    std::span<const EmbeddedFile> files;
    std::string_view folder;   // "model_specs": files are named "<built-in>/model_specs/x.toml"
    std::string_view noun;     // "model": `unknown model "x"`
    std::string_view listing;  // the hint after "did you mean": the listing command, other forms
};

// ASCII lowercase copy.
std::string ascii_lower(std::string_view s);

// The index of the file whose stem is `wanted` (lowercase), if any: built-in ids equal their
// file stems, so a lookup by id parses this one file.
std::optional<std::size_t> builtin_file_named(std::span<const EmbeddedFile> files, std::string_view wanted);

// Indices of the files whose text holds `"wanted"` in any case (a quoted alias or display name).
// A hint only: the caller checks the parsed entry, and falls back to parsing everything when no
// candidate matches (a name written with TOML escapes or in a literal string).
std::vector<std::size_t> builtin_files_quoting(std::span<const EmbeddedFile> files, std::string_view wanted);

// `unknown <noun> "name"`, not_found, with "did you mean" among `names` and the listing hint.
Error unknown_builtin(const CatalogInfo& info, std::string_view name, const std::vector<std::string>& names);

// Reads one embedded entry (id, name, aliases, origin): a TOML parser taking (text, file name).
template <typename Entry>
using ReadEntry = Result<Entry> (*)(std::string_view text, const std::string& file);

// Parses embedded file `f`; an error in it is a bug in moefit (internal).
template <typename Entry>
Result<Entry> read_builtin(const CatalogInfo& info, ReadEntry<Entry> read, const EmbeddedFile& f) {
    auto entry = read(f.text, std::string("<built-in>/") + std::string(info.folder) + "/" + f.name);
    if (!entry) {
        Error e = entry.error();
        e.kind = ErrorKind::internal;
        return e;
    }
    entry->origin = "built-in";
    return entry;
}

// Every entry, sorted by id; the first broken file's error otherwise.
template <typename Entry>
Result<std::vector<Entry>> read_all_builtins(const CatalogInfo& info, ReadEntry<Entry> read) {
    std::vector<Entry> out;
    for (const EmbeddedFile& f : info.files) {
        MOEFIT_TRY(entry, read_builtin(info, read, f));
        out.push_back(std::move(entry));
    }
    std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.id < b.id; });
    return out;
}

// Whether `wanted` (lowercase) is the entry's id, display name or one of its aliases.
template <typename Entry>
bool builtin_matches(const Entry& e, std::string_view wanted) {
    if (ascii_lower(e.id) == wanted || ascii_lower(e.name) == wanted) return true;
    return std::any_of(e.aliases.begin(), e.aliases.end(),
                       [&](const std::string& a) { return ascii_lower(a) == wanted; });
}

// The entry `name` names: the file named by it when that is its id, else the first by id of
// the builtin_files_quoting() entries that match; only when none does, the whole sorted
// catalog from `all` (cached by the caller), for the same answer or the not_found error with
// its suggestions.
template <typename Entry>
Result<Entry> find_builtin(const CatalogInfo& info, ReadEntry<Entry> read, Result<std::vector<Entry>> (*all)(),
                           std::string_view name) {
    const std::string wanted = ascii_lower(name);
    if (const auto i = builtin_file_named(info.files, wanted)) {
        MOEFIT_TRY(entry, read_builtin(info, read, info.files[*i]));
        if (ascii_lower(entry.id) == wanted) return entry;  // ids are unique: nothing can come first
    }
    std::optional<Entry> best;  // the whole catalog's answer: the matching entry with the least id
    for (const std::size_t i : builtin_files_quoting(info.files, wanted)) {
        MOEFIT_TRY(entry, read_builtin(info, read, info.files[i]));
        if (builtin_matches(entry, wanted) && (!best || entry.id < best->id)) best = std::move(entry);
    }
    if (best) return std::move(*best);
    MOEFIT_TRY(entries, all());
    std::vector<std::string> names;
    for (const Entry& e : entries) {
        if (builtin_matches(e, wanted)) return e;
        names.push_back(e.id);
    }
    for (const Entry& e : entries) names.insert(names.end(), e.aliases.begin(), e.aliases.end());
    return unknown_builtin(info, name, names);
}

}  // namespace moefit::spec
