// The registry of weight storage formats: one static row per format (every GGML type, FP8,
// INT8, GPTQ/AWQ, bitsandbytes NF4, MXFP4, NVFP4, compressed-tensors INT4), and the exact
// number of bytes a tensor of a given shape takes in each. Facts and source ids (S1, S2, ...)
// come from the shared reference formats.md §1; the table itself is in format_table.cpp.
//
// Shapes are in ggml order: ne[0] is the row length (contiguous; the input dim of a weight),
// ne[1] the number of rows (the output dim), and ne[2], ne[3], ... stack independent matrices
// ("slices", e.g. the experts of a fused MoE tensor). A slice is one [ne0, ne1] matrix; formats
// with per-matrix scales (FP8 per-tensor, NVFP4 global scale, ...) store them once per slice.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace moefit::engine {

// Which kind of scheme a format belongs to, for grouping in listings and for the planner.
enum class Family : std::uint8_t {
    ggml,      // llama.cpp block quantization (q*_0, k-quants, i-quants, ternary)
    floating,  // plain IEEE / bfloat16 elements ("float")
    fp8,       // 8-bit float E4M3 with fp32 scales
    integer,   // plain integers and integer quantization with fp/bf16 scales ("int")
    gptq,      // GPTQ 4-bit, packed int32, fp16 scales, packed zeros, g_idx
    awq,       // AWQ 4-bit, as GPTQ without g_idx
    bnb,       // bitsandbytes NF4
    mx,        // OCP microscaling (MXFP4)
    nv,        // NVIDIA NVFP4
};

// How tensor_bytes turns a shape into bytes; each value names the scale layout it adds.
enum class Layout : std::uint8_t {
    block_rows,       // GGML: every row of ne0 is cut into blocks; ne0 must divide evenly
    scale_per_slice,  // N elements + one fp32 scale per slice (FP8 per-tensor)
    scale_per_row,    // N elements + one fp32 scale per row (FP8 / INT8 per-channel)
    scale_per_tile,   // N elements + one fp32 scale per group×group tile (DeepSeek FP8 block)
    gptq,             // int32 qweight [ceil(in/8), out], fp16 scales, packed qzeros, int32 g_idx
    awq,              // int32 qweight [in, ceil(out/8)], fp16 scales, packed qzeros
    nf4,              // 4-bit codes + fp32 absmax per 64 elements of the slice
    nf4_double,       // 4-bit codes + uint8 absmax per 64 + fp32 per 256 absmax
    nvfp4_global,     // 4-bit codes + fp8 scale per 16 along a row + fp32 global per slice
    packed_int4,      // compressed-tensors pack-quantized: int32 words, bf16 scale per group
};

// One storage format. All fields are compile-time constants of the static table.
struct Format {
    std::string_view name;                    // canonical, lowercase ("q4_k", "fp8_block128")
    std::array<std::string_view, 4> aliases;  // other accepted names, lowercase; "" = unused
    Family family;
    Layout layout;
    std::optional<std::uint32_t> ggml_type;   // id in ggml.h `enum ggml_type`, if it has one
    std::uint32_t block_elems;                // nominal block: elements ...
    std::uint32_t block_bytes;                // ... and the bytes they take, scales included
    std::uint32_t group;                      // scale group / tile edge along ne0; 0 when unused
    bool storable;                            // false for intermediate types never in a file
    std::string_view doc;                     // one line with the source id
};

// Every registered format, in table order; the span points at static storage.
std::span<const Format> all_formats();

// The format called `name` or one of its aliases, ignoring case and treating '-' as '_';
// nullptr when there is none.
const Format* find_format(std::string_view name);

// The format with GGML type id `type`; nullptr for removed slots (4, 5, 31-33, 36-38) and
// ids this build does not know.
const Format* find_format_by_ggml_type(std::uint32_t type);

// Canonical names of all formats in table order, for listings and "did you mean" hints.
std::vector<std::string> format_names();

// "ggml", "float", "fp8", "int", "gptq", "awq", "bnb", "mx" or "nv".
std::string_view family_name(Family family);

// Nominal bits per weight from the block (8·block_bytes / block_elems); per-slice extras such as
// an fp32 per-tensor scale, a per-row scale or GPTQ's g_idx are not included.
double bits_per_weight(const Format& f);

// Exact bytes of a tensor of `shape` (ggml order) stored as `f`, every scale, zero point and
// index array included; fails with an input Error for an empty shape, a zero dimension, or a
// GGML block format whose block does not divide ne0, and throws ArithmeticOverflow past 2^64.
// Where a scale group does not divide a dimension the group count is rounded up, as the
// checkpoints do (partial groups are padded); the Layout comments say which counts.
Result<std::uint64_t> tensor_bytes(const Format& f, std::span<const std::uint64_t> shape);

}  // namespace moefit::engine
