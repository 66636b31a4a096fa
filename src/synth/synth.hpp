// Synthetic models: a model spec shrunk to a byte budget (reference::scale_to_budget, the same
// scaling the reference forward pass uses) and written as a GGUF that llama.cpp loads, or as a
// Hugging Face folder (config.json + safetensors), with the weights reference::init_tensor
// draws for the same seed, encoded as reference::encode_row encodes them. So moefit's own pass
// and a real engine run the same model, and the files' sizes are the engine's prediction for
// the scaled spec: every tensor's bytes come from engine::compute_weights.
//
// Everything here builds byte buffers; the CLI writes them.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/weights.hpp"
#include "model/inventory.hpp"
#include "model/spec.hpp"
#include "reference/scale.hpp"
#include "util/result.hpp"

namespace moefit::synth {

enum class SynthFormat { gguf, safetensors };

struct SynthOptions {
    std::uint64_t budget_bytes = 500ull << 20;  // main-model weight bytes at most this
    SynthFormat format = SynthFormat::gguf;
    std::string quant = "q8_0";    // f32, f16, bf16, q8_0, q4_0 (safetensors: f32, f16, bf16)
    std::uint64_t seed = 7;        // reference::init_tensor seed
    std::uint64_t num_layers = 0;  // 0 = keep the model's layer count
};

// The weight types synth writes, in listing order.
std::vector<std::string> synth_quants();

// The scaled model and its exact bytes.
struct SynthModel {
    model::ModelSpec source;
    model::ModelSpec scaled;  // reference::scale_spec(source, scale)
    reference::ScaleOptions scale;
    SynthOptions options;
    std::string scheme;           // engine::parse_scheme text every tensor's format comes from:
                                  // synth_scheme(quant) for GGUF, the checkpoint layout (fp32,
                                  // fp16, bf16: every tensor that dtype) for safetensors
    model::Inventory inventory;   // of `scaled`
    engine::WeightBytes weights;  // compute_weights(inventory, scaled, scheme)
};

// The engine scheme for a synth quant: norms, biases, router and other 1-D tensors stay f32
// (llama.cpp adds and multiplies them in f32); every matrix gets `quant`. Fails with a
// not_found Error ("did you mean") for an unknown quant.
Result<std::string> synth_scheme(const std::string& quant);

// Scales `spec` to the budget and sizes every tensor. Fails with an input Error (key "budget",
// "quant", "format") when even 1/4096 scale does not fit, for a quant the format cannot store
// (safetensors has no q8_0/q4_0), or when the scaled spec is invalid; for safetensors also with
// a not_found Error (key "architecture") for an architecture synth does not write
// (check_hf_architecture, hf_export.hpp).
Result<SynthModel> plan_synth(const model::ModelSpec& spec, const SynthOptions& options);

// One output file: a name inside the output folder and its contents.
struct SynthFile {
    std::string name;
    std::vector<std::uint8_t> bytes;
};

// The GGUF file "<id>-synth-<quant>.gguf": general.* and the architecture's keys, the minimal
// vocabulary, tensor infos in inventory order (llama.cpp's names) and the encoded weights.
// Fails for an architecture synth does not write (see gguf_arch.hpp), a vocabulary below 259
// tokens, or (internal) a tensor whose encoding does not fill the engine's bytes.
Result<SynthFile> build_gguf(const SynthModel& m);

// The Hugging Face folder of a safetensors plan: "config.json" (the keys the architecture's
// transformers configuration class reads, torch_dtype = the quant; spec::read_hf_config gives
// back the scaled spec's tensors) and one "model.safetensors" (8-byte little-endian header
// length, a JSON header padded with spaces to 8 bytes, {"__metadata__": {"format": "pt"}, name:
// {dtype, shape, data_offsets}}, then the data, contiguous in header order). Tensor names are
// those of the transformers implementation, the inverse of model::map_hf_tensor_name; shapes are
// the parameters' (per-expert Linears, MLA's one kv_b_proj, gpt-oss's fused gate_up_proj /
// down_proj); values are the reference pass's, encoded as reference::encode_row encodes them, so
// the data is exactly m.weights.total_bytes. Fails with a not_found Error for an architecture
// synth does not write (synth_hf_architectures), an input Error when config.json cannot describe
// the scaled spec, or (internal) a tensor without a name or whose bytes are not the engine's.
Result<std::vector<SynthFile>> build_safetensors(const SynthModel& m);

// The manifest: architecture, scale factors, scaled shape, scheme, seed, bytes per tensor
// class and per format, and the files (name and bytes).
nlohmann::json synth_manifest(const SynthModel& m, const std::vector<SynthFile>& files);

}  // namespace moefit::synth
