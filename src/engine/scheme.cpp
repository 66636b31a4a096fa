#include "engine/scheme.hpp"

#include <fmt/format.h>

#include "util/spelling.hpp"
#include "util/strings.hpp"

namespace moefit::engine {
namespace {

using model::Role;
using model::Tensor;
using model::TensorClass;

constexpr std::array<std::string_view, kMixKeyCount> k_mix_keys = {
    "default", "experts", "shared", "attention", "embeddings", "output", "dense", "router", "norms",
};

// Checkpoint layouts: how a Hugging Face checkpoint stores each tensor (see checkpoint_format).
struct CheckpointRow {
    std::string_view name;
    std::array<std::string_view, 2> aliases;
};
constexpr CheckpointRow k_checkpoints[] = {
    {"bf16", {"bfloat16", ""}},          {"fp16", {"f16", "float16"}}, {"fp32", {"f32", "float32"}},
    {"fp8_block128", {"fp8_block", ""}}, {"mxfp4_experts", {"", ""}},  {"int4_g32_experts", {"", ""}},
};

std::string_view find_checkpoint(std::string_view name) {
    for (const CheckpointRow& r : k_checkpoints) {
        if (same_name(name, r.name) || same_name(name, r.aliases[0]) || same_name(name, r.aliases[1])) return r.name;
    }
    return {};
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

Error unknown_scheme(std::string_view name) {
    Error e = make_error(fmt::format("unknown quantization scheme \"{}\"", name), {}, ErrorKind::not_found);
    e.hint = did_you_mean(name, scheme_names());
    e.hint += std::string(e.hint.empty() ? "" : " ") +
              "(`moefit list quants` shows the schemes; a mix looks like experts=q4_k,default=q8_0)";
    return e;
}

// A named scheme (no "="): a llama.cpp file type, a checkpoint layout or "native".
Status set_base(Scheme& s, std::string_view name, const model::ModelSpec& spec) {
    if (same_name(name, "native")) {
        const std::string_view native = find_checkpoint(spec.native_format);
        if (native.empty()) {
            return make_error(
                fmt::format("model \"{}\" has native_format \"{}\", which is not a checkpoint layout; "
                            "expected one of bf16, fp16, fp32, fp8_block128, mxfp4_experts, "
                            "int4_g32_experts",
                            spec.id, spec.native_format));
        }
        s.base = SchemeBase::checkpoint;
        s.base_name = native;
        return {};
    }
    if (const std::string_view ft = find_llamacpp_ftype(name); !ft.empty()) {
        s.base = SchemeBase::llama_cpp;
        s.base_name = ft;
        return {};
    }
    if (const std::string_view cp = find_checkpoint(name); !cp.empty()) {
        s.base = SchemeBase::checkpoint;
        s.base_name = cp;
        return {};
    }
    return unknown_scheme(name);
}

// One "key=format" item of a mix.
Status set_mix_item(Scheme& s, std::string_view item, std::string_view key, std::string_view value) {
    const std::vector<std::string> keys(k_mix_keys.begin(), k_mix_keys.end());
    int k = -1;
    for (int i = 0; i < kMixKeyCount; ++i) {
        if (same_name(key, k_mix_keys[static_cast<std::size_t>(i)])) k = i;
    }
    if (k < 0) {
        Error e =
            make_error(fmt::format("unknown mix key \"{}\" in \"{}\"; expected one of: default, experts, "
                                   "shared, attention, embeddings, output, dense, router, norms",
                                   key, item));
        e.hint = did_you_mean(key, keys);
        return e;
    }
    if (s.mix[static_cast<std::size_t>(k)] != nullptr) {
        return make_error(fmt::format("mix key \"{}\" is given twice", k_mix_keys[static_cast<std::size_t>(k)]));
    }
    if (value.empty()) {
        return make_error(fmt::format("mix item \"{}\" has no format after '='", item));
    }
    const Format* f = find_format(value);
    if (f == nullptr) {
        Error e =
            make_error(fmt::format("unknown weight format \"{}\" in \"{}\"", value, item), {}, ErrorKind::not_found);
        e.hint = did_you_mean(value, format_names());
        e.hint += std::string(e.hint.empty() ? "" : " ") + "(`moefit list quants` shows the formats)";
        return e;
    }
    if (!f->storable) {
        return make_error(fmt::format("\"{}\" is a dot-product intermediate type, not a storage format", f->name));
    }
    s.mix[static_cast<std::size_t>(k)] = f;
    return {};
}

// The class a tensor would have in a main-model block; MTP tensors are classed by role.
TensorClass main_class(const Tensor& t) {
    if (t.cls != TensorClass::mtp) return t.cls;
    const std::string_view n = t.name;
    switch (t.role) {
        case Role::token_embd:
            return TensorClass::embedding;
        case Role::output:
            return TensorClass::output_head;
        case Role::norm:
            return TensorClass::norm;
        case Role::router:
        case Role::router_bias:
            return TensorClass::router;
        case Role::ffn_gate_exps:
        case Role::ffn_up_exps:
        case Role::ffn_down_exps:
            return TensorClass::routed_expert;
        case Role::shared_gate:
            return TensorClass::shared_expert;
        case Role::ffn_gate:
        case Role::ffn_up:
        case Role::ffn_down:
            return contains(n, "shexp") ? TensorClass::shared_expert : TensorClass::dense_ffn;
        case Role::bias:
            if (contains(n, "_exps")) return TensorClass::routed_expert;
            if (contains(n, "shexp")) return TensorClass::shared_expert;
            return contains(n, "ffn_") ? TensorClass::dense_ffn : TensorClass::attention;
        case Role::mtp_proj:
            return TensorClass::mtp;
        default:
            return TensorClass::attention;  // attn_*, ssm_*
    }
}

// The mix key covering a tensor; the MTP projection only has `default`.
MixKey group_of(const Tensor& t) {
    switch (main_class(t)) {
        case TensorClass::embedding:
            return MixKey::embeddings;
        case TensorClass::attention:
            return MixKey::attention;
        case TensorClass::router:
            return MixKey::router;
        case TensorClass::routed_expert:
            return MixKey::experts;
        case TensorClass::shared_expert:
            return MixKey::shared;
        case TensorClass::dense_ffn:
            return MixKey::dense;
        case TensorClass::norm:
            return MixKey::norms;
        case TensorClass::output_head:
            return MixKey::output;
        case TensorClass::mtp:
            return MixKey::default_format;
    }
    return MixKey::default_format;
}

// Tensors no engine quantizes: 1-D vectors, norms, biases, sinks, the router and SSM conv/params.
bool keeps_precision(const Tensor& t) {
    switch (t.role) {
        case Role::norm:
        case Role::bias:
        case Role::router:
        case Role::router_bias:
        case Role::attn_sinks:
        case Role::ssm_conv:
        case Role::ssm_param:
        case Role::shared_gate:
            return true;
        default:
            return t.shape.size() <= 1;
    }
}

// A 2-D+ Linear weight, the kind block-FP8 checkpoints store as fp8.
bool is_linear(const Tensor& t) {
    if (t.shape.size() < 2) return false;
    switch (t.role) {
        case Role::attn_q:
        case Role::attn_k:
        case Role::attn_v:
        case Role::attn_output:
        case Role::attn_q_a:
        case Role::attn_q_b:
        case Role::attn_kv_a:
        case Role::attn_k_b:
        case Role::attn_v_b:
        case Role::ssm_in:
        case Role::ssm_ba:
        case Role::ssm_out:
        case Role::ffn_gate:
        case Role::ffn_up:
        case Role::ffn_down:
        case Role::ffn_gate_exps:
        case Role::ffn_up_exps:
        case Role::ffn_down_exps:
            return true;
        default:
            return false;
    }
}

bool is_routed_weight(const Tensor& t) {
    return t.role == Role::ffn_gate_exps || t.role == Role::ffn_up_exps || t.role == Role::ffn_down_exps;
}

const Format& named(std::string_view name) {
    return *find_format(name);
}

// Checkpoint layouts, from the published checkpoints:
//  - fp8_block128 (DeepSeek-V3 / Kimi-K2 safetensors, S25): every Linear in fp8 with fp32
//    weight_scale_inv per 128x128 tile (MLA kv_b included); embed_tokens, lm_head, norms, the router
//    gate and MTP eh_proj in bf16; e_score_correction_bias in fp32.
//  - mxfp4_experts (gpt-oss, S26): expert matrices MXFP4; attention, router, embeddings, head,
//    sinks, biases and norms bf16.
//  - int4_g32_experts (Kimi-K2-Thinking, S30): routed experts int4 g32; the rest bf16, the
//    correction bias fp32 as in the fp8 release.
const Format& checkpoint_format(const Tensor& t, std::string_view layout) {
    if (layout == "bf16" || layout == "fp16" || layout == "fp32") return named(layout);
    const bool correction_bias = contains(t.name, "exp_probs_b");
    if (layout == "mxfp4_experts") return is_routed_weight(t) ? named("mxfp4") : named("bf16");
    if (layout == "int4_g32_experts") {
        if (is_routed_weight(t)) return named("int4_g32");
        return correction_bias ? named("f32") : named("bf16");
    }
    // fp8_block128
    if (correction_bias) return named("f32");
    return is_linear(t) ? named("fp8_block128") : named("bf16");
}

std::vector<std::string> checkpoint_notes(std::string_view layout) {
    if (layout == "fp8_block128") {
        return {
            "fp8_block128: Linear weights fp8 e4m3 + fp32 scale per 128x128 tile; embeddings, output head, "
            "norms, router and MTP eh_proj bf16; correction bias fp32 (DeepSeek-V3 checkpoint layout)"};
    }
    if (layout == "mxfp4_experts") {
        return {"mxfp4_experts: routed expert matrices mxfp4, every other tensor bf16 (gpt-oss checkpoint layout)"};
    }
    if (layout == "int4_g32_experts") {
        return {
            "int4_g32_experts: routed expert matrices int4 with a bf16 scale per 32, other tensors bf16 "
            "(Kimi-K2-Thinking checkpoint layout)"};
    }
    return {fmt::format("{}: every tensor stored as {}", layout, layout)};
}

}  // namespace

std::string_view to_string(MixKey key) {
    return k_mix_keys[static_cast<std::size_t>(key)];
}

std::vector<std::string> scheme_names() {
    std::vector<std::string> names = llamacpp_ftype_names();
    for (const CheckpointRow& r : k_checkpoints) names.emplace_back(r.name);
    names.emplace_back("native");
    return names;
}

Result<Scheme> parse_scheme(std::string_view text, const model::ModelSpec& spec) {
    Scheme s;
    const std::string_view all = trim(text);
    if (all.empty()) {
        return make_error(
            "empty quantization scheme; expected a name such as Q4_K_M or fp8_block128, "
            "\"native\", or a mix such as experts=q4_k,default=q8_0");
    }
    // "native" is the checkpoint's own layout. A quantized checkpoint (GPTQ, AWQ, bitsandbytes)
    // describes its layout as a mix, which "native" stands for, followed by any items given after it.
    const std::string_view head = trim(all.substr(0, std::min(all.find(','), all.size())));
    if (same_name(head, "native") && find_checkpoint(spec.native_format).empty() &&
        spec.native_format.find('=') != std::string::npos && spec.native_format.rfind("native", 0) != 0) {
        return parse_scheme(spec.native_format + std::string(all.substr(head.size())), spec);
    }
    std::size_t pos = 0;
    bool first = true;
    while (pos <= all.size()) {
        const std::size_t comma = std::min(all.find(',', pos), all.size());
        const std::string_view item = trim(all.substr(pos, comma - pos));
        pos = comma + 1;
        if (item.empty()) {
            return make_error(fmt::format("empty item in quantization scheme \"{}\"", all));
        }
        const std::size_t eq = item.find('=');
        if (eq == std::string_view::npos) {
            if (!first) {
                return make_error(
                    fmt::format("\"{}\" must come first in \"{}\": a mix may start from one named "
                                "scheme, followed by key=format items",
                                item, all));
            }
            MOEFIT_CHECK(set_base(s, item, spec));
        } else {
            MOEFIT_CHECK(set_mix_item(s, item, trim(item.substr(0, eq)), trim(item.substr(eq + 1))));
        }
        first = false;
    }
    s.name = s.base_name;
    for (int k = 0; k < kMixKeyCount; ++k) {
        const Format* f = s.mix[static_cast<std::size_t>(k)];
        if (f == nullptr) continue;
        if (!s.name.empty()) s.name += ',';
        s.name += fmt::format("{}={}", k_mix_keys[static_cast<std::size_t>(k)], f->name);
    }
    return s;
}

Result<SchemeAssignment> assign_formats(const model::Inventory& inv, const model::ModelSpec& spec,
                                        const Scheme& scheme) {
    SchemeAssignment out;
    switch (scheme.base) {
        case SchemeBase::llama_cpp: {
            MOEFIT_TRY(base, assign_llamacpp(inv, spec, scheme.base_name));
            out = std::move(base);
            break;
        }
        case SchemeBase::checkpoint: {
            if (find_checkpoint(scheme.base_name).empty()) {
                return make_error(fmt::format("unknown checkpoint layout \"{}\"", scheme.base_name), {},
                                  ErrorKind::internal);
            }
            for (const Tensor& t : inv.tensors) {
                const Format& f = checkpoint_format(t, scheme.base_name);
                out.choices.push_back({&f, &f, false});
            }
            out.notes = checkpoint_notes(scheme.base_name);
            break;
        }
        case SchemeBase::none:
            out.choices.resize(inv.tensors.size());
            break;
    }

    const Format* def = scheme.of(MixKey::default_format);
    const bool has_base = scheme.base != SchemeBase::none;
    std::uint64_t kept = 0;
    for (std::size_t i = 0; i < inv.tensors.size(); ++i) {
        const Tensor& t = inv.tensors[i];
        const Format* want = scheme.of(group_of(t));
        if (want == nullptr && has_base) continue;  // the base scheme's choice stands
        if (want == nullptr) want = def;
        if (want == nullptr) want = &named("bf16");
        // A quantized format from a broad key skips the tensors no engine quantizes; only
        // norms= and router= reach them on purpose.
        const MixKey g = group_of(t);
        const bool on_purpose = scheme.of(g) != nullptr && (g == MixKey::norms || g == MixKey::router);
        if (keeps_precision(t) && want->family != Family::floating && !on_purpose) {
            ++kept;
            if (has_base) continue;
            want = &named("bf16");
        }
        out.choices[i] = ggml_fallback(*want, t.shape[0]);
    }
    if (!has_base && def == nullptr) {
        out.notes.push_back("the mix has no default: tensors it does not cover are bf16");
    }
    if (kept > 0) {
        out.notes.push_back(
            fmt::format("{} norm, bias, router and 1-D tensors keep {} (set norms= or router= "
                        "to quantize them)",
                        kept, has_base ? "the base scheme's type" : "bf16"));
    }
    return out;
}

}  // namespace moefit::engine
