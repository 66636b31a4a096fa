// build_safetensors: the scaled model as a Hugging Face folder, config.json and one
// model.safetensors (synth.hpp).
//
// Names are the inverse of what the checkpoint reader accepts (model::hf_names_for, picked per
// architecture), shapes are the transformers parameters' (row-major, the reverse of ggml's), and
// the values are the inventory's (reference::init_tensor), moved to where transformers keeps them:
// a stacked expert tensor becomes one tensor per expert; MLA's attn_k_b and attn_v_b are put back
// into the one kv_b_proj the converters split (llama.cpp convert_hf_to_gguf.py: kv_b viewed as
// [heads, nope + v, kv_lora], k_b = the first nope rows of each head transposed, v_b the rest);
// gpt-oss keeps its experts fused, gate_up_proj [E, hidden, 2 I] with gate and up interleaved
// (gate at even columns) and down_proj [E, I, hidden], the transpose of each expert's Linear.
// Rows are not permuted for RoPE (llama.cpp's Llama converter permutes q/k rows for its
// interleaved RoPE): row r of a checkpoint matrix is row r of the inventory tensor.
#include "synth/hf_export.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "model/tensor_names.hpp"
#include "reference/init.hpp"
#include "reference/quant.hpp"
#include "synth/synth.hpp"
#include "util/checked.hpp"

namespace moefit::synth {
namespace {

using model::Role;
using model::Tensor;

// Where a checkpoint tensor's values come from, in transformers' element order.
enum class Layout {
    plain,         // the inventory tensor as it is
    expert,        // expert `expert` of a stacked routed-expert tensor
    kv_b,          // MLA kv_b_proj from attn_k_b (sources[0]) and attn_v_b (sources[1])
    gate_up,       // gpt-oss gate_up_proj from ffn_gate_exps and ffn_up_exps
    gate_up_bias,  // gpt-oss gate_up_proj_bias from their biases
    down,          // gpt-oss down_proj: each expert's ffn_down_exps transposed
};

struct HfTensor {
    std::string name;
    std::vector<std::uint64_t> shape;  // row-major, as transformers holds the parameter
    Layout layout = Layout::plain;
    std::vector<std::size_t> sources;  // indices into SynthModel::weights.tensors
    std::uint64_t expert = 0;
    reference::WeightKind kind = reference::WeightKind::f32;
    std::uint64_t bytes = 0;
    std::uint64_t offset = 0;  // in the data section
};

Error internal(const std::string& message) {
    return make_error(message, {}, ErrorKind::internal);
}

// Fragments of the module names each architecture's transformers implementation uses, to pick
// among the names the reader accepts (e.g. Mixtral's block_sparse_moe.gate over mlp.gate).
std::vector<std::string_view> preferred_fragments(const std::string& architecture) {
    if (architecture == "MixtralForCausalLM") return {"block_sparse_moe.", ".w1.", ".w2.", ".w3."};
    if (architecture == "GptOssForCausalLM") return {"mlp.router"};
    if (architecture == "Qwen2MoeForCausalLM") return {"mlp.", "_proj.", "shared_expert."};
    if (architecture.starts_with("Deepseek") || architecture == "Glm4MoeForCausalLM")
        return {"mlp.", "_proj.", "shared_experts."};
    return {"mlp.", "_proj."};
}

// The accepted name with the most preferred fragments (the reader's table order on a tie).
Result<std::string> pick_name(const std::string& architecture, const Tensor& t, std::int64_t expert) {
    const std::vector<std::string> names = model::hf_names_for(t.name, expert);
    if (names.empty()) return internal(fmt::format("no Hugging Face name for tensor \"{}\"", t.name));
    const std::vector<std::string_view> prefer = preferred_fragments(architecture);
    std::size_t best = 0, best_score = 0;
    for (std::size_t i = 0; i < names.size(); ++i) {
        std::size_t score = 0;
        for (std::string_view f : prefer) score += names[i].find(f) != std::string::npos ? 1 : 0;
        if (score > best_score) {
            best = i;
            best_score = score;
        }
    }
    return names[best];
}

std::vector<std::uint64_t> reversed(std::vector<std::uint64_t> shape) {
    return {shape.rbegin(), shape.rend()};
}

// A name of a fused tensor, checked against the reader: it must hold exactly `targets`.
Result<std::string> fused_name(std::int64_t layer, const std::string& module, std::vector<std::string> targets) {
    const std::string name = fmt::format("model.layers.{}.{}", layer, module);
    const auto mapped = model::map_hf_tensor_name(name);
    if (!mapped || mapped->targets != targets)
        return internal(
            fmt::format("the checkpoint reader does not read \"{}\" as {}", name, fmt::join(targets, " + ")));
    return name;
}

class Planner {
public:
    explicit Planner(const SynthModel& m) : m_(m) {
        for (std::size_t i = 0; i < m.weights.tensors.size(); ++i) index_[tensor(i).name] = i;
    }

