#include "model/tensor_names.hpp"

#include <array>
#include <charconv>

#include "util/strings.hpp"

namespace moefit::model {
namespace {

struct BlockName {
    std::string_view suffix;  // after "blk.N."
    TensorClass cls;
    Role role;
};

// Every block tensor build_inventory writes, plus llama.cpp's unsplit attn_kv_b.
constexpr BlockName kBlockNames[] = {
    {"attn_norm.weight", TensorClass::norm, Role::norm},
    {"ffn_norm.weight", TensorClass::norm, Role::norm},
    {"attn_q.weight", TensorClass::attention, Role::attn_q},
    {"attn_k.weight", TensorClass::attention, Role::attn_k},
    {"attn_v.weight", TensorClass::attention, Role::attn_v},
    {"attn_output.weight", TensorClass::attention, Role::attn_output},
    {"attn_q.bias", TensorClass::attention, Role::bias},
    {"attn_k.bias", TensorClass::attention, Role::bias},
    {"attn_v.bias", TensorClass::attention, Role::bias},
    {"attn_output.bias", TensorClass::attention, Role::bias},
    {"attn_q_norm.weight", TensorClass::norm, Role::norm},
    {"attn_k_norm.weight", TensorClass::norm, Role::norm},
    {"attn_sinks.weight", TensorClass::attention, Role::attn_sinks},
    {"attn_q_a.weight", TensorClass::attention, Role::attn_q_a},
    {"attn_q_a_norm.weight", TensorClass::norm, Role::norm},
    {"attn_q_b.weight", TensorClass::attention, Role::attn_q_b},
    {"attn_kv_a_mqa.weight", TensorClass::attention, Role::attn_kv_a},
    {"attn_kv_a_norm.weight", TensorClass::norm, Role::norm},
    {"attn_k_b.weight", TensorClass::attention, Role::attn_k_b},
    {"attn_v_b.weight", TensorClass::attention, Role::attn_v_b},
    {"attn_kv_b.weight", TensorClass::attention, Role::attn_k_b},  // older GGUFs: k_b and v_b unsplit
    {"ssm_in.weight", TensorClass::attention, Role::ssm_in},
    {"ssm_ba.weight", TensorClass::attention, Role::ssm_ba},
    {"ssm_conv1d.weight", TensorClass::attention, Role::ssm_conv},
    {"ssm_dt.bias", TensorClass::attention, Role::ssm_param},
    {"ssm_a", TensorClass::attention, Role::ssm_param},
    {"ssm_norm.weight", TensorClass::norm, Role::norm},
    {"ssm_out.weight", TensorClass::attention, Role::ssm_out},
    {"ffn_gate.weight", TensorClass::dense_ffn, Role::ffn_gate},
    {"ffn_up.weight", TensorClass::dense_ffn, Role::ffn_up},
    {"ffn_down.weight", TensorClass::dense_ffn, Role::ffn_down},
    {"ffn_gate_inp.weight", TensorClass::router, Role::router},
    {"ffn_gate_inp.bias", TensorClass::router, Role::router_bias},
    {"exp_probs_b.bias", TensorClass::router, Role::router_bias},
    {"ffn_gate_exps.weight", TensorClass::routed_expert, Role::ffn_gate_exps},
    {"ffn_up_exps.weight", TensorClass::routed_expert, Role::ffn_up_exps},
    {"ffn_down_exps.weight", TensorClass::routed_expert, Role::ffn_down_exps},
    {"ffn_gate_exps.bias", TensorClass::routed_expert, Role::bias},
    {"ffn_up_exps.bias", TensorClass::routed_expert, Role::bias},
    {"ffn_down_exps.bias", TensorClass::routed_expert, Role::bias},
    {"ffn_gate_shexp.weight", TensorClass::shared_expert, Role::ffn_gate},
    {"ffn_up_shexp.weight", TensorClass::shared_expert, Role::ffn_up},
    {"ffn_down_shexp.weight", TensorClass::shared_expert, Role::ffn_down},
    {"ffn_gate_inp_shexp.weight", TensorClass::shared_expert, Role::shared_gate},
    {"nextn.eh_proj.weight", TensorClass::mtp, Role::mtp_proj},
    {"nextn.enorm.weight", TensorClass::norm, Role::norm},
    {"nextn.hnorm.weight", TensorClass::norm, Role::norm},
    {"nextn.shared_head_norm.weight", TensorClass::norm, Role::norm},
};

bool starts_with(std::string_view s, std::string_view p) {
    return s.substr(0, p.size()) == p;
}

// Reads "N." at the start of `s` (a layer or expert index) and advances past it.
std::optional<std::int64_t> take_index(std::string_view& s) {
    const auto dot = s.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot > 9) return std::nullopt;
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + dot, n);
    if (ec != std::errc() || end != s.data() + dot) return std::nullopt;
    s.remove_prefix(dot + 1);
    return n;
}

