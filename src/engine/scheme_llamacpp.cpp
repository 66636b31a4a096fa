// llama.cpp file types: the per-tensor type rules of llama-quantize, read from llama.cpp
// src/llama-quant.cpp (`tensor_allows_quantization`, `llama_tensor_get_type_impl`,
// `tensor_type_fallback`, `llama_ftype_get_default_type`; formats.md §2, source S3) and the
// converter's F32 rule (convert_hf_to_gguf.py, S5). Only the no-imatrix paths are modelled.
#include <fmt/format.h>

#include <algorithm>

#include "engine/scheme.hpp"
#include "util/checked.hpp"
#include "util/strings.hpp"

namespace moefit::engine {
namespace {

enum class Ft {
    q2_k,
    q2_k_s,
    q3_k_s,
    q3_k_m,
    q3_k_l,
    q4_0,
    q4_1,
    q5_0,
    q5_1,
    q4_k_s,
    q4_k_m,
    q5_k_s,
    q5_k_m,
    q6_k,
    q8_0,
    iq1_s,
    iq1_m,
    iq2_xxs,
    iq2_xs,
    iq2_s,
    iq2_m,
    iq3_xxs,
    iq3_xs,
    iq3_s,
    iq3_m,
    iq4_nl,
    iq4_xs,
    tq1_0,
    tq2_0,
    mxfp4_moe,
    f16,
    bf16,
    f32,
};

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

// tensor_get_category: broad categories by name.
enum class Cat { token_embd, attn_q, attn_v_like, attn_k, attn_output, ffn_up, ffn_gate, ffn_down, output, other };

Cat category(std::string_view name) {
    if (name == "output.weight") return Cat::output;
    if (name == "token_embd.weight") return Cat::token_embd;
    // attn_qkv, attn_kv_b and attn_v are all "attn_v-like" (category_is_attn_v).
    if (contains(name, "attn_qkv.weight") || contains(name, "attn_kv_b.weight") || contains(name, "attn_v.weight"))
        return Cat::attn_v_like;
    if (contains(name, "attn_k.weight")) return Cat::attn_k;
    if (contains(name, "attn_q.weight")) return Cat::attn_q;
    if (contains(name, "attn_output.weight")) return Cat::attn_output;
    if (contains(name, "ffn_up")) return Cat::ffn_up;
    if (contains(name, "ffn_gate")) return Cat::ffn_gate;
    if (contains(name, "ffn_down")) return Cat::ffn_down;
    return Cat::other;
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

// ~half the layers: the first and last eighth and every third one in between.
bool use_more_bits(std::int64_t i, std::int64_t n) {
    return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
}

bool one_of(Ft f, std::initializer_list<Ft> set) {
    return std::find(set.begin(), set.end(), f) != set.end();
}

// Model facts the rules read from llama.cpp's hparams.
struct Facts {
    std::uint64_t n_expert = 0;
    std::uint64_t n_gqa = 1;          // n_head / n_head_kv (integer division, as llama.cpp)
    bool is_70b = false;              // LLM_TYPE_70B: dense llama arch, 80 layers, GQA
    bool tied = false;                // no output.weight: token_embd takes the output rule
    std::int64_t n_layer_all = 0;     // blocks incl. MTP blocks (n_ffn_down/gate/up)
    std::int64_t n_attention_wv = 0;  // attn_v-like tensors in the file
};

struct Counters {
    std::int64_t attention_wv = 0, ffn_down = 0, ffn_gate = 0, ffn_up = 0;
};

class Rules {
public:
    Rules(Ft ft, std::string_view default_type, const Facts& facts) : ft_(ft), def_(default_type), f_(facts) {}

    // llama_tensor_get_type_impl for one quantizable tensor, visited in llama.cpp's order.
    std::string_view choose(const model::Tensor& t) {
        const Cat cat = category(t.name);
        const std::int64_t layer = t.layer;  // the "blk.N." that layer_info parses
        if (cat == Cat::output || (f_.tied && cat == Cat::token_embd)) return output_type(t);
        if (ft_ == Ft::mxfp4_moe) return t.shape.size() > 2 && t.shape[2] > 1 ? "mxfp4" : "q8_0";
        if (cat == Cat::token_embd) return token_embd_type();
        if (one_of(ft_, {Ft::iq2_xxs, Ft::iq2_xs, Ft::iq1_s, Ft::iq2_s, Ft::iq2_m, Ft::iq1_m}))
            return very_low_bit_type(cat);
        switch (cat) {
            case Cat::attn_v_like:
                return attn_v_type();
            case Cat::attn_k:
                if (f_.n_expert == 8) return "q8_0";  // "trades just ~128MB"
                if (ft_ == Ft::iq3_xs) return "iq3_xxs";
                if (ft_ == Ft::iq3_xxs) return "iq2_s";
                return def_;
            case Cat::attn_q:
                if (ft_ == Ft::iq3_xs) return "iq3_xxs";
                if (ft_ == Ft::iq3_xxs) return "iq2_s";
                return def_;
            case Cat::ffn_down:
                return ffn_down_type(layer_index(layer, c_.ffn_down++));
            case Cat::attn_output:
                return attn_output_type();
            case Cat::ffn_gate:
            case Cat::ffn_up: {
                const std::int64_t i = layer_index(layer, cat == Cat::ffn_gate ? c_.ffn_gate++ : c_.ffn_up++);
                const std::int64_t n = f_.n_layer_all;
                if (ft_ == Ft::iq3_xs && i >= n / 8 && i < 7 * n / 8) return "iq3_xxs";
                return def_;
            }
            default:
                return def_;
        }
    }

private:
    // MoE models parse the layer from the name; dense ones count the tensors seen so far.
    std::int64_t layer_index(std::int64_t from_name, std::int64_t counter) const {
        return f_.n_expert > 1 ? from_name : counter;
    }

    std::string_view output_type(const model::Tensor& t) const {
        const Format* def = find_format(def_);
        if (ft_ == Ft::mxfp4_moe) return "q8_0";
        if (def != nullptr && t.shape[0] % def->block_elems != 0) return "q8_0";
        if (one_of(ft_, {Ft::iq2_xxs, Ft::iq2_xs, Ft::iq3_xxs, Ft::iq1_s, Ft::iq2_s, Ft::iq2_m, Ft::iq1_m}))
            return "q5_k";
        return def_ != "q8_0" ? "q6_k" : def_;
    }

    std::string_view token_embd_type() const {
        if (one_of(ft_, {Ft::iq2_xxs, Ft::iq2_xs, Ft::iq1_s, Ft::iq1_m})) return "q2_k";
        if (one_of(ft_, {Ft::iq2_s, Ft::iq2_m, Ft::iq3_xxs})) return "iq3_s";
        if (one_of(ft_, {Ft::tq1_0, Ft::tq2_0})) return "q4_k";
        return def_;
    }

    // IQ1 / IQ2 mixes have their own branch.
    std::string_view very_low_bit_type(Cat cat) {
        const bool iq2_sm = ft_ == Ft::iq2_s || ft_ == Ft::iq2_m;
        if (cat == Cat::attn_v_like) {
            ++c_.attention_wv;
            if (f_.n_gqa >= 4 || f_.n_expert >= 4) return "q4_k";
            return iq2_sm ? "iq3_s" : "q2_k";
        }
        if (cat == Cat::attn_k && f_.n_expert == 8) return "q4_k";
        if (cat == Cat::ffn_down) {
            // A running count of ffn_down tensors, not a layer index, against n_layer / 8.
            const bool first = c_.ffn_down++ < f_.n_layer_all / 8;
            if (first) return iq2_sm ? "iq3_s" : "q2_k";
            return def_;
        }
        if (cat == Cat::attn_output) {
            if (f_.n_expert == 8) return "q5_k";
            if (ft_ == Ft::iq1_s || ft_ == Ft::iq1_m) return "iq2_xxs";
            if (iq2_sm) return "iq3_s";
        }
        return def_;
    }

    std::string_view attn_v_type() {
        const std::int64_t i = c_.attention_wv++;
        std::string_view t = def_;
        switch (ft_) {
            case Ft::q2_k:
                t = f_.n_gqa >= 4 ? "q4_k" : "q3_k";
                break;
            case Ft::q2_k_s:
                if (f_.n_gqa >= 4) t = "q4_k";
                break;
            case Ft::iq3_xxs:
                t = f_.n_gqa >= 4 ? "q4_k" : "iq3_s";
                break;  // iq3_xxs only with an imatrix
            case Ft::iq3_xs:
            case Ft::iq3_s:
                if (f_.n_gqa >= 4) t = "q4_k";
                break;
            case Ft::iq3_m:
                t = "q4_k";
                break;
            case Ft::q3_k_m:
                t = i < 2 ? "q5_k" : "q4_k";
                break;
            case Ft::q3_k_l:
                t = "q5_k";
                break;
            case Ft::iq4_nl:
            case Ft::iq4_xs:
                if (f_.n_gqa >= 4) t = "q5_k";
                break;
            case Ft::q4_k_m:
            case Ft::q5_k_m:
                if (use_more_bits(i, f_.n_attention_wv)) t = "q6_k";
                break;
            case Ft::q4_k_s:
                if (i < 4) t = "q5_k";
                break;
            default:
                break;
        }
        // Llama-70B: 8 heads share one attn_v, so more bits cost little.
        if (f_.is_70b && (t == "q3_k" || t == "q4_k")) t = "q5_k";
        if (f_.n_expert == 8) t = "q8_0";
        return t;
    }

    std::string_view ffn_down_type(std::int64_t i) const {
        const std::int64_t n = f_.n_layer_all;
        switch (ft_) {
            case Ft::q2_k:
                return "q3_k";
            case Ft::q2_k_s:
                return i < n / 8 ? "q4_k" : def_;
            case Ft::iq3_xxs:
                return i < n / 8 ? "q4_k" : "q3_k";  // the no-imatrix branch
            case Ft::q3_k_m:
                return i < n / 16 ? "q5_k" : "q4_k";
            case Ft::iq3_m:
                return i < n / 8 || (f_.n_expert == 8 && use_more_bits(i, n)) ? "q4_k" : def_;
            case Ft::q3_k_l:
                return "q5_k";
            case Ft::q4_k_m:
                return use_more_bits(i, n) ? "q6_k" : def_;
            case Ft::iq4_nl:
            case Ft::iq4_xs:
                return i < n / 8 ? "q5_k" : def_;  // only without an imatrix
            case Ft::q5_k_m:
                return use_more_bits(i, n) ? "q6_k" : def_;
            case Ft::q4_k_s:
                return i < n / 8 ? "q5_k" : def_;
            default:
                return def_;  // Q4_0/Q5_0 bump ffn_down only with an imatrix
        }
    }

    std::string_view attn_output_type() const {
        if (f_.n_expert == 8) {
            return one_of(ft_, {Ft::q2_k, Ft::iq3_xs, Ft::iq3_xxs, Ft::q3_k_s, Ft::q3_k_m, Ft::iq4_nl, Ft::q4_k_s,
                                Ft::q4_k_m, Ft::iq3_s, Ft::iq3_m, Ft::iq4_xs})
                       ? "q5_k"
                       : def_;
        }
        switch (ft_) {
            case Ft::q2_k:
                return "q3_k";
            case Ft::iq3_xxs:
                return "iq3_s";
            case Ft::q3_k_m:
                return "q4_k";
            case Ft::q3_k_l:
                return "q5_k";
            case Ft::iq3_m:
                return "q4_k";
            default:
                return def_;
        }
    }

    Ft ft_;
    std::string_view def_;
    Facts f_;
    Counters c_;
};

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