    Result<std::vector<HfTensor>> plan() {
        const bool fused_experts = m_.scaled.architecture == "GptOssForCausalLM";
        for (std::size_t i = 0; i < m_.weights.tensors.size(); ++i) {
            const Tensor& t = tensor(i);
            if (t.role == Role::attn_v_b) continue;  // inside kv_b_proj
            if (t.role == Role::attn_k_b) {
                MOEFIT_CHECK(add_kv_b(i, t));
            } else if (t.experts > 1 && fused_experts) {
                MOEFIT_CHECK(add_fused_expert(i, t));
            } else if (t.experts > 1) {
                for (std::uint64_t e = 0; e < t.experts; ++e) {
                    MOEFIT_TRY(name, pick_name(m_.scaled.architecture, t, static_cast<std::int64_t>(e)));
                    std::vector<std::uint64_t> shape(t.shape.begin(), t.shape.end() - 1);
                    MOEFIT_CHECK(add({std::move(name), reversed(shape), Layout::expert, {i}, e}));
                }
            } else {
                MOEFIT_TRY(name, pick_name(m_.scaled.architecture, t, -1));
                // Qwen2-MoE's shared_expert_gate is a Linear(hidden, 1): [1, hidden].
                std::vector<std::uint64_t> shape =
                    t.role == Role::shared_gate ? std::vector<std::uint64_t>{1, t.shape[0]} : reversed(t.shape);
                MOEFIT_CHECK(add({std::move(name), std::move(shape), Layout::plain, {i}}));
            }
        }
        return std::move(out_);
    }

private:
    const Tensor& tensor(std::size_t i) const { return m_.inventory.tensors[m_.weights.tensors[i].tensor_index]; }

    Result<std::size_t> partner(const Tensor& t, std::string_view from, std::string_view to) const {
        std::string name = t.name;
        name.replace(name.find(from), from.size(), to);
        const auto it = index_.find(name);
        if (it == index_.end()) return internal(fmt::format("tensor \"{}\" has no \"{}\" beside it", t.name, name));
        return it->second;
    }

    Status add_kv_b(std::size_t i, const Tensor& k_b) {
        MOEFIT_TRY(v, partner(k_b, "attn_k_b", "attn_v_b"));
        const Tensor& v_b = tensor(v);
        // k_b {nope, kv_lora, heads}, v_b {kv_lora, v_head, heads} -> [heads * (nope + v_head), kv_lora].
        const std::uint64_t rows = checked_mul(k_b.shape[2], k_b.shape[0] + v_b.shape[1]);
        MOEFIT_TRY(name, fused_name(k_b.layer, "self_attn.kv_b_proj.weight", {k_b.name, v_b.name}));
        return add({std::move(name), {rows, k_b.shape[1]}, Layout::kv_b, {i, v}});
    }