// ---- Hugging Face names ----

// Quantization suffixes after a projection name, and what they store.
struct Suffix {
    std::string_view text;
    std::string_view gguf;  // ".weight" or ".bias"
    HfPart part;
};
constexpr Suffix kSuffixes[] = {
    {".weight", ".weight", HfPart::values},
    {".bias", ".bias", HfPart::values},
    {".weight_packed", ".weight", HfPart::packed4},  // compressed-tensors pack-quantized int4
    {".qweight", ".weight", HfPart::packed4},        // GPTQ / AWQ (4-bit)
    {".weight_scale_inv", ".weight", HfPart::aux},   // DeepSeek FP8 block scales
    {".weight_scale", ".weight", HfPart::aux},       // FP8 / INT8 / NVFP4 / compressed-tensors scales
    {".weight_scale_2", ".weight", HfPart::aux},     // NVFP4 global scale
    {".input_scale", ".weight", HfPart::aux},
    {".weight_zero_point", ".weight", HfPart::aux},
    {".weight_global_scale", ".weight", HfPart::aux},
    {".input_global_scale", ".weight", HfPart::aux},
    {".weight_shape", ".weight", HfPart::aux},
    {".weight_g_idx", ".weight", HfPart::aux},
    {".qzeros", ".weight", HfPart::aux},
    {".scales", ".weight", HfPart::aux},
    {".g_idx", ".weight", HfPart::aux},
    {".weight.absmax", ".weight", HfPart::aux},  // bitsandbytes 4-bit state
    {".weight.quant_map", ".weight", HfPart::aux},
    {".weight.nested_absmax", ".weight", HfPart::aux},
    {".weight.nested_quant_map", ".weight", HfPart::aux},
    {".weight.quant_state.bitsandbytes__nf4", ".weight", HfPart::aux},
    {".weight.quant_state.bitsandbytes__fp4", ".weight", HfPart::aux},
    {".SCB", ".weight", HfPart::aux},  // bitsandbytes int8 row scales
};

// Block modules and the GGUF stem they store (before ".weight" / ".bias").
struct Module {
    std::string_view hf;
    std::string_view gguf;
};
constexpr Module kModules[] = {
    {"input_layernorm", "attn_norm"},
    {"post_attention_layernorm", "ffn_norm"},
    {"self_attn.q_proj", "attn_q"},
    {"self_attn.k_proj", "attn_k"},
    {"self_attn.v_proj", "attn_v"},
    {"self_attn.o_proj", "attn_output"},
    {"self_attn.q_norm", "attn_q_norm"},
    {"self_attn.k_norm", "attn_k_norm"},
    {"self_attn.q_a_proj", "attn_q_a"},
    {"self_attn.q_a_layernorm", "attn_q_a_norm"},
    {"self_attn.q_b_proj", "attn_q_b"},
    {"self_attn.kv_a_proj_with_mqa", "attn_kv_a_mqa"},
    {"self_attn.kv_a_layernorm", "attn_kv_a_norm"},
    {"linear_attn.in_proj_qkvz", "ssm_in"},
    {"linear_attn.in_proj_ba", "ssm_ba"},
    {"linear_attn.conv1d", "ssm_conv1d"},
    {"linear_attn.norm", "ssm_norm"},
    {"linear_attn.out_proj", "ssm_out"},
    {"mlp.gate_proj", "ffn_gate"},
    {"mlp.up_proj", "ffn_up"},
    {"mlp.down_proj", "ffn_down"},
    {"feed_forward.gate_proj", "ffn_gate"},
    {"feed_forward.up_proj", "ffn_up"},
    {"feed_forward.down_proj", "ffn_down"},
    {"mlp.gate", "ffn_gate_inp"},
    {"mlp.router", "ffn_gate_inp"},
    {"feed_forward.router", "ffn_gate_inp"},
    {"block_sparse_moe.gate", "ffn_gate_inp"},
    {"mlp.shared_expert.gate_proj", "ffn_gate_shexp"},
    {"mlp.shared_expert.up_proj", "ffn_up_shexp"},
    {"mlp.shared_expert.down_proj", "ffn_down_shexp"},
    {"mlp.shared_experts.gate_proj", "ffn_gate_shexp"},
    {"mlp.shared_experts.up_proj", "ffn_up_shexp"},
    {"mlp.shared_experts.down_proj", "ffn_down_shexp"},
    {"feed_forward.shared_expert.gate_proj", "ffn_gate_shexp"},
    {"feed_forward.shared_expert.up_proj", "ffn_up_shexp"},
    {"feed_forward.shared_expert.down_proj", "ffn_down_shexp"},
    {"mlp.shared_expert_gate", "ffn_gate_inp_shexp"},
    {"eh_proj", "nextn.eh_proj"},
    {"enorm", "nextn.enorm"},
    {"hnorm", "nextn.hnorm"},
    {"shared_head.norm", "nextn.shared_head_norm"},
};

