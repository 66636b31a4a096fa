// The Hugging Face side of synth: which transformers architectures it writes and their
// config.json. The folder's tensors are written by build_safetensors (synth.hpp, hf_export.cpp).
// No I/O.
#pragma once

#include <string>
#include <vector>

#include "model/spec.hpp"
#include "util/result.hpp"

namespace moefit::synth {

// The config.json architectures[0] values synth writes, in listing order: those that both the
// GGUF export (gguf_arch.hpp) and the config.json reader (spec/hf_config.hpp) know.
std::vector<std::string> synth_hf_architectures();

// Ok when synth writes `spec.architecture`; else a not_found Error at key "architecture" that
// names it, lists the supported ones and suggests the nearest ("did you mean").
Status check_hf_architecture(const model::ModelSpec& spec);

// config.json for `spec` (a scaled, validated spec without MTP layers) stored as `torch_dtype`
// ("float32", "float16", "bfloat16"), with the keys its transformers configuration class reads,
// so that spec::read_hf_config gives back the same spec: the text is read back, and a setting
// or tensor that differs (a layer pattern or shared-expert width the architecture cannot state)
// fails with an input Error at key "architecture" naming it. `name` goes to `_name_or_path`.
// Also fails as check_hf_architecture does.
Result<std::string> hf_config_json(const model::ModelSpec& spec, const std::string& torch_dtype,
                                   const std::string& name);

}  // namespace moefit::synth
