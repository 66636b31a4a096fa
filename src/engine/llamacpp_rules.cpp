#include "engine/llamacpp_rules.hpp"

#include <algorithm>
#include <initializer_list>

#include "engine/format.hpp"
#include "util/strings.hpp"

namespace moefit::engine::llamacpp {
namespace {

// ~half the layers: the first and last eighth and every third one in between.
bool use_more_bits(std::int64_t i, std::int64_t n) {
    return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
}

bool one_of(Ft f, std::initializer_list<Ft> set) {
    return std::find(set.begin(), set.end(), f) != set.end();
}

}  // namespace

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

std::string_view Rules::choose(const model::Tensor& t) {
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

std::int64_t Rules::layer_index(std::int64_t from_name, std::int64_t counter) const {
    return f_.n_expert > 1 ? from_name : counter;
}

std::string_view Rules::output_type(const model::Tensor& t) const {
    const Format* def = find_format(def_);
    if (ft_ == Ft::mxfp4_moe) return "q8_0";
    if (def != nullptr && t.shape[0] % def->block_elems != 0) return "q8_0";
    if (one_of(ft_, {Ft::iq2_xxs, Ft::iq2_xs, Ft::iq3_xxs, Ft::iq1_s, Ft::iq2_s, Ft::iq2_m, Ft::iq1_m})) return "q5_k";
    return def_ != "q8_0" ? "q6_k" : def_;
}

std::string_view Rules::token_embd_type() const {
    if (one_of(ft_, {Ft::iq2_xxs, Ft::iq2_xs, Ft::iq1_s, Ft::iq1_m})) return "q2_k";
    if (one_of(ft_, {Ft::iq2_s, Ft::iq2_m, Ft::iq3_xxs})) return "iq3_s";
    if (one_of(ft_, {Ft::tq1_0, Ft::tq2_0})) return "q4_k";
    return def_;
}

std::string_view Rules::very_low_bit_type(Cat cat) {
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

std::string_view Rules::attn_v_type() {
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

std::string_view Rules::ffn_down_type(std::int64_t i) const {
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

std::string_view Rules::attn_output_type() const {
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

}  // namespace moefit::engine::llamacpp