// Names without a ".weight"/".bias" suffix in the checkpoint.
constexpr Module kBareNames[] = {
    {"self_attn.sinks", "attn_sinks.weight"},
    {"linear_attn.dt_bias", "ssm_dt.bias"},
    {"linear_attn.A_log", "ssm_a"},
    {"mlp.gate.e_score_correction_bias", "exp_probs_b.bias"},
};

// Per-expert projection names inside "experts.E.".
constexpr Module kExpertProjections[] = {
    {"w1", "ffn_gate_exps"},        {"w3", "ffn_up_exps"},      {"w2", "ffn_down_exps"},
    {"gate_proj", "ffn_gate_exps"}, {"up_proj", "ffn_up_exps"}, {"down_proj", "ffn_down_exps"},
};

// Module paths holding the per-expert projections ("experts.E.<projection>").
constexpr std::string_view kExpertPrefixes[] = {"block_sparse_moe.experts.", "mlp.experts.", "feed_forward.experts."};

// Splits "stem<suffix>" for the longest known quantization suffix.
std::optional<std::pair<std::string_view, const Suffix*>> split_suffix(std::string_view rest) {
    const Suffix* best = nullptr;
    for (const Suffix& s : kSuffixes)
        if (ends_with(rest, s.text) && (!best || s.text.size() > best->text.size())) best = &s;
    if (!best) return std::nullopt;
    return std::pair{rest.substr(0, rest.size() - best->text.size()), best};
}

// Fused expert tensors with the whole stack in one tensor (gpt-oss, Llama 4), e.g.
// "mlp.experts.gate_up_proj_blocks".
std::optional<HfTensorName> fused_experts(std::string_view rest, const std::string& blk) {
    for (std::string_view prefix : {"mlp.experts.", "feed_forward.experts."}) {
        if (!starts_with(rest, prefix)) continue;
        std::string_view tail = rest.substr(prefix.size());
        HfTensorName out;
        std::string_view kind = ".weight";
        if (ends_with(tail, "_blocks")) {
            out.part = HfPart::packed4;
            tail.remove_suffix(7);
        } else if (ends_with(tail, "_scales")) {
            out.part = HfPart::aux;
            tail.remove_suffix(7);
        } else if (ends_with(tail, "_bias")) {
            kind = ".bias";
            tail.remove_suffix(5);
        }
        if (tail == "gate_up_proj") {
            out.targets = {blk + "ffn_gate_exps" + std::string(kind), blk + "ffn_up_exps" + std::string(kind)};
        } else if (tail == "down_proj") {
            out.targets = {blk + "ffn_down_exps" + std::string(kind)};
        } else {
            return std::nullopt;
        }
        return out;
    }
    return std::nullopt;
}

std::optional<HfTensorName> block_tensor(std::string_view rest, std::int64_t layer) {
    const std::string blk = "blk." + std::to_string(layer) + ".";
    for (const Module& m : kBareNames)
        if (rest == m.hf) return HfTensorName{{blk + std::string(m.gguf)}, HfPart::values, -1};
    if (auto fused = fused_experts(rest, blk)) return fused;
    const auto split = split_suffix(rest);
    if (!split) return std::nullopt;
    const auto [stem, suffix] = *split;
    const std::string tail(suffix->gguf);
    if (stem == "self_attn.kv_b_proj")  // MLA: one matrix in the checkpoint, k_b and v_b in the inventory
        return HfTensorName{{blk + "attn_k_b" + tail, blk + "attn_v_b" + tail}, suffix->part, -1};
    for (const Module& m : kModules)
        if (stem == m.hf) return HfTensorName{{blk + std::string(m.gguf) + tail}, suffix->part, -1};
    for (std::string_view prefix : kExpertPrefixes) {
        if (!starts_with(stem, prefix)) continue;
        std::string_view e = stem.substr(prefix.size());
        const auto expert = take_index(e);
        if (!expert) return std::nullopt;
        for (const Module& p : kExpertProjections)
            if (e == p.hf) return HfTensorName{{blk + std::string(p.gguf) + tail}, suffix->part, *expert};
    }
    return std::nullopt;
}

}  // namespace

