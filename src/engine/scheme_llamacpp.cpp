// llama.cpp file types: the per-tensor type rules of llama-quantize, read from llama.cpp
// src/llama-quant.cpp (`tensor_allows_quantization`, `llama_tensor_get_type_impl`,
// `tensor_type_fallback`, `llama_ftype_get_default_type`; formats.md §2, source S3) and the
// converter's F32 rule (convert_hf_to_gguf.py, S5). Only the no-imatrix paths are modelled.
#include <fmt/format.h>

#include <algorithm>

#include "engine/llamacpp_rules.hpp"
#include "engine/scheme.hpp"
#include "util/strings.hpp"

namespace moefit::engine {
namespace {

using llamacpp::Cat;
using llamacpp::category;
using llamacpp::Facts;
using llamacpp::Ft;
using llamacpp::Rules;

struct FtypeRow {
    Ft id;
    std::string_view name;          // as llama-quantize spells it
    std::string_view default_type;  // llama_ftype_get_default_type
};

// The float file types are prefixed with GGUF_ so that "bf16" stays the checkpoint layout.
constexpr FtypeRow k_ftypes[] = {
    {Ft::q2_k, "Q2_K", "q2_k"},       {Ft::q2_k_s, "Q2_K_S", "q2_k"},
    {Ft::q3_k_s, "Q3_K_S", "q3_k"},   {Ft::q3_k_m, "Q3_K_M", "q3_k"},
    {Ft::q3_k_l, "Q3_K_L", "q3_k"},   {Ft::q4_0, "Q4_0", "q4_0"},
    {Ft::q4_1, "Q4_1", "q4_1"},       {Ft::q5_0, "Q5_0", "q5_0"},
    {Ft::q5_1, "Q5_1", "q5_1"},       {Ft::q4_k_s, "Q4_K_S", "q4_k"},
    {Ft::q4_k_m, "Q4_K_M", "q4_k"},   {Ft::q5_k_s, "Q5_K_S", "q5_k"},
    {Ft::q5_k_m, "Q5_K_M", "q5_k"},   {Ft::q6_k, "Q6_K", "q6_k"},
    {Ft::q8_0, "Q8_0", "q8_0"},       {Ft::iq1_s, "IQ1_S", "iq1_s"},
    {Ft::iq1_m, "IQ1_M", "iq1_m"},    {Ft::iq2_xxs, "IQ2_XXS", "iq2_xxs"},
    {Ft::iq2_xs, "IQ2_XS", "iq2_xs"}, {Ft::iq2_s, "IQ2_S", "iq2_xs"},  // sic: IQ2_S -> iq2_xs
    {Ft::iq2_m, "IQ2_M", "iq2_s"},    {Ft::iq3_xxs, "IQ3_XXS", "iq3_xxs"},
    {Ft::iq3_xs, "IQ3_XS", "iq3_s"},  {Ft::iq3_s, "IQ3_S", "iq3_s"},
    {Ft::iq3_m, "IQ3_M", "iq3_s"},    {Ft::iq4_nl, "IQ4_NL", "iq4_nl"},
    {Ft::iq4_xs, "IQ4_XS", "iq4_xs"}, {Ft::tq1_0, "TQ1_0", "tq1_0"},
    {Ft::tq2_0, "TQ2_0", "tq2_0"},    {Ft::mxfp4_moe, "MXFP4_MOE", "mxfp4"},
    {Ft::f16, "GGUF_F16", "f16"},     {Ft::bf16, "GGUF_BF16", "bf16"},
    {Ft::f32, "GGUF_F32", "f32"},
};

const FtypeRow* find_row(std::string_view name) {
    for (const FtypeRow& r : k_ftypes) {
        if (same_name(name, r.name)) return &r;
    }
    return nullptr;
}

// The converter writes these as F32 (1-D, norms, non-".weight", router, conv1d); llama-quantize
// then leaves them alone.
bool converter_writes_f32(const model::Tensor& t) {
    const std::string_view n = t.name;
    return t.shape.size() <= 1 || ends_with(n, "_norm.weight") || !ends_with(n, ".weight") ||
           contains(n, "ffn_gate_inp.weight") || contains(n, "ssm_conv1d");
}

// tensor_allows_quantization, restricted to the names an inventory can hold.
bool allows_quantization(const model::Tensor& t) {
    const std::string_view n = t.name;
    return t.shape.size() >= 2 && ends_with(n, "weight") && !contains(n, "_norm.weight") &&
           !contains(n, "ffn_gate_inp.weight") && !contains(n, "ssm_conv1d");
}

Facts model_facts(const model::Inventory& inv, const model::ModelSpec& spec) {
    Facts f;
    f.n_expert = spec.moe.num_experts;
    const std::uint64_t kv = spec.attention.num_kv_heads;
    f.n_gqa = kv > 0 ? spec.attention.num_heads / kv : 1;
    f.is_70b = spec.gguf_arch == "llama" && !spec.is_moe() && spec.num_layers == 80 && spec.attention.num_heads != kv;
    f.tied = true;
    for (const model::Tensor& t : inv.tensors) {
        if (t.name == "output.weight") f.tied = false;
        if (category(t.name) == Cat::attn_v_like) ++f.n_attention_wv;
        f.n_layer_all = std::max(f.n_layer_all, t.layer + 1);
    }
    return f;
}

// Types llama-quantize refuses to produce without an importance matrix (tensor_requires_imatrix).
bool needs_imatrix(const model::Tensor& t, std::string_view type, Ft ft) {
    if (t.name == "token_embd.weight" || t.name == "output.weight") return false;
    if (type == "q2_k") return ft == Ft::q2_k_s;
    return type == "iq3_xxs" || type == "iq2_xxs" || type == "iq2_xs" || type == "iq2_s" || type == "iq1_m" ||
           type == "iq1_s";
}

}  // namespace

std::vector<std::string> llamacpp_ftype_names() {
    std::vector<std::string> names;
    for (const FtypeRow& r : k_ftypes) names.emplace_back(r.name);
    return names;
}

std::string_view find_llamacpp_ftype(std::string_view name) {
    const FtypeRow* r = find_row(name);
    return r != nullptr ? r->name : std::string_view{};
}

FormatChoice ggml_fallback(const Format& requested, std::uint64_t ne0) {
    if (requested.layout != Layout::block_rows || ne0 % requested.block_elems == 0) {
        return {&requested, &requested, false};
    }
    const std::string_view n = requested.name;
    std::string_view to;
    if (n == "iq1_s" || n == "iq1_m" || n == "iq2_xxs" || n == "iq2_xs" || n == "iq2_s" || n == "iq3_xxs" ||
        n == "iq3_s" || n == "iq4_xs") {
        to = "iq4_nl";
    } else if (n == "q2_0" || n == "q2_k" || n == "q3_k" || n == "tq1_0" || n == "tq2_0") {
        to = "q4_0";
    } else if (n == "q4_k") {
        to = "q5_0";
    } else if (n == "q5_k") {
        to = "q5_1";
    } else if (n == "q6_k") {
        to = "q8_0";
    }
    // llama.cpp stops with an error where it defines no fallback; F16 always fits a row.
    const Format* f = to.empty() ? nullptr : find_format(to);
    if (f == nullptr || ne0 % f->block_elems != 0) f = find_format("f16");
    return {f, &requested, true};
}

Result<SchemeAssignment> assign_llamacpp(const model::Inventory& inv, const model::ModelSpec& spec,
                                         std::string_view ftype) {
    const FtypeRow* row = find_row(ftype);
    if (row == nullptr) {
        return make_error(fmt::format("unknown llama.cpp file type \"{}\"", ftype), {}, ErrorKind::internal);
    }
    const Format* def = find_format(row->default_type);
    const Format* f32 = find_format("f32");
    const Format* f16 = find_format("f16");
    const bool quantized = def->family != Family::floating;  // ggml_is_quantized(default_type)
    const Facts facts = model_facts(inv, spec);

    // The quantizer visits tensors sorted by block number, then by name (weight_name_comparer);
    // the attn_v and ffn_down counters depend on that order.
    std::vector<std::size_t> order(inv.tensors.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        const model::Tensor& x = inv.tensors[a];
        const model::Tensor& y = inv.tensors[b];
        return x.layer != y.layer ? x.layer < y.layer : x.name < y.name;
    });