    // gpt-oss: gate and up become one interleaved tensor, down is transposed, biases follow.
    Status add_fused_expert(std::size_t i, const Tensor& t) {
        const bool bias = t.role == Role::bias;
        const std::uint64_t e = t.experts;
        if (t.name.find("ffn_up_exps") != std::string::npos) return {};  // inside gate_up_proj
        if (t.name.find("ffn_gate_exps") != std::string::npos) {
            MOEFIT_TRY(up, partner(t, "ffn_gate_exps", "ffn_up_exps"));
            const std::string module = bias ? "mlp.experts.gate_up_proj_bias" : "mlp.experts.gate_up_proj";
            MOEFIT_TRY(name, fused_name(t.layer, module, {t.name, tensor(up).name}));
            std::vector<std::uint64_t> shape = bias ? std::vector<std::uint64_t>{e, 2 * t.shape[0]}
                                                    : std::vector<std::uint64_t>{e, t.shape[0], 2 * t.shape[1]};
            return add({std::move(name), std::move(shape), bias ? Layout::gate_up_bias : Layout::gate_up, {i, up}});
        }
        const std::string module = bias ? "mlp.experts.down_proj_bias" : "mlp.experts.down_proj";
        MOEFIT_TRY(name, fused_name(t.layer, module, {t.name}));
        if (bias) return add({std::move(name), reversed(t.shape), Layout::plain, {i}});
        return add({std::move(name), {e, t.shape[0], t.shape[1]}, Layout::down, {i}});
    }

    // Appends `h` with its dtype and bytes, which must be the engine's for its sources.
    Status add(HfTensor h) {
        std::uint64_t elements = 1, expected = 0;
        for (std::uint64_t d : h.shape) elements = checked_mul(elements, d);
        for (std::size_t s : h.sources) {
            const engine::TensorAssignment& a = m_.weights.tensors[s];
            reference::WeightKind kind;
            if (!reference::weight_kind_of(a.format->name, kind) || reference::row_bytes(kind, 1) == 0)
                return internal(
                    fmt::format("tensor \"{}\" got {}, which safetensors cannot hold", tensor(s).name, a.format->name));
            if (s != h.sources[0] && kind != h.kind)
                return internal(fmt::format("\"{}\" would mix two weight types", h.name));
            h.kind = kind;
            expected = checked_add(expected, h.layout == Layout::expert ? a.bytes / tensor(s).experts : a.bytes);
        }
        h.bytes = checked_mul(elements, reference::row_bytes(h.kind, 1));
        if (h.bytes != expected)
            return internal(fmt::format("\"{}\" holds {} bytes, the engine's tensors {}", h.name, h.bytes, expected));
        out_.push_back(std::move(h));
        return {};
    }

