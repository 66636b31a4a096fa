#include "reference/quant.hpp"

#include <cmath>
#include <cstring>

namespace moefit::reference {
namespace {

std::uint32_t bits_of(float f) {
    std::uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

float float_of(std::uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

void put_half(std::uint8_t* p, float v) {
    const std::uint16_t h = fp32_to_fp16(v);
    std::memcpy(p, &h, 2);
}

// roundf(v) for |v| < 2^31 without a libm call: v - trunc(v) is exact in float.
int round_half_away(float v) {
    int i = static_cast<int>(v);
    const float frac = v - static_cast<float>(i);
    if (frac >= 0.5f)
        ++i;
    else if (frac <= -0.5f)
        --i;
    return i;
}

// ggml quantize_row_q8_0_ref: d = max|x| / 127, codes round(x / d).
void encode_q8_0(const float* x, std::uint8_t* out) {
    float amax = 0;
    for (std::size_t i = 0; i < kQ8Block; ++i) {
        // ggml's MAX(a, b), a ternary: inlines (std::fmax was a library call per element, ~9% of
        // building the reference weights) and keeps ggml's result for NaN inputs.
        const float v = std::fabs(x[i]);
        amax = amax > v ? amax : v;
    }
    const float d = amax / 127.0f;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    put_half(out, d);
    for (std::size_t i = 0; i < kQ8Block; ++i)
        out[2 + i] = static_cast<std::uint8_t>(static_cast<std::int8_t>(round_half_away(x[i] * id)));
}

// ggml quantize_row_q4_0_ref: d = (the value of largest magnitude) / -8, codes
// min(15, trunc(x / d + 8.5)).
void encode_q4_0(const float* x, std::uint8_t* out) {
    float amax = 0, max = 0;
    for (std::size_t i = 0; i < kQ4Block; ++i) {
        if (std::fabs(x[i]) > amax) {
            amax = std::fabs(x[i]);
            max = x[i];
        }
    }
    const float d = max / -8.0f;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    put_half(out, d);
    for (std::size_t j = 0; j < kQ4Block / 2; ++j) {
        const int lo = static_cast<int>(x[j] * id + 8.5f), hi = static_cast<int>(x[j + 16] * id + 8.5f);
        const int c0 = lo < 15 ? lo : 15, c1 = hi < 15 ? hi : 15;
        out[2 + j] = static_cast<std::uint8_t>(c0 | (c1 << 4));
    }
}

float half_at(const std::uint8_t* p) {
    std::uint16_t h;
    std::memcpy(&h, p, 2);
    return fp16_to_fp32(h);
}

}  // namespace

bool weight_kind_of(std::string_view name, WeightKind& kind) {
    if (name == "f32")
        kind = WeightKind::f32;
    else if (name == "f16")
        kind = WeightKind::f16;
    else if (name == "bf16")
        kind = WeightKind::bf16;
    else if (name == "q8_0")
        kind = WeightKind::q8_0;
    else if (name == "q4_0")
        kind = WeightKind::q4_0;
    else
        return false;
    return true;
}

std::size_t row_bytes(WeightKind kind, std::size_t n) {
    switch (kind) {
        case WeightKind::f32:
            return 4 * n;
        case WeightKind::f16:
        case WeightKind::bf16:
            return 2 * n;
        case WeightKind::q8_0:
            return n / kQ8Block * kQ8BlockBytes;
        case WeightKind::q4_0:
            return n / kQ4Block * kQ4BlockBytes;
    }
    return 0;
}

std::uint16_t fp32_to_fp16(float f) {
    const std::uint32_t x = bits_of(f);
    const std::uint32_t sign = (x >> 16) & 0x8000u;
    const std::uint32_t abs = x & 0x7fffffffu;
    if (abs >= 0x7f800000u) return static_cast<std::uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u));
    if (abs >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // rounds past 65504
    if (abs < 0x38800000u) {
        // Subnormal half (or zero): scale into the 2^-24 grid with round-to-nearest-even by
        // adding to a float whose ulp is 2^-24 (0.5f has ulp 2^-24).
        const float v = float_of(abs) + 0.5f;
        return static_cast<std::uint16_t>(sign | (bits_of(v) - 0x3f000000u));
    }
    const std::uint32_t mant_odd = (abs >> 13) & 1u;
    const std::uint32_t r = abs + 0xc8000fffu + mant_odd;  // rebias exponent (-112 << 23) and round
    return static_cast<std::uint16_t>(sign | (r >> 13));
}

std::uint16_t fp32_to_bf16(float f) {
    const std::uint32_t u = bits_of(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((u >> 16) | 64u);  // quiet NaN
    return static_cast<std::uint16_t>((u + (0x7fffu + ((u >> 16) & 1u))) >> 16);
}

void encode_row(WeightKind kind, std::span<const float> x, std::span<std::uint8_t> out) {
    const std::size_t n = x.size();
    switch (kind) {
        case WeightKind::f32:
            std::memcpy(out.data(), x.data(), 4 * n);
            return;
        case WeightKind::f16:
            for (std::size_t i = 0; i < n; ++i) {
                const std::uint16_t h = fp32_to_fp16(x[i]);
                std::memcpy(out.data() + 2 * i, &h, 2);
            }
            return;
        case WeightKind::bf16:
            for (std::size_t i = 0; i < n; ++i) {
                const std::uint16_t b = fp32_to_bf16(x[i]);
                std::memcpy(out.data() + 2 * i, &b, 2);
            }
            return;
        case WeightKind::q8_0:
            for (std::size_t b = 0; b < n / kQ8Block; ++b)
                encode_q8_0(x.data() + b * kQ8Block, out.data() + b * kQ8BlockBytes);
            return;
        case WeightKind::q4_0:
            for (std::size_t b = 0; b < n / kQ4Block; ++b)
                encode_q4_0(x.data() + b * kQ4Block, out.data() + b * kQ4BlockBytes);
            return;
    }
}

void decode_row(WeightKind kind, const std::uint8_t* row, std::span<float> out) {
    const std::size_t n = out.size();
    switch (kind) {
        case WeightKind::f32:
            std::memcpy(out.data(), row, 4 * n);
            return;
        case WeightKind::f16:
            for (std::size_t i = 0; i < n; ++i) out[i] = half_at(row + 2 * i);
            return;
        case WeightKind::bf16:
            for (std::size_t i = 0; i < n; ++i) {
                std::uint16_t b;
                std::memcpy(&b, row + 2 * i, 2);
                out[i] = bf16_to_fp32(b);
            }
            return;
        case WeightKind::q8_0:
            for (std::size_t b = 0; b < n / kQ8Block; ++b) {
                const std::uint8_t* blk = row + b * kQ8BlockBytes;
                const float d = half_at(blk);
                for (std::size_t i = 0; i < kQ8Block; ++i)
                    out[b * kQ8Block + i] = d * static_cast<float>(static_cast<std::int8_t>(blk[2 + i]));
            }
            return;
        case WeightKind::q4_0:
            for (std::size_t b = 0; b < n / kQ4Block; ++b) {
                const std::uint8_t* blk = row + b * kQ4BlockBytes;
                const float d = half_at(blk);
                for (std::size_t j = 0; j < kQ4Block / 2; ++j) {
                    out[b * kQ4Block + j] = d * static_cast<float>((blk[2 + j] & 0xf) - 8);
                    out[b * kQ4Block + j + 16] = d * static_cast<float>((blk[2 + j] >> 4) - 8);
                }
            }
            return;
    }
}

}  // namespace moefit::reference