    SchemeAssignment out;
    out.choices.resize(inv.tensors.size());
    Rules rules(row->id, row->default_type, facts);
    std::uint64_t imatrix_tensors = 0, bf16_kept = 0;
    for (std::size_t index : order) {
        const model::Tensor& t = inv.tensors[index];
        FormatChoice& c = out.choices[index];
        if (row->id == Ft::f32 || converter_writes_f32(t)) {
            c = {f32, f32, false};
        } else if (!allows_quantization(t)) {
            c = {f16, f16, false};  // kept in the converter's type; not reached by our inventories
            ++bf16_kept;
        } else if (!quantized) {
            c = {def, def, false};
        } else {
            const Format* want = find_format(rules.choose(t));
            c = ggml_fallback(*want, t.shape[0]);
            if (needs_imatrix(t, c.format->name, row->id)) ++imatrix_tensors;
        }
    }
    out.notes.push_back(
        fmt::format("{}: llama-quantize rules without an importance matrix; norms, biases, 1-D tensors and the router "
                    "stay f32 as the converter writes them",
                    row->name));
    if (imatrix_tensors > 0) {
        out.notes.push_back(fmt::format(
            "llama-quantize refuses {} without an importance matrix ({} tensors get a type that needs one); "
            "an imatrix does not change the sizes shown except where noted in the rules",
            row->name, imatrix_tensors));
    }
    if (bf16_kept > 0) {
        out.notes.push_back(fmt::format("{} tensors cannot be quantized and are counted as f16", bf16_kept));
    }
    return out;
}

}  // namespace moefit::engine
