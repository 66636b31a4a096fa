#include "spec/model_catalog.hpp"

#include <filesystem>

#include "spec/builtin_catalog.hpp"
#include "spec/file_io.hpp"
#include "spec/gguf_model.hpp"
#include "spec/hf_config.hpp"
#include "spec/model_toml.hpp"
#include "util/embedded.hpp"
#include "util/strings.hpp"

namespace moefit::spec {
namespace {

const CatalogInfo& catalog() {
    static const CatalogInfo info{
        embedded::model_spec_files(), "model_specs", "model",
        "(`moefit list models` shows the built-in models; a path to a .toml spec also works)"};
    return info;
}

}  // namespace

Result<std::vector<model::ModelSpec>> builtin_models() {
    static const Result<std::vector<model::ModelSpec>> cache = read_all_builtins(catalog(), &read_model_toml);
    return cache;
}

Result<model::ModelSpec> find_builtin_model(std::string_view name) {
    return find_builtin(catalog(), &read_model_toml, &builtin_models, name);
}

Result<model::ModelSpec> load_model(const std::string& arg) {
    std::error_code ec;
    const bool is_path =
        std::filesystem::exists(arg, ec) || ends_with(arg, ".toml") || arg.find('/') != std::string::npos;
    if (!is_path) return find_builtin_model(arg);
    if (is_hf_config_path(arg)) {  // a Hugging Face config.json, or a model folder holding one
        MOEFIT_TRY(hf, load_hf_config(arg));
        return std::move(hf.spec);
    }
    if (ends_with(ascii_lower(arg), ".gguf")) {  // a GGUF file, or any shard of a split one
        const DiskFileSystem fs;
        MOEFIT_TRY(gguf, read_gguf_model(arg, fs));
        return spec_from_gguf(gguf.header);
    }
    if (ends_with(arg, ".toml") || std::filesystem::is_regular_file(arg, ec)) {
        MOEFIT_TRY(text, read_text_file(arg));
        return read_model_toml(text, arg);
    }
    Location loc;
    loc.file = arg;
    return make_error("no such file", loc, ErrorKind::io);
}

}  // namespace moefit::spec
