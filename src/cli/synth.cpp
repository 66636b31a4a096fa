// moefit synth MODEL --budget SIZE [--format gguf|safetensors] [--quant q8_0|f16|f32|bf16|q4_0]
//                    [--layers N] [--seed N] --out DIR
// Writes a scaled-down model of MODEL's architecture (synth.hpp) into DIR: one GGUF file, or a
// Hugging Face folder (config.json + model.safetensors); plus synth-manifest.json, each file
// atomically (a temporary file renamed into place), and prints what it wrote.
#include "synth/synth.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/common.hpp"
#include "spec/model_catalog.hpp"
#include "util/units.hpp"

namespace moefit::cli {
namespace {

struct SynthCliOptions {
    std::string model;
    std::string budget = "500MiB";
    std::string format = "gguf";
    std::string quant;  // empty: q8_0 for gguf, bf16 for safetensors
    std::uint64_t layers = 0;
    std::uint64_t seed = 7;
    std::string out_dir;
};

Status write_atomically(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes) {
    const std::string tmp = path.string() + ".tmp." + std::to_string(::getpid());
    Location loc;
    loc.file = path.string();
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        f.flush();
        if (!f) {
            std::error_code ec;
            std::filesystem::remove(tmp, ec);
            return make_error("cannot write the file", loc, ErrorKind::io);
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::filesystem::remove(tmp, ec);
        return make_error("cannot write the file: " + ec.message(), loc, ErrorKind::io);
    }
    return {};
}

ExitCode run_synth(const SynthCliOptions& o) {
    auto spec = spec::load_model(o.model);
    if (!spec) return report_error(spec.error());
    auto budget = parse_size(o.budget);
    if (!budget) return report_error(budget.error().at_key("--budget"));
    synth::SynthOptions so;
    so.budget_bytes = budget->bytes;
    so.quant = !o.quant.empty() ? o.quant : o.format == "safetensors" ? "bf16" : "q8_0";
    so.seed = o.seed;
    so.num_layers = o.layers;
    if (o.format == "gguf")
        so.format = synth::SynthFormat::gguf;
    else if (o.format == "safetensors")
        so.format = synth::SynthFormat::safetensors;
    else
        return report_error(make_error(fmt::format("expected gguf or safetensors, found \"{}\"", o.format),
                                       {"--format", 0, 0, {}, {}}));
    auto m = synth::plan_synth(*spec, so);
    if (!m) return report_error(m.error());
    std::vector<synth::SynthFile> files;
    if (so.format == synth::SynthFormat::gguf) {
        auto f = synth::build_gguf(*m);
        if (!f) return report_error(f.error());
        files.push_back(std::move(*f));
    } else {
        auto fs = synth::build_safetensors(*m);
        if (!fs) return report_error(fs.error());
        files = std::move(*fs);
    }
    const std::string manifest = synth::synth_manifest(*m, files).dump(2) + "\n";
    std::error_code ec;
    std::filesystem::create_directories(o.out_dir, ec);
    if (ec)
        return report_error(
            make_error("cannot create the folder: " + ec.message(), {o.out_dir, 0, 0, {}, {}}, ErrorKind::io));
    files.push_back({"synth-manifest.json", std::vector<std::uint8_t>(manifest.begin(), manifest.end())});
    std::string text =
        fmt::format("{}: 1/{:.4g} scale, {} layers, hidden {}, {} experts of {} (top {}), {}\n", m->source.id,
                    m->scale.factor, m->scaled.num_layers, m->scaled.hidden_size, m->scaled.moe.num_experts,
                    m->scaled.moe.expert_intermediate_size, m->scaled.moe.experts_per_token, so.quant);
    text += fmt::format("weights: {} ({} bytes, {} params)\n", format_bytes(m->weights.total_bytes),
                        m->weights.total_bytes, m->weights.params);
    for (const synth::SynthFile& f : files) {
        const std::filesystem::path path = std::filesystem::path(o.out_dir) / f.name;
        if (Status st = write_atomically(path, f.bytes); !st) return report_error(st.error());
        text += fmt::format("wrote {} ({} bytes)\n", path.string(), f.bytes.size());
    }
    std::cout << text;
    return std::cout ? ExitCode::ok : ExitCode::io;
}

}  // namespace

void add_synth(CLI::App& cmd, Action& action) {
    auto opts = std::make_shared<SynthCliOptions>();
    cmd.add_option("MODEL", opts->model, "built-in model name, a spec .toml, a .gguf file or a model folder")
        ->required();
    cmd.add_option("--budget", opts->budget, "weight bytes of the scaled model at most this (default 500MiB)");
    cmd.add_option("--format", opts->format, "gguf (default) or safetensors (config.json + model.safetensors)");
    cmd.add_option("--quant", opts->quant,
                   "weight type: q8_0 (gguf default), q4_0, f16, bf16 (safetensors default), f32");
    cmd.add_option("--layers", opts->layers, "layer count of the scaled model (default: the model's)");
    cmd.add_option("--seed", opts->seed, "weight seed, as the reference pass's (default 7)");
    cmd.add_option("--out", opts->out_dir, "folder to write into (created if missing)")->required();
    cmd.callback([opts, &action] { action = [opts] { return run_synth(*opts); }; });
}

}  // namespace moefit::cli
