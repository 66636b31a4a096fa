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

// Sum of a[i] * b[i] over n floats (32 lanes summed by halving: a fixed order).
float dot_f32(const float* a, const float* b, std::size_t n);

// y[i] += a * x[i].
void axpy_f32(float a, const float* x, float* y, std::size_t n);

}  // namespace moefit::reference
