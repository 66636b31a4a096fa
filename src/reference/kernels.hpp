// The inner loops of the reference pass: matrix-vector products that read a weight matrix once in
// its storage format (f32, f16, bf16, Q8_0, Q4_0), dequantizing on the fly, for a batch of
// activation vectors; and the plain double-precision product the tests compare them with.
//
// The fast loops accumulate in 32 float lanes (one block) with a fixed final summation order,
// written as plain fixed-trip-count loops that GCC vectorizes at -O3 without -march; SSE2, AVX2
// and AVX-512 versions are chosen at run time through target_clones on x86-64 Linux. Results do
// not depend on the thread count; the SSE2 and AVX2 versions may differ in the last bit (the
// latter contracts multiply-adds into FMA).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "reference/quant.hpp"

namespace moefit::reference {

// One weight matrix in ggml order: `rows` rows of `cols` contiguous elements, `row_bytes` apart.
struct MatrixView {
    WeightKind kind = WeightKind::f32;
    const std::uint8_t* data = nullptr;
    std::size_t cols = 0;
    std::size_t rows = 0;
    std::size_t row_bytes = 0;

    const std::uint8_t* row(std::size_t r) const { return data + r * row_bytes; }
};

// y[b * y_stride + r] = dot(row r of w, x + b * x_stride) for r in [r0, r1), b in [0, batch).
// `scratch` holds w.cols floats (the dequantized row, reused across the batch when batch > 1).
void matmul_rows(const MatrixView& w, const float* x, std::size_t x_stride, std::size_t batch, float* y,
                 std::size_t y_stride, std::size_t r0, std::size_t r1, float* scratch);

// The plain path: every weight decoded with decode_row and accumulated in double, one row at a time.
void matmul_rows_plain(const MatrixView& w, const double* x, std::size_t x_stride, std::size_t batch, double* y,
                       std::size_t y_stride, std::size_t r0, std::size_t r1);

// Activation vectors quantized to 8-bit blocks, the way llama.cpp's CPU backend quantizes the
// right-hand side of a Q8_0 or Q4_0 product (their vec_dot_type is Q8_0): per 32 elements a
// scale d = max|x| / 127 (kept in float here, where ggml rounds it to fp16) and codes
// round(x / d) in [-127, 127]. Vector v's block b: scales[v * blocks + b], codes from
// (v * blocks + b) * 32. `cols` must be a multiple of 32.
struct QuantizedVectors {
    std::size_t cols = 0;
    std::size_t count = 0;
    std::vector<float> scales;
    std::vector<std::int8_t> codes;
    // Per block, eight int32: -128 times the sum of codes 4j..4j+3 (lane j), for kernels that
    // multiply w + 128 as an unsigned byte (kernels_x86.cpp, VNNI).
    std::vector<std::int32_t> offsets;

    std::size_t blocks() const { return cols / 32; }
};

// One block of 32: d = max |x| / 127 and q = round(x / d), half away from zero (all 0 for d = 0).
void quantize_block(const float* x, std::int8_t* q, float& d);

// Quantizes `count` vectors of `cols` floats, `stride` apart; reuses out's storage.
void quantize_activations(const float* x, std::size_t stride, std::size_t count, std::size_t cols,
                          QuantizedVectors& out);

// y[v * y_stride + r] = dot(row r of w, vector v of x) for r in [r0, r1), every vector of x, for
// Q8_0 or Q4_0 weights, with integer products inside each block: each block gives eight int32
// sums of four products, added into float lanes as sum * (weight scale * activation scale); then
// the lanes are summed in a fixed order. Exact in the integers, so the AVX-512 VNNI, AVX2 and
// portable versions give the same result up to FMA contraction (the SSE2 clone has none).
// Against the exact product with x it is off by at most sum |w| * d / 2 over the blocks.
void matmul_rows_q8x(const MatrixView& w, const QuantizedVectors& x, float* y, std::size_t y_stride, std::size_t r0,
                     std::size_t r1);

// Sum of a[i] * b[i] over n floats (32 lanes summed by halving: a fixed order).
float dot_f32(const float* a, const float* b, std::size_t n);

// y[i] += a * x[i].
void axpy_f32(float a, const float* x, float* y, std::size_t n);

}  // namespace moefit::reference
