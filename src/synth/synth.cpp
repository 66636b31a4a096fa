#include "synth/synth.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "engine/scheme.hpp"
#include "reference/quant.hpp"
#include "synth/hf_export.hpp"
#include "util/spelling.hpp"

namespace moefit::synth {
namespace {

struct QuantInfo {
    const char* name;
    const char* llamacpp_ftype;  // engine scheme base: its converter rules keep 1-D tensors f32
    const char* checkpoint;      // safetensors: the engine's checkpoint layout; nullptr = no dtype
};
constexpr QuantInfo kQuants[] = {
    {"f32", "GGUF_F32", "fp32"}, {"f16", "GGUF_F16", "fp16"}, {"bf16", "GGUF_BF16", "bf16"},
    {"q8_0", "Q8_0", nullptr},   {"q4_0", "Q4_0", nullptr},
};

const QuantInfo* find_quant(const std::string& name) {
    for (const QuantInfo& q : kQuants)
        if (name == q.name) return &q;
    return nullptr;
}

Error option_error(const std::string& key, const std::string& message, ErrorKind kind = ErrorKind::input) {
    Location where;
    where.key = key;
    return make_error(message, where, kind);
}

}  // namespace

std::vector<std::string> synth_quants() {
    std::vector<std::string> out;
    for (const QuantInfo& q : kQuants) out.emplace_back(q.name);
    return out;
}

Result<std::string> synth_scheme(const std::string& quant) {
    const QuantInfo* q = find_quant(quant);
    if (!q) {
        Error e = option_error("quant",
                               fmt::format("unknown synth weight type \"{}\" (expected one of f32, f16, "
                                           "bf16, q8_0, q4_0)",
                                           quant),
                               ErrorKind::not_found);
        e.hint = did_you_mean(quant, synth_quants());
        return e;
    }
    // Every matrix group gets the type itself (llama.cpp's Q4_0 would give output.weight Q6_K,
    // which the reference pass cannot read); the file type's converter rules keep norms, biases,
    // the router and other 1-D tensors f32.
    return fmt::format("{0},embeddings={1},output={1},attention={1},experts={1},shared={1},dense={1}",
                       q->llamacpp_ftype, q->name);
}

Result<SynthModel> plan_synth(const model::ModelSpec& spec, const SynthOptions& options) {
    MOEFIT_TRY(scheme, synth_scheme(options.quant));
    if (options.format == SynthFormat::safetensors) {
        const char* layout = find_quant(options.quant)->checkpoint;
        if (!layout)
            return option_error("quant", fmt::format("safetensors stores f32, f16 or bf16, not {}", options.quant));
        MOEFIT_CHECK(check_hf_architecture(spec));
        // A Hugging Face checkpoint keeps every tensor in its torch_dtype, norms included: the
        // layout `moefit inspect` predicts for the folder.
        scheme = layout;
    }
    reference::ScaleOptions scale;
    scale.num_layers = options.num_layers;
    MOEFIT_TRY(fitted, reference::scale_to_budget(spec, scale, scheme, options.budget_bytes));
    MOEFIT_TRY(scaled, reference::scale_spec(spec, fitted));
    MOEFIT_TRY(parsed, engine::parse_scheme(scheme, scaled));
    SynthModel m;
    m.source = spec;
    m.scaled = std::move(scaled);
    m.scale = fitted;
    m.options = options;
    m.scheme = scheme;
    m.inventory = model::build_inventory(m.scaled);
    MOEFIT_TRY(weights, engine::compute_weights(m.inventory, m.scaled, parsed));
    m.weights = std::move(weights);
    for (const engine::TensorAssignment& a : m.weights.tensors) {
        reference::WeightKind kind;
        if (!reference::weight_kind_of(a.format->name, kind))
            return make_error(fmt::format("tensor \"{}\" got {}, which synth cannot encode",
                                          m.inventory.tensors[a.tensor_index].name, a.format->name),
                              {}, ErrorKind::internal);
    }
    return m;
}

nlohmann::json synth_manifest(const SynthModel& m, const std::vector<SynthFile>& files) {
    using nlohmann::json;
    const model::ModelSpec& s = m.scaled;
    json by_class = json::object();
    for (int c = 0; c < model::kTensorClassCount; ++c) {
        const auto cls = static_cast<model::TensorClass>(c);
        if (m.weights.of(cls) > 0) by_class[std::string(model::to_string(cls))] = m.weights.of(cls);
    }
    json by_format = json::object();
    for (const engine::FormatBytes& f : m.weights.by_format)
        by_format[std::string(f.format)] = {{"tensors", f.tensors}, {"bytes", f.bytes}, {"elements", f.elements}};
    json out_files = json::array();
    for (const SynthFile& f : files) out_files.push_back({{"name", f.name}, {"bytes", f.bytes.size()}});
    return {
        {"schema", "moefit.synth/1"},
        {"model", m.source.id},
        {"architecture", s.architecture},
        {"gguf_arch", s.gguf_arch},
        {"format", m.options.format == SynthFormat::gguf ? "gguf" : "safetensors"},
        {"quant", m.options.quant},
        {"scheme", m.scheme},
        {"seed", m.options.seed},
        {"budget_bytes", m.options.budget_bytes},
        {"scale",
         {{"factor", m.scale.factor},
          {"num_layers", s.num_layers},
          {"source_num_layers", m.source.num_layers},
          {"row_multiple", m.scale.row_multiple}}},
        {"shape",
         {{"hidden_size", s.hidden_size},
          {"vocab_size", s.vocab_size},
          {"num_layers", s.num_layers},
          {"num_heads", s.attention.num_heads},
          {"num_kv_heads", s.attention.num_kv_heads},
          {"head_dim", s.attention.head_dim},
          {"kv_lora_rank", s.attention.kv_lora_rank},
          {"q_lora_rank", s.attention.q_lora_rank},
          {"intermediate_size", s.intermediate_size},
          {"num_experts", s.moe.num_experts},
          {"experts_per_token", s.moe.experts_per_token},
          {"expert_intermediate_size", s.moe.expert_intermediate_size},
          {"num_shared_experts", s.moe.num_shared_experts}}},
        {"weights",
         {{"total_bytes", m.weights.total_bytes},
          {"params", m.weights.params},
          {"bits_per_weight", m.weights.bits_per_weight},
          {"by_class", by_class},
          {"by_format", by_format}}},
        {"files", out_files},
    };
}

}  // namespace moefit::synth
