// moefit inspect MODEL [--json] [--out FILE]
// MODEL is a built-in name, a spec .toml, a .gguf file (any shard of a split model), or a model
// folder / config.json; for a GGUF file or a folder with *.safetensors the checkpoint itself is
// read (headers only) and compared with our description.
#include <fmt/format.h>

#include <cctype>
#include <filesystem>
#include <memory>
#include <optional>

#include "cli/common.hpp"
#include "cli/fit_flags.hpp"
#include "engine/checkpoint_compare.hpp"
#include "engine/gguf_summary.hpp"
#include "engine/scheme.hpp"
#include "engine/weights.hpp"
#include "model/accounting.hpp"
#include "model/inventory.hpp"
#include "report/inspect_report.hpp"
#include "spec/gguf_model.hpp"
#include "spec/model_catalog.hpp"
#include "util/units.hpp"

namespace moefit::cli {
namespace {

struct InspectOptions {
    std::string model;
    OutputOptions output;
};

// "Stored as bf16 (native): 86.99 GiB, 16.00 bits per weight; MTP module 10.91 GiB apart", from
// the weights engine; "" when the native format is not a scheme the engine knows.
std::string native_bytes_line(const model::ModelSpec& spec, const model::Inventory& inventory) {
    auto scheme = engine::parse_scheme("native", spec);
    if (!scheme) return "";
    auto w = engine::compute_weights(inventory, spec, *scheme);
    if (!w) return "";
    std::string line = "\nStored as " + spec.native_format + " (native): " + format_bytes(w->total_bytes) + " (" +
                       format_grouped(w->total_bytes) + " bytes), " + fmt::format("{:.2f}", w->bits_per_weight) +
                       " bits per weight";
    if (w->mtp_bytes != 0) line += "; MTP module " + format_bytes(w->mtp_bytes) + " apart";
    return line + "\n";
}

ExitCode render(const InspectOptions& o, const model::ModelSpec& spec, const model::Inventory& inventory,
                const report::CheckpointInput* checkpoint) {
    const model::ParamCounts counts = model::count_params(spec, inventory);
    const report::InspectInput in{spec, counts, checkpoint};
    std::string text = o.output.json ? report::inspect_json(in).dump(2) + "\n" : report::render_inspect_text(in);
    if (!o.output.json && checkpoint == nullptr) text += native_bytes_line(spec, inventory);
    return emit(text, o.output);
}

bool is_gguf(const std::string& path) {
    std::string ext = std::filesystem::path(path).extension().string();
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return ext == ".gguf";
}

bool has_safetensors(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::is_directory(path, ec)) return false;
    for (std::filesystem::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().extension() == ".safetensors") return true;
    return false;
}

ExitCode inspect_gguf(const InspectOptions& o) {
    const spec::DiskFileSystem fs;
    auto gguf = spec::read_gguf_model(o.model, fs, spec::GgufReadOptions{engine::ggml_type_table()});
    if (!gguf) return report_error(gguf.error());
    auto spec = spec::spec_from_gguf(gguf->header);
    if (!spec) return report_error(spec.error());
    auto summary = engine::summarize_gguf(*gguf, spec->num_layers);
    if (!summary) return report_error(summary.error());
    auto inventory = load_inventory(*spec, o.model);
    if (!inventory) return report_error(inventory.error());
    const engine::CheckpointComparison comparison =
        engine::compare_checkpoint(*inventory, engine::found_in_gguf(gguf->header), nullptr);
    report::CheckpointInput checkpoint{"gguf", {}, &*summary, nullptr, &comparison};
    for (const auto& shard : gguf->shards) checkpoint.files.push_back(shard.file);
    return render(o, *spec, *inventory, &checkpoint);
}

ExitCode inspect_safetensors(const InspectOptions& o) {
    auto spec = spec::load_model(o.model);  // the folder's config.json
    if (!spec) return report_error(spec.error());
    const spec::DiskFileSystem fs;
    auto files = spec::read_safetensors_model(o.model, fs);
    if (!files) return report_error(files.error());
    auto inventory = load_inventory(*spec, o.model);
    if (!inventory) return report_error(inventory.error());
    // Bytes are compared in the checkpoint's own layout (quantization_config); a spec whose
    // native format is no checkpoint layout is compared by weights only.
    std::optional<engine::WeightBytes> weights;
    if (auto scheme = engine::parse_scheme("native", *spec)) {
        auto w = engine::compute_weights(*inventory, *spec, *scheme);
        if (!w) return report_error(w.error());
        weights = std::move(w).value();
    }
    const engine::CheckpointComparison comparison =
        engine::compare_checkpoint(*inventory, engine::found_in_safetensors(*files), weights ? &*weights : nullptr);
    const report::CheckpointInput checkpoint{"safetensors", files->files, nullptr, &*files, &comparison};
    return render(o, *spec, *inventory, &checkpoint);
}

ExitCode run_inspect(const InspectOptions& o) {
    if (is_gguf(o.model)) return inspect_gguf(o);
    if (has_safetensors(o.model)) return inspect_safetensors(o);
    auto spec = spec::load_model(o.model);
    if (!spec) return report_error(spec.error());
    auto inventory = load_inventory(*spec, o.model);
    if (!inventory) return report_error(inventory.error());
    return render(o, *spec, *inventory, nullptr);
}

}  // namespace

void add_inspect(CLI::App& cmd, Action& action) {
    auto opts = std::make_shared<InspectOptions>();
    cmd.add_option("MODEL", opts->model,
                   "built-in model name (see `moefit list models`), a spec .toml, a .gguf file, or a Hugging Face "
                   "model folder / config.json")
        ->required();
    add_output_options(cmd, opts->output);
    cmd.callback([opts, &action] { action = [opts] { return run_inspect(*opts); }; });
}

}  // namespace moefit::cli
