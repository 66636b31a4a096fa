#include "reference/kernels.hpp"

#include <memory>

#include "reference/kernels_x86.hpp"
#include "reference/target_clones.hpp"

namespace moefit::reference {
namespace {

constexpr std::size_t kLanes = 32;  // one block; loops over 32 lanes vectorize as loops

// The 32 lanes summed by halving: lane i + lane i + 16, then + 8, + 4, + 2, + 1. A sequential
// sum is a chain of 31 dependent adds, longer than the multiply-adds of a 384-wide row; the x86
// kernels (kernels_x86.cpp) add in this same order.
inline float reduce(const float* acc) {
    float s[kLanes / 2];
    for (std::size_t l = 0; l < 16; ++l) s[l] = acc[l] + acc[l + 16];
    for (std::size_t half = 8; half >= 1; half /= 2)
        for (std::size_t l = 0; l < half; ++l) s[l] += s[l + half];
    return s[0];
}

MOEFIT_CLONES
void rows_q8_0(const MatrixView& w, const float* x, float* y, std::size_t y_stride, std::size_t r0, std::size_t r1) {
    const std::size_t blocks = w.cols / kQ8Block;
    for (std::size_t r = r0; r < r1; ++r) {
        const std::uint8_t* row = w.row(r);
        float acc[kLanes] = {};
        for (std::size_t b = 0; b < blocks; ++b) {
            const std::uint8_t* blk = row + b * kQ8BlockBytes;
            const float d = block_scale(blk);
            const auto* q = reinterpret_cast<const std::int8_t*>(blk + 2);
            const float* xb = x + b * kQ8Block;
            for (std::size_t l = 0; l < kLanes; ++l) acc[l] += d * (static_cast<float>(q[l]) * xb[l]);
        }
        y[r * y_stride] = reduce(acc);
    }
}

MOEFIT_CLONES
void rows_q4_0(const MatrixView& w, const float* x, float* y, std::size_t y_stride, std::size_t r0, std::size_t r1) {
    const std::size_t blocks = w.cols / kQ4Block;
    for (std::size_t r = r0; r < r1; ++r) {
        const std::uint8_t* row = w.row(r);
        float acc[kLanes] = {};  // [0, 16): low nibbles (elements 0-15), [16, 32): high nibbles
        for (std::size_t b = 0; b < blocks; ++b) {
            const std::uint8_t* blk = row + b * kQ4BlockBytes;
            const float d = block_scale(blk);
            const std::uint8_t* q = blk + 2;
            const float* xb = x + b * kQ4Block;
            for (std::size_t l = 0; l < 16; ++l) {
                const auto lo = static_cast<float>(static_cast<int>(q[l] & 0xf) - 8);
                const auto hi = static_cast<float>(static_cast<int>(q[l] >> 4) - 8);
                acc[l] += d * (lo * xb[l]);
                acc[l + 16] += d * (hi * xb[l + 16]);
            }
        }
        y[r * y_stride] = reduce(acc);
    }
}

MOEFIT_CLONES
void rows_bf16(const MatrixView& w, const float* x, float* y, std::size_t y_stride, std::size_t r0, std::size_t r1) {
    const std::size_t n = w.cols;
    for (std::size_t r = r0; r < r1; ++r) {
        const auto* row = reinterpret_cast<const std::uint16_t*>(w.row(r));
        float acc[kLanes] = {};
        std::size_t i = 0;
        for (; i + kLanes <= n; i += kLanes)
            for (std::size_t l = 0; l < kLanes; ++l) acc[l] += bf16_to_fp32(row[i + l]) * x[i + l];
        for (; i < n; ++i) acc[i % kLanes] += bf16_to_fp32(row[i]) * x[i];
        y[r * y_stride] = reduce(acc);
    }
}

// Dequantizes one row into `out` (w.cols floats); the batched path reuses it for every vector.
MOEFIT_CLONES
void dequant_row(const MatrixView& w, std::size_t r, float* out) {
    const std::uint8_t* row = w.row(r);
    switch (w.kind) {
        case WeightKind::bf16: {
            const auto* p = reinterpret_cast<const std::uint16_t*>(row);
            for (std::size_t i = 0; i < w.cols; ++i) out[i] = bf16_to_fp32(p[i]);
            return;
        }
        case WeightKind::q8_0:
            for (std::size_t b = 0; b < w.cols / kQ8Block; ++b) {
                const std::uint8_t* blk = row + b * kQ8BlockBytes;
                const float d = block_scale(blk);
                const auto* q = reinterpret_cast<const std::int8_t*>(blk + 2);
                for (std::size_t l = 0; l < kQ8Block; ++l) out[b * kQ8Block + l] = d * static_cast<float>(q[l]);
            }
            return;
        default:
            decode_row(w.kind, row, std::span<float>(out, w.cols));
            return;
    }
}

// dot_f32 of one row against four vectors at once: the row is loaded once for four products, which
// roughly halves the loads per multiply-add of a batched step. Each sum is ordered as dot_f32's.
MOEFIT_CLONES
void dot4_f32(const float* a, const float* const* x, std::size_t n, float* out) {
    float acc[4][kLanes] = {};
    std::size_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
        for (std::size_t v = 0; v < 4; ++v)
            for (std::size_t l = 0; l < kLanes; ++l) acc[v][l] += a[i + l] * x[v][i + l];
    for (; i < n; ++i)
        for (std::size_t v = 0; v < 4; ++v) acc[v][i % kLanes] += a[i] * x[v][i];
    for (std::size_t v = 0; v < 4; ++v) out[v] = reduce(acc[v]);
}

}  // namespace

MOEFIT_CLONES
float dot_f32(const float* a, const float* b, std::size_t n) {
    float acc[kLanes] = {};
    std::size_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
        for (std::size_t l = 0; l < kLanes; ++l) acc[l] += a[i + l] * b[i + l];
    for (; i < n; ++i) acc[i % kLanes] += a[i] * b[i];
    return reduce(acc);
}

MOEFIT_CLONES
void axpy_f32(float a, const float* x, float* y, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) y[i] += a * x[i];
}

