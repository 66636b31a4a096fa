// What a GGUF file really stores: exact bytes per ggml type and per tensor class, the
// quantization mix (which tensor kinds got which types) and the average bits per weight. Bytes
// come from the reader, which sizes every tensor with ggml_type_table() (the format registry),
// so they are the file's own data bytes, not a prediction.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "spec/gguf_reader.hpp"
#include "util/result.hpp"

namespace moefit::engine {

// The ggml type sizes of the format registry, for spec::GgufReadOptions::type_table. Names are
// llama.cpp's spelling ("Q4_K", "BF16", "MXFP4").
spec::GgmlTypeTable ggml_type_table();

// llama.cpp's name for a general.file_type value ("Q4_K_M", "MOSTLY_BF16" is "BF16", ...);
// "" for a value it does not define.
std::string llamacpp_file_type_name(std::uint64_t file_type);

struct TypeBytes {
    std::string type;              // "Q4_K"
    std::uint64_t tensors = 0;
    std::uint64_t elements = 0;
    std::uint64_t bytes = 0;
};

// One class (model::to_string name, or "other" for names the inventory does not know).
struct GgufClassBytes {
    std::string cls;
    std::uint64_t tensors = 0;
    std::uint64_t elements = 0;
    std::uint64_t bytes = 0;
    std::vector<TypeBytes> types;  // most bytes first
};

// One tensor kind: the name without "blk.N." ("ffn_down_exps.weight"), over every block.
struct KindMix {
    std::string kind;
    std::string cls;
    std::vector<TypeBytes> types;  // most tensors first
};

struct GgufSummary {
    std::string file_type;                 // llamacpp_file_type_name of general.file_type; "" if absent
    std::uint64_t shards = 1;
    std::uint64_t tensors = 0;
    std::uint64_t total_bytes = 0;         // main model (MTP blocks apart)
    std::uint64_t mtp_bytes = 0;
    std::uint64_t params = 0;              // main-model elements
    double bits_per_weight = 0;            // 8 * total_bytes / params
    std::vector<TypeBytes> by_type;        // every tensor, most bytes first
    std::vector<GgufClassBytes> by_class;      // class order, then "other"; only classes present
    std::vector<KindMix> mix;              // first-seen order
    std::vector<std::string> other;        // tensor names classified as "other"
};

// Sums the tensors of `model` (read with ggml_type_table(), so every tensor has bytes); blocks
// at or past `main_layers` count as the MTP module. Fails with an internal error when a tensor
// was read without a size.
Result<GgufSummary> summarize_gguf(const spec::GgufModel& model, std::uint64_t main_layers);

}  // namespace moefit::engine
