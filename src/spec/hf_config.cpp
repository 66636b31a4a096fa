#include "spec/hf_config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "model/validate.hpp"
#include "spec/file_io.hpp"
#include "spec/hf_config_internal.hpp"
#include "util/spelling.hpp"
#include "util/strings.hpp"

namespace moefit::spec {
namespace {

using hf::Fields;
using hf::json;

constexpr std::uint64_t kMaxConfigBytes = 16ull << 20;  // real configs are a few KiB

// nlohmann's message without its "[json.exception.parse_error.101] parse error at line 1,
// column 7: " prefix and the "; last read: '...'" echo of the input.
std::string describe_parse_error(std::string what) {
    if (auto at = what.find("column "); at != std::string::npos) {
        if (auto colon = what.find(": ", at); colon != std::string::npos) what.erase(0, colon + 2);
    }
    if (auto at = what.find("; last read: '"); at != std::string::npos) {
        const auto end = what.find("'; ", at + 14);
        what.erase(at, end == std::string::npos ? std::string::npos : end + 1 - at);
    }
    return what;
}

Result<json> parse(std::string_view text, const std::string& file) {
    try {
        return json::parse(text);
    } catch (const json::parse_error& e) {
        Location loc;
        loc.file = file;
        const std::size_t end = std::min<std::size_t>(e.byte > 0 ? e.byte - 1 : 0, text.size());
        loc.line = 1;
        loc.column = 1;
        for (std::size_t i = 0; i < end; ++i) {
            if (text[i] == '\n') {
                ++loc.line;
                loc.column = 1;
            } else {
                ++loc.column;
            }
        }
        return make_error("invalid JSON: " + describe_parse_error(e.what()), loc);
    } catch (const json::exception& e) {
        // Out-of-range numbers ("1e405") are not parse errors to nlohmann and carry no position.
        std::string what = e.what();
        if (const auto end = what.find("] "); what.rfind("[json.exception.", 0) == 0 && end != std::string::npos)
            what.erase(0, end + 2);
        Location loc;
        loc.file = file;
        return make_error("invalid JSON: " + what, loc);
    }
}

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// Display name, id and repository: `_name_or_path` when the config carries one ("Qwen/Qwen3-
// 235B-A22B" or a local path), else the folder the config sits in.
void set_names(const Fields& root, const std::string& file, model::ModelSpec& s) {
    std::string name;
    if (const json* v = root.raw("_name_or_path"); v != nullptr && v->is_string()) {
        std::string path = v->get<std::string>();
        while (!path.empty() && (path.back() == '/' || path.back() == '\\')) path.pop_back();
        const auto slash = path.find_last_of("/\\");
        name = slash == std::string::npos ? path : path.substr(slash + 1);
        // "org/name": a Hub repository id rather than a local path.
        if (std::count(path.begin(), path.end(), '/') == 1 && slash != 0 && path[0] != '.' &&
            path.find_first_of(" \\") == std::string::npos)
            s.hf_repo = path;
    }
    if (name.empty()) name = std::filesystem::path(file).parent_path().filename().string();
    if (name.empty() || name == "." || name == "..") {
        std::error_code ec;
        name = std::filesystem::absolute(file, ec).parent_path().filename().string();
    }
    if (name.empty()) name = "config";
    s.name = name;
    s.id = lower(name);
}

Error unknown_architecture(const Fields& root, const std::string& name) {
    const std::vector<std::string> names = hf_supported_architectures();
    std::string list;
    for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
    Error e = root.error("architectures[0]",
                         fmt::format("unknown architecture {}; moefit reads {}", hf::describe_value(name), list));
    e.hint = did_you_mean(name, names);
    return e;
}

// The mapping for architectures[0].
Result<const hf::ArchMapping*> find_mapping(const Fields& root) {
    const json* archs = root.raw("architectures");
    if (archs == nullptr || archs->is_null())
        return root.error("architectures", "missing required key (expected a list such as [\"MixtralForCausalLM\"])");
    if (!archs->is_array() || archs->empty())
        return root.error("architectures",
                          "expected a non-empty list of architecture names, found " + hf::describe_value(*archs));
    const json& first = (*archs)[0];
    if (!first.is_string())
        return root.error("architectures[0]", "expected an architecture name, found " + hf::describe_value(first));
    const std::string name = first.get<std::string>();
    for (const hf::ArchMapping& m : hf::architectures())
        if (m.name == name) return &m;
    return unknown_architecture(root, name);
}

Result<HfConfig> read_document(const json& doc, const std::string& file) {
    if (!doc.is_object()) return make_error("expected a JSON object, found " + hf::describe_value(doc));
    const Fields root(doc, "");
    MOEFIT_TRY(mapping, find_mapping(root));
    Fields scope = root;
    if (!mapping->scope.empty()) {
        MOEFIT_TRY(sub, root.object(mapping->scope));
        if (!sub) return root.error(mapping->scope, "missing required key (expected the text model's settings)");
        scope = *sub;
    }
    HfConfig out;
    model::ModelSpec& s = out.spec;
    hf::ArchOutput extra;
    MOEFIT_CHECK(mapping->read(scope, s, extra));
    // A multimodal config may keep tie_word_embeddings at the top level only.
    if (!mapping->scope.empty() && !scope.has("tie_word_embeddings")) {
        MOEFIT_TRY(tie, root.flag_or("tie_word_embeddings", false));
        s.tie_embeddings = tie;
    }
    MOEFIT_TRY(native, hf::read_native_format(root, scope, s, mapping->probes, extra));
    s.native_format = native;
    s.architecture = std::string(mapping->name);
    s.gguf_arch = std::string(mapping->gguf_arch);
    s.origin = file;
    set_names(root, file, s);
    Status st = model::finalize_spec(s);
    if (!st) {
        Error e = st.error();
        e.message = "the config describes an inconsistent model: " + e.message;
        e.hint = "(the key is moefit's name for the setting; `moefit list keys` explains them)";
        return e;
    }
    out.notes = std::move(extra.notes);
    return out;
}

}  // namespace

Result<HfConfig> read_hf_config(std::string_view text, const std::string& file) {
    MOEFIT_TRY(doc, parse(text, file));
    auto r = read_document(doc, file);
    if (!r) return r.error().in_file(file);
    return r;
}

Result<HfConfig> load_hf_config(const std::string& path) {
    std::error_code ec;
    std::string file = path;
    if (std::filesystem::is_directory(path, ec)) file = (std::filesystem::path(path) / "config.json").string();
    MOEFIT_TRY(text, read_text_file(file, kMaxConfigBytes));
    return read_hf_config(text, file);
}

bool is_hf_config_path(const std::string& path) {
    if (ends_with(path, "config.json")) return true;
    std::error_code ec;
    return std::filesystem::is_directory(path, ec) &&
           std::filesystem::is_regular_file(std::filesystem::path(path) / "config.json", ec);
}

std::vector<std::string> hf_supported_architectures() {
    std::vector<std::string> out;
    for (const hf::ArchMapping& m : hf::architectures()) out.emplace_back(m.name);
    return out;
}

}  // namespace moefit::spec