    const SynthModel& m_;
    std::map<std::string, std::size_t> index_;  // inventory name -> weights.tensors index
    std::vector<HfTensor> out_;
};

const char* dtype_name(reference::WeightKind kind) {
    switch (kind) {
        case reference::WeightKind::f16:
            return "F16";
        case reference::WeightKind::bf16:
            return "BF16";
        default:
            return "F32";
    }
}

// All elements of inventory tensor `source` (an index into weights.tensors), from `first` on.
void draw(const SynthModel& m, std::size_t source, std::uint64_t first, std::span<float> out) {
    const std::size_t index = m.weights.tensors[source].tensor_index;
    reference::init_tensor(m.options.seed, index, m.inventory.tensors[index], first, out);
}

std::vector<float> draw_all(const SynthModel& m, std::size_t source) {
    std::vector<float> v(m.inventory.tensors[m.weights.tensors[source].tensor_index].elements());
    draw(m, source, 0, v);
    return v;
}

// The values of `h` in its own row-major order.
std::vector<float> values_of(const SynthModel& m, const HfTensor& h) {
    const Tensor& t = m.inventory.tensors[m.weights.tensors[h.sources[0]].tensor_index];
    std::vector<float> out;
    if (h.layout == Layout::plain || h.layout == Layout::expert) {
        out.resize(h.bytes / reference::row_bytes(h.kind, 1));
        draw(m, h.sources[0], h.expert * out.size(), out);
        return out;
    }
    const std::vector<float> a = draw_all(m, h.sources[0]);
    const std::vector<float> b = h.sources.size() > 1 ? draw_all(m, h.sources[1]) : std::vector<float>{};
    out.resize(a.size() + b.size());
    if (h.layout == Layout::kv_b) {
        const std::uint64_t nope = t.shape[0], lora = t.shape[1], heads = t.shape[2];
        const std::uint64_t v_head = b.size() / (heads * lora);
        std::size_t o = 0;
        for (std::uint64_t hd = 0; hd < heads; ++hd) {
            for (std::uint64_t j = 0; j < nope; ++j)
                for (std::uint64_t c = 0; c < lora; ++c) out[o++] = a[(hd * lora + c) * nope + j];
            for (std::uint64_t j = 0; j < v_head; ++j)
                for (std::uint64_t c = 0; c < lora; ++c) out[o++] = b[(hd * v_head + j) * lora + c];
        }
    } else if (h.layout == Layout::gate_up) {  // gate/up {hidden, I, E} -> [E, hidden, 2 I]
        const std::uint64_t hidden = t.shape[0], width = t.shape[1], experts = t.shape[2];
        for (std::uint64_t e = 0; e < experts; ++e)
            for (std::uint64_t r = 0; r < hidden; ++r)
                for (std::uint64_t k = 0; k < width; ++k) {
                    const std::uint64_t o = ((e * hidden + r) * width + k) * 2, src = (e * width + k) * hidden + r;
                    out[o] = a[src];
                    out[o + 1] = b[src];
                }
    } else if (h.layout == Layout::gate_up_bias) {  // {I, E} -> [E, 2 I]
        for (std::size_t k = 0; k < a.size(); ++k) {
            out[2 * k] = a[k];
            out[2 * k + 1] = b[k];
        }
    } else {  // down {I, hidden, E} -> [E, I, hidden]
        const std::uint64_t width = t.shape[0], hidden = t.shape[1], experts = t.shape[2];
        for (std::uint64_t e = 0; e < experts; ++e)
            for (std::uint64_t k = 0; k < width; ++k)
                for (std::uint64_t r = 0; r < hidden; ++r)
                    out[(e * width + k) * hidden + r] = a[(e * hidden + r) * width + k];
    }
    return out;
}

}  // namespace

Result<std::vector<SynthFile>> build_safetensors(const SynthModel& m) {
    MOEFIT_CHECK(check_hf_architecture(m.scaled));
    const std::string quant = m.options.quant;
    const std::string dtype = quant == "f32" ? "float32" : quant == "f16" ? "float16" : "bfloat16";
    MOEFIT_TRY(config, hf_config_json(m.scaled, dtype, fmt::format("{}-synth-{}", m.source.id, quant)));

    Planner planner(m);
    MOEFIT_TRY(tensors, planner.plan());
    nlohmann::ordered_json header;
    header["__metadata__"] = {{"format", "pt"}};
    std::uint64_t data_bytes = 0;
    for (HfTensor& h : tensors) {
        h.offset = data_bytes;
        data_bytes = checked_add(data_bytes, h.bytes);
        header[h.name] = {{"dtype", dtype_name(h.kind)}, {"shape", h.shape}, {"data_offsets", {h.offset, data_bytes}}};
    }
    if (data_bytes != m.weights.total_bytes)
        return internal(fmt::format("the safetensors data holds {} bytes, the engine's weights {}", data_bytes,
                                    m.weights.total_bytes));
    // The data section starts 8-byte aligned: the header is padded with spaces.
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');
    SynthFile st{"model.safetensors", {}};
    st.bytes.resize(checked_add(8 + text.size(), data_bytes));
    for (int i = 0; i < 8; ++i)
        st.bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(text.size() >> (8 * i));
    std::copy(text.begin(), text.end(), st.bytes.begin() + 8);
    const std::span<std::uint8_t> data = std::span(st.bytes).subspan(8 + text.size());
    for (const HfTensor& h : tensors) {
        const std::vector<float> values = values_of(m, h);
        reference::encode_row(h.kind, values, data.subspan(h.offset, h.bytes));
    }
    return std::vector<SynthFile>{{"config.json", std::vector<std::uint8_t>(config.begin(), config.end())},
                                  std::move(st)};
}

}  // namespace moefit::synth