void matmul_rows(const MatrixView& w, const float* x, std::size_t x_stride, std::size_t batch, float* y,
                 std::size_t y_stride, std::size_t r0, std::size_t r1, float* scratch) {
    if (batch == 1) {
        switch (w.kind) {
            case WeightKind::q8_0:
                if (!detail::rows_block_x86(w, x, y, r0, r1)) rows_q8_0(w, x, y, 1, r0, r1);
                return;
            case WeightKind::q4_0:
                if (!detail::rows_block_x86(w, x, y, r0, r1)) rows_q4_0(w, x, y, 1, r0, r1);
                return;
            case WeightKind::bf16:
                rows_bf16(w, x, y, 1, r0, r1);
                return;
            case WeightKind::f32:
                for (std::size_t r = r0; r < r1; ++r)
                    y[r] = dot_f32(reinterpret_cast<const float*>(w.row(r)), x, w.cols);
                return;
            case WeightKind::f16:
                break;
        }
    }
    // Batched (or f16): each row is decoded once and used for every vector of the batch. Q8_0 and
    // Q4_0 decode d * q exactly as the fused loops multiply, but the sums are ordered differently.
    for (std::size_t r = r0; r < r1; ++r) {
        const float* row = scratch;
        if (w.kind == WeightKind::f32)
            row = reinterpret_cast<const float*>(w.row(r));
        else
            dequant_row(w, r, scratch);
        std::size_t b = 0;
        for (; b + 4 <= batch; b += 4) {
            const float* xs[4] = {x + b * x_stride, x + (b + 1) * x_stride, x + (b + 2) * x_stride,
                                  x + (b + 3) * x_stride};
            float out[4];
            dot4_f32(row, xs, w.cols, out);
            for (std::size_t v = 0; v < 4; ++v) y[(b + v) * y_stride + r] = out[v];
        }
        for (; b < batch; ++b) y[b * y_stride + r] = dot_f32(row, x + b * x_stride, w.cols);
    }
}

void matmul_rows_plain(const MatrixView& w, const double* x, std::size_t x_stride, std::size_t batch, double* y,
                       std::size_t y_stride, std::size_t r0, std::size_t r1) {
    std::unique_ptr<float[]> buf(new float[w.cols]);
    for (std::size_t r = r0; r < r1; ++r) {
        decode_row(w.kind, w.row(r), std::span<float>(buf.get(), w.cols));
        for (std::size_t b = 0; b < batch; ++b) {
            double s = 0;
            for (std::size_t i = 0; i < w.cols; ++i) s += static_cast<double>(buf[i]) * x[b * x_stride + i];
            y[b * y_stride + r] = s;
        }
    }
}

}  // namespace moefit::reference
