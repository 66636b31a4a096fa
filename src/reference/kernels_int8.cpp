// Block products with 8-bit activations (kernels.hpp: quantize_activations, matmul_rows_q8x):
// the portable loops; the AVX-512 VNNI and AVX2 versions are in kernels_x86.cpp and compute
// the same integer sums, lane for lane.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "reference/kernels.hpp"
#include "reference/kernels_x86.hpp"
#include "reference/target_clones.hpp"

namespace moefit::reference {
namespace {

// The 32 codes of one weight block as int8: Q8_0 stores them after the fp16 scale; Q4_0 packs
// them in nibbles (low: elements 0-15, high: 16-31) offset by 8.
inline void weight_codes(WeightKind kind, const std::uint8_t* blk, std::int8_t* out) {
    if (kind == WeightKind::q8_0) {
        std::memcpy(out, blk + 2, 32);
        return;
    }
    for (std::size_t l = 0; l < 16; ++l) {
        out[l] = static_cast<std::int8_t>((blk[2 + l] & 0xf) - 8);
        out[l + 16] = static_cast<std::int8_t>((blk[2 + l] >> 4) - 8);
    }
}

// Two accumulators of eight lanes (even and odd blocks, so consecutive blocks do not wait on one
// another's multiply-add), then (even + odd), and the eight lanes by halving: i + (i + 4),
// i + (i + 2), 0 + 1; the order of the x86 versions.
MOEFIT_CLONES
void rows_portable(const MatrixView& w, const QuantizedVectors& x, float* y, std::size_t y_stride, std::size_t r0,
                   std::size_t r1) {
    const std::size_t blocks = w.cols / 32, block_bytes = w.kind == WeightKind::q8_0 ? kQ8BlockBytes : kQ4BlockBytes;
    std::int8_t q[32];
    for (std::size_t r = r0; r < r1; ++r) {
        const std::uint8_t* row = w.row(r);
        for (std::size_t v = 0; v < x.count; ++v) {
            const std::int8_t* xq = x.codes.data() + v * x.cols;
            const float* xd = x.scales.data() + v * blocks;
            float acc[2][8] = {};
            for (std::size_t b = 0; b < blocks; ++b) {
                const std::uint8_t* blk = row + b * block_bytes;
                weight_codes(w.kind, blk, q);
                const float d = block_scale(blk) * xd[b];
                for (std::size_t j = 0; j < 8; ++j) {
                    std::int32_t s = 0;
                    for (std::size_t t = 0; t < 4; ++t) s += q[4 * j + t] * xq[b * 32 + 4 * j + t];
                    acc[b & 1][j] += static_cast<float>(s) * d;
                }
            }
            float s[8];
            for (std::size_t j = 0; j < 8; ++j) s[j] = acc[0][j] + acc[1][j];
            for (std::size_t half = 4; half >= 1; half /= 2)
                for (std::size_t j = 0; j < half; ++j) s[j] += s[j + half];
            y[v * y_stride + r] = s[0];
        }
    }
}

}  // namespace

void quantize_block(const float* x, std::int8_t* q, float& d) {
    float amax = 0;
    for (std::size_t l = 0; l < 32; ++l) amax = std::max(amax, std::fabs(x[l]));
    d = amax / 127.0f;
    const float inv = d > 0 ? 1.0f / d : 0.0f;
    // Half away from zero, without branches (the sign of x is a coin toss) or libm's nearbyint;
    // |x * inv| <= 127 up to a last-ulp overshoot, which the clamp keeps in range.
    for (std::size_t l = 0; l < 32; ++l) {
        const float t = std::min(127.0f, std::max(-127.0f, x[l] * inv));
        q[l] = static_cast<std::int8_t>(static_cast<int>(t + std::copysign(0.5f, t)));
    }
}

void quantize_activations(const float* x, std::size_t stride, std::size_t count, std::size_t cols,
                          QuantizedVectors& out) {
    const std::size_t blocks = cols / 32;
    out.cols = cols;
    out.count = count;
    out.scales.resize(count * blocks);
    out.codes.resize(count * cols);
    out.offsets.resize(count * blocks * 8);
    for (std::size_t v = 0; v < count; ++v)
        for (std::size_t b = 0; b < blocks; ++b) {
            const float* xb = x + v * stride + b * 32;
            std::int8_t* q = out.codes.data() + (v * blocks + b) * 32;
            float& d = out.scales[v * blocks + b];
            if (!detail::quantize_block_x86(xb, q, d)) quantize_block(xb, q, d);
            std::int32_t* o = out.offsets.data() + (v * blocks + b) * 8;
            for (std::size_t j = 0; j < 8; ++j) o[j] = -128 * (q[4 * j] + q[4 * j + 1] + q[4 * j + 2] + q[4 * j + 3]);
        }
}

void matmul_rows_q8x(const MatrixView& w, const QuantizedVectors& x, float* y, std::size_t y_stride, std::size_t r0,
                     std::size_t r1) {
    if (!detail::rows_q8x_x86(w, x, y, y_stride, r0, r1)) rows_portable(w, x, y, y_stride, r0, r1);
}

}  // namespace moefit::reference
