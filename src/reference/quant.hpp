// Element encodings of the reference pass, byte-exact with ggml: IEEE half and bfloat16
// conversions, and the Q8_0 / Q4_0 blocks (32 elements: an fp16 scale d, then 32 int8 codes for
// Q8_0, or 16 bytes of 4-bit codes for Q4_0, low nibbles holding elements 0-15 and high nibbles
// 16-31, value = (code - 8) * d). The quantizers follow ggml's reference quantize_row_*_ref, so a
// GGUF writer that calls encode_row produces exactly the bytes the pass reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace moefit::reference {

// Storage kinds the pass reads; every other engine::Format is rejected by ReferenceWeights.
enum class WeightKind : std::uint8_t { f32, f16, bf16, q8_0, q4_0 };

inline constexpr std::size_t kQ8Block = 32, kQ8BlockBytes = 34;
inline constexpr std::size_t kQ4Block = 32, kQ4BlockBytes = 18;

// The kind of the engine format called `format_name` ("f32", "bf16", "q8_0", ...); false when the
// pass cannot read it.
bool weight_kind_of(std::string_view format_name, WeightKind& kind);

// Bytes of one row of `elements` elements of `kind` (elements must be a multiple of 32 for the
// block kinds).
std::size_t row_bytes(WeightKind kind, std::size_t elements);

// IEEE binary16 <-> binary32, round to nearest even; NaN and infinity preserved.
std::uint16_t fp32_to_fp16(float f);

// Branch-free (integer masks, no selects the compiler could turn into branches) so the block
// loops of the kernels stay vectorized. A normal half is rebiased by shifting exponent and
// mantissa into place and multiplying by 2^-112 (infinity and NaN keep an all-ones exponent);
// a subnormal one is mantissa * 2^-24.
inline float fp16_to_fp32(std::uint16_t h) {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    const std::uint32_t rest = h & 0x7fffu;
    const std::uint32_t special = 0u - static_cast<std::uint32_t>(rest >= 0x7c00u);  // all ones for inf/NaN
    const std::uint32_t shifted = (rest << 13) | (special & 0x7f800000u);
    float normal;
    __builtin_memcpy(&normal, &shifted, 4);
    normal *= 5.192296858534828e+33f;                                                                      // 2^112
    const float subnormal = static_cast<float>(static_cast<std::int32_t>(rest)) * 5.9604644775390625e-8f;  // 2^-24
    std::uint32_t nb, sb;
    __builtin_memcpy(&nb, &normal, 4);
    __builtin_memcpy(&sb, &subnormal, 4);
    const std::uint32_t is_sub = 0u - static_cast<std::uint32_t>(rest < 0x400u);
    const std::uint32_t out = sign | (sb & is_sub) | (nb & ~is_sub);
    float v;
    __builtin_memcpy(&v, &out, 4);
    return v;
}

// The fp16 scale d at the start of a Q8_0 or Q4_0 block (`block` need not be aligned).
inline float block_scale(const std::uint8_t* block) {
    std::uint16_t h;
    __builtin_memcpy(&h, block, 2);
    return fp16_to_fp32(h);
}

// bfloat16: the upper half of a float, rounded to nearest even (ggml's GGML_FP32_TO_BF16).
std::uint16_t fp32_to_bf16(float f);
inline float bf16_to_fp32(std::uint16_t b) {
    const std::uint32_t u = static_cast<std::uint32_t>(b) << 16;
    float f;
    __builtin_memcpy(&f, &u, 4);
    return f;
}

// Encodes `values` (a whole number of rows of `kind`) into `out` (row_bytes for them).
void encode_row(WeightKind kind, std::span<const float> values, std::span<std::uint8_t> out);

// Decodes one row of `out.size()` elements from `row` (the inverse of encode_row up to rounding).
void decode_row(WeightKind kind, const std::uint8_t* row, std::span<float> out);

}  // namespace moefit::reference
