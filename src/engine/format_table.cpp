// The static format table. GGML rows: block size and type size from llama.cpp ggml.c
// `type_traits` (S2), block structs from ggml-common.h (S1), ids from ggml.h `enum ggml_type`.
// Other rows: formats.md §1.2. For formats whose scales do not fit a per-block figure, the
// nominal block is the smallest unit that carries whole scales (noted per row).
#include "engine/format.hpp"

namespace moefit::engine {
namespace {

using Aliases = std::array<std::string_view, 4>;

// A GGML type that llama.cpp can store in a GGUF file.
constexpr Format ggml(std::string_view name, std::uint32_t id, std::uint32_t blck,
                      std::uint32_t bytes, std::string_view doc, Aliases aliases = {},
                      Family family = Family::ggml, bool storable = true) {
    return Format{name, aliases, family, Layout::block_rows, id, blck, bytes, 0, storable, doc};
}

// A format without a GGML type id.
constexpr Format other(std::string_view name, Family family, Layout layout, std::uint32_t elems,
                       std::uint32_t bytes, std::uint32_t group, std::string_view doc,
                       Aliases aliases = {}) {
    return Format{name, aliases, family, layout, std::nullopt, elems, bytes, group, true, doc};
}

constexpr Format k_formats[] = {
    // ---- plain element types (S2) ----
    ggml("f32", 0, 1, 4, "ieee fp32, 4 bytes per element [S2]",
         {"fp32", "float32", "float"}, Family::floating),
    ggml("f16", 1, 1, 2, "ieee fp16, 2 bytes per element [S2]",
         {"fp16", "float16", "half"}, Family::floating),
    ggml("bf16", 30, 1, 2, "bfloat16, 2 bytes per element [S2]", {"bfloat16"},
         Family::floating),
    ggml("f64", 28, 1, 8, "ieee fp64, 8 bytes per element; not used for weights [S2]",
         {"fp64", "float64"}, Family::floating),
    ggml("i8", 24, 1, 1, "raw int8 tensor (gguf i8), not a weight quantization [S2]", {},
         Family::integer),
    ggml("i16", 25, 1, 2, "raw int16 tensor (gguf i16), not a weight quantization [S2]", {},
         Family::integer),
    ggml("i32", 26, 1, 4, "raw int32 tensor (gguf i32), not a weight quantization [S2]", {},
         Family::integer),
    ggml("i64", 27, 1, 8, "raw int64 tensor (gguf i64), not a weight quantization [S2]", {},
         Family::integer),

    // ---- legacy 32-element blocks (S1, S2) ----
    ggml("q4_0", 2, 32, 18, "32/blk: fp16 d + 16 B nibbles, 4.5 bpw [S1, S2]"),
    ggml("q4_1", 3, 32, 20, "32/blk: fp16 d, fp16 m + 16 B nibbles, 5.0 bpw [S1, S2]"),
    ggml("q5_0", 6, 32, 22, "32/blk: fp16 d + 4 B high bits + 16 B nibbles, 5.5 bpw [S1, S2]"),
    ggml("q5_1", 7, 32, 24, "32/blk: fp16 d, m + 4 B high bits + nibbles, 6.0 bpw [S1, S2]"),
    ggml("q8_0", 8, 32, 34, "32/blk: fp16 d + 32 int8, 8.5 bpw [S1, S2]"),
    ggml("q8_1", 9, 32, 36,
         "32/blk: fp16 d, fp16 sum + 32 int8; dot-product intermediate, not a file type [S1, S2]",
         {}, Family::ggml, false),
    ggml("q1_0", 41, 128, 18, "128/blk: fp16 d + 16 B 1-bit codes, 1.125 bpw (new) [S1, S2]"),
    ggml("q2_0", 42, 64, 18, "64/blk: fp16 d + 16 B 2-bit codes, 2.25 bpw (newest) [S1, S2]"),

    // ---- k-quants, 256-element super-blocks (S1, S2) ----
    ggml("q2_k", 10, 256, 84, "256/blk: 16 B scales/mins, 64 B quants, fp16 d, dmin [S1, S2]"),
    ggml("q3_k", 11, 256, 110, "256/blk: 32 B hmask, 64 B low bits, 12 B scales, fp16 d [S1, S2]"),
    ggml("q4_k", 12, 256, 144, "256/blk: fp16 d, dmin, 12 B scales/mins, 128 B nibbles [S1, S2]"),
    ggml("q5_k", 13, 256, 176, "256/blk: as q4_k + 32 B high bits, 5.5 bpw [S1, S2]"),
    ggml("q6_k", 14, 256, 210, "256/blk: 128 B low, 64 B high, 16 int8 scales, fp16 d [S1, S2]"),
    ggml("q8_k", 15, 256, 292,
         "256/blk: fp32 d + 256 int8 + 16 int16 sums; dot-product intermediate, not a file type "
         "[S1, S2]",
         {}, Family::ggml, false),

    // ---- i-quants and ternary (S1, S2) ----
    ggml("iq1_s", 19, 256, 50, "256/blk: fp16 d, 32 B qs, 16 B qh, 1.5625 bpw [S1, S2]"),
    ggml("iq1_m", 29, 256, 56, "256/blk: 32 B qs, 16 B qh, 8 B scales, 1.75 bpw [S1, S2]"),
    ggml("iq2_xxs", 16, 256, 66, "256/blk: fp16 d + 32 uint16, 2.0625 bpw [S1, S2]"),
    ggml("iq2_xs", 17, 256, 74, "256/blk: fp16 d + 32 uint16 + 8 B scales, 2.3125 bpw [S1, S2]"),
    ggml("iq2_s", 22, 256, 82, "256/blk: fp16 d, 64 B qs, 8 B qh, 8 B scales [S1, S2]"),
    ggml("iq3_xxs", 18, 256, 98, "256/blk: fp16 d + 96 B, 3.0625 bpw [S1, S2]"),
    ggml("iq3_s", 21, 256, 110, "256/blk: fp16 d, 64 qs, 8 qh, 32 signs, 4 scales [S1, S2]"),
    ggml("iq4_nl", 20, 32, 18, "32/blk: fp16 d + 16 B non-linear 4-bit grid, 4.5 bpw [S1, S2]"),
    ggml("iq4_xs", 23, 256, 136, "256/blk: fp16 d, uint16 scales_h, 4 B scales_l, 128 B [S1, S2]"),
    ggml("tq1_0", 34, 256, 54, "256/blk: 48 B base-3 (5/byte) + 4 B + fp16 d, 1.6875 bpw [S1, S2]"),
    ggml("tq2_0", 35, 256, 66, "256/blk: 64 B 2-bit + fp16 d, 2.0625 bpw [S1, S2]"),

    // ---- 4-bit floats ----
    ggml("mxfp4", 39, 32, 17,
         "32/blk: 1 B e8m0 scale + 16 B e2m1, 4.25 bpw; also gpt-oss hf *_blocks/*_scales [S1, S26]",
         {}, Family::mx),
    ggml("nvfp4", 40, 64, 36,
         "ggml nvfp4, 64/blk: 4 ue4m3 scales (per 16) + 32 B e2m1; tensor scale kept apart [S1, S2]",
         {"nvfp4_ggml"}, Family::nv),
    // Nominal block: 16 elements of one row (8 B codes + 1 B fp8 scale); +4 B fp32 per slice.
    other("nvfp4_modelopt", Family::nv, Layout::nvfp4_global, 16, 9, 16,
          "e2m1 + fp8 e4m3 scale per 16 + fp32 global per matrix (modelopt weight_scale_2, "
          "compressed-tensors weight_global_scale) [S27]",
          {"modelopt_nvfp4", "nvfp4_ct", "nvfp4a16"}),

    // ---- fp8 and int8 (S25, S31) ----
    other("fp8", Family::fp8, Layout::scale_per_slice, 1, 1, 0,
          "fp8 e4m3, one fp32 weight_scale per matrix (per expert for stacked experts) [S31]",
          {"fp8_e4m3", "float8_e4m3fn", "fp8_tensor", "fp8_e4m3fn"}),
    other("fp8_channel", Family::fp8, Layout::scale_per_row, 1, 1, 0,
          "fp8 e4m3, one fp32 scale per output row [S31]", {"fp8_per_channel"}),
    // Nominal block: one 128×128 tile (16384 B) + its fp32 scale.
    other("fp8_block128", Family::fp8, Layout::scale_per_tile, 128 * 128, 128 * 128 + 4, 128,
          "fp8 e4m3, fp32 weight_scale_inv per 128x128 tile, ceil at edges (deepseek-v3) [S25]",
          {"fp8_block", "fp8_deepseek"}),
    other("int8_channel", Family::integer, Layout::scale_per_row, 1, 1, 0,
          "int8 w8a8, one fp32 scale per output row [S31]", {"int8", "w8a8_int8"}),

    // ---- GPTQ / AWQ 4-bit (S29). Nominal block: g inputs × 8 outputs = 4g B codes,
    // 8 fp16 scales (16 B) and one packed qzeros word (4 B); g_idx (GPTQ) is per input.
    other("gptq4_g128", Family::gptq, Layout::gptq, 8 * 128, 4 * 128 + 20, 128,
          "gptq 4-bit g128: qweight, fp16 scales, packed qzeros, int32 g_idx [S29]",
          {"gptq", "gptq4", "gptq_int4"}),
    other("gptq4_g64", Family::gptq, Layout::gptq, 8 * 64, 4 * 64 + 20, 64,
          "gptq 4-bit g64: qweight, fp16 scales, packed qzeros, int32 g_idx [S29]"),
    other("gptq4_g32", Family::gptq, Layout::gptq, 8 * 32, 4 * 32 + 20, 32,
          "gptq 4-bit g32: qweight, fp16 scales, packed qzeros, int32 g_idx [S29]"),
    other("awq4_g128", Family::awq, Layout::awq, 8 * 128, 4 * 128 + 20, 128,
          "awq 4-bit g128: qweight, fp16 scales, packed qzeros, no g_idx [S29]",
          {"awq", "awq4", "awq_int4"}),
    other("awq4_g64", Family::awq, Layout::awq, 8 * 64, 4 * 64 + 20, 64,
          "awq 4-bit g64: qweight, fp16 scales, packed qzeros, no g_idx [S29]"),
    other("awq4_g32", Family::awq, Layout::awq, 8 * 32, 4 * 32 + 20, 32,
          "awq 4-bit g32: qweight, fp16 scales, packed qzeros, no g_idx [S29]"),

    // ---- compressed-tensors int4 (S30): Kimi-K2.x routed experts, w4a16 g32 symmetric ----
    other("int4_g32", Family::integer, Layout::packed_int4, 32, 18, 32,
          "int32 weight_packed + bf16 weight_scale per 32 + int64 weight_shape[2] per matrix "
          "(kimi-k2) [S30]",
          {"kimi_int4", "w4a16_g32", "compressed_tensors_int4"}),

    // ---- bitsandbytes (S28) ----
    other("nf4", Family::bnb, Layout::nf4, 64, 36, 64,
          "bitsandbytes nf4: 4-bit codes + fp32 absmax per 64 [S28]", {"bnb_nf4", "bnb4"}),
    // Nominal block: 256 absmax groups = 16384 elements (8192 B codes, 256 B absmax, 4 B fp32).
    other("nf4_dq", Family::bnb, Layout::nf4_double, 64 * 256, 64 * 256 / 2 + 256 + 4, 64,
          "bitsandbytes nf4 + double quant: uint8 absmax per 64, fp32 per 256 absmax [S28]",
          {"nf4_double_quant", "bnb_nf4_dq"}),
};

}  // namespace

std::span<const Format> all_formats() { return k_formats; }

}  // namespace moefit::engine
