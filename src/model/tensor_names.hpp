// Tensor names, both ways: classifying a llama.cpp GGUF name ("blk.3.ffn_down_exps.weight") the
// way build_inventory names and classifies its tensors, and translating a Hugging Face
// checkpoint name ("model.layers.3.block_sparse_moe.experts.5.w1.weight") to the inventory
// tensor(s) it stores a part of. Both are used to compare a real file with the inventory
// derived from its description; neither reads a file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/inventory.hpp"

namespace moefit::model {

struct TensorNameInfo {
    TensorClass cls = TensorClass::norm;
    Role role = Role::norm;
    std::int64_t layer = -1;  // block index; -1 for model-level tensors
    bool mtp = false;         // block index at or past the main-model layers
};

// The class and role build_inventory gives a tensor of this name (blocks at or past
// `main_layers` are the MTP module, class mtp). Also knows llama.cpp names the inventory does
// not produce but that mean the same thing (attn_kv_b, the unsplit MLA kv_b). nullopt for any
// other name (e.g. rope_freqs.weight): the caller reports it as "other".
std::optional<TensorNameInfo> classify_tensor_name(std::string_view name, std::uint64_t main_layers);

// What part of an inventory tensor a checkpoint tensor stores.
enum class HfPart {
    values,    // the elements themselves, one stored element per weight (bf16, fp8, int8, ...)
    packed4,   // 4-bit values packed into bytes or words: weight elements = 2 per stored byte
    aux,       // scales, zero points, g_idx, quantization state: bytes without weight elements
};

struct HfTensorName {
    // Inventory names this tensor holds (part of): one, or two for a fused tensor (gpt-oss and
    // Llama 4 gate_up_proj hold ffn_gate_exps and ffn_up_exps; MLA kv_b_proj holds attn_k_b and
    // attn_v_b).
    std::vector<std::string> targets;
    HfPart part = HfPart::values;
    std::int64_t expert = -1;  // a per-expert tensor of a stacked routed-expert tensor
};

// Translates a Hugging Face tensor name (Mixtral block_sparse_moe w1/w2/w3, Qwen/DeepSeek/GLM
// mlp.experts.E.*_proj, gpt-oss *_blocks/_scales/_bias, Llama 4 feed_forward.*, MLA,
// Qwen3-Next linear_attn, DeepSeek/GLM MTP layers) and its quantization suffixes
// (weight_scale_inv, weight_scale, input_scale, weight_packed, weight_shape, qweight, qzeros,
// scales, g_idx, bitsandbytes state). nullopt for a name outside the text model (vision tower,
// projector) or one we do not know; the caller reports it as not in our description.
std::optional<HfTensorName> map_hf_tensor_name(std::string_view hf_name);

// The inverse of map_hf_tensor_name for plain values: every Hugging Face name ("model.layers.N."
// block modules, model.embed_tokens / model.norm / lm_head) that map_hf_tensor_name translates to
// exactly `inventory_name`, in the order of its tables ("blk.3.ffn_gate_inp.weight" ->
// model.layers.3.mlp.gate.weight, ...mlp.router.weight, ...feed_forward.router.weight,
// ...block_sparse_moe.gate.weight). With `expert` >= 0, the names of that expert's slice of a
// stacked routed-expert tensor ("...block_sparse_moe.experts.5.w1.weight", "...mlp.experts.5.
// gate_proj.weight", ...). Fused tensors (kv_b_proj, gate_up_proj), which hold two inventory
// tensors, are not listed. Empty when the reader has no name for it.
std::vector<std::string> hf_names_for(std::string_view inventory_name, std::int64_t expert = -1);

}  // namespace moefit::model