std::optional<TensorNameInfo> classify_tensor_name(std::string_view name, std::uint64_t main_layers) {
    if (name == "token_embd.weight") return TensorNameInfo{TensorClass::embedding, Role::token_embd, -1, false};
    if (name == "output.weight") return TensorNameInfo{TensorClass::output_head, Role::output, -1, false};
    if (name == "output_norm.weight") return TensorNameInfo{TensorClass::norm, Role::norm, -1, false};
    if (!starts_with(name, "blk.")) return std::nullopt;
    std::string_view rest = name.substr(4);
    const auto layer = take_index(rest);
    if (!layer) return std::nullopt;
    for (const BlockName& b : kBlockNames) {
        if (rest != b.suffix) continue;
        const bool mtp = static_cast<std::uint64_t>(*layer) >= main_layers;
        return TensorNameInfo{mtp ? TensorClass::mtp : b.cls, b.role, *layer, mtp};
    }
    return std::nullopt;
}

std::optional<HfTensorName> map_hf_tensor_name(std::string_view name) {
    // Multimodal checkpoints nest the text model (Llama 4: language_model.model.layers...).
    for (std::string_view p : {"language_model.", "model.language_model."})
        if (starts_with(name, p)) {
            name.remove_prefix(p.size());
            break;
        }
    if (starts_with(name, "model.")) name.remove_prefix(6);
    if (starts_with(name, "layers.")) {
        std::string_view rest = name.substr(7);
        const auto layer = take_index(rest);
        if (!layer) return std::nullopt;
        return block_tensor(rest, *layer);
    }
    const auto split = split_suffix(name);
    if (!split) return std::nullopt;
    const auto [stem, suffix] = *split;
    std::string gguf;
    if (stem == "embed_tokens")
        gguf = "token_embd";
    else if (stem == "norm")
        gguf = "output_norm";
    else if (stem == "lm_head")
        gguf = "output";
    else
        return std::nullopt;
    return HfTensorName{{gguf + std::string(suffix->gguf)}, suffix->part, -1};
}

std::vector<std::string> hf_names_for(std::string_view inventory_name, std::int64_t expert) {
    std::vector<std::string> candidates;
    if (!starts_with(inventory_name, "blk.")) {
        for (std::string_view stem : {"model.embed_tokens", "model.norm", "lm_head"})
            for (std::string_view suffix : {".weight", ".bias"})
                candidates.push_back(std::string(stem) + std::string(suffix));
    } else {
        std::string_view rest = inventory_name.substr(4);
        const auto layer = take_index(rest);
        if (!layer) return {};
        const std::string blk = "model.layers." + std::to_string(*layer) + ".";
        for (std::string_view suffix : {".weight", ".bias"}) {
            if (!ends_with(rest, suffix)) continue;
            const std::string_view stem = rest.substr(0, rest.size() - suffix.size());
            if (expert >= 0) {
                for (std::string_view prefix : kExpertPrefixes)
                    for (const Module& p : kExpertProjections)
                        if (stem == p.gguf)
                            candidates.push_back(blk + std::string(prefix) + std::to_string(expert) + "." +
                                                 std::string(p.hf) + std::string(suffix));
            } else {
                for (const Module& m : kModules)
                    if (stem == m.gguf) candidates.push_back(blk + std::string(m.hf) + std::string(suffix));
            }
        }
        if (expert < 0)
            for (const Module& m : kBareNames)
                if (rest == m.gguf) candidates.push_back(blk + std::string(m.hf));
    }
    // Keep exactly the names the reader translates back to this one tensor.
    std::vector<std::string> out;
    for (std::string& c : candidates) {
        const auto mapped = map_hf_tensor_name(c);
        if (mapped && mapped->part == HfPart::values && mapped->expert == expert && mapped->targets.size() == 1 &&
            mapped->targets[0] == inventory_name)
            out.push_back(std::move(c));
    }
    return out;
}

}  // namespace moefit::model
