// Completes and checks a ModelSpec from any reader: fills the defaults that derive from other
// fields (num_kv_heads = num_heads, head_dim = hidden_size / num_heads, ...) and rejects
// inconsistent descriptions (experts_per_token > num_experts, MLA without kv_lora_rank, ...).
// Errors name the offending key ("moe.experts_per_token"); the reader adds file and line.
#pragma once

#include "model/spec.hpp"
#include "util/result.hpp"

namespace moefit::model {

Status finalize_spec(ModelSpec& spec);

}  // namespace moefit::model
