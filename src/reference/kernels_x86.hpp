// Hand-vectorized batch-1 row products for the block formats (Q8_0, Q4_0) on x86-64: AVX-512 or
// AVX2 with F16C, chosen once at run time from the CPU's features. GCC's vectorization of the
// portable block loops converts each block's fp16 scale in scalar code and shuffles the int8
// codes poorly, which left the decode pass compute-bound at under half the memory bandwidth.
//
// Same arithmetic as the portable loops in kernels.cpp: 32 lanes, acc[l] = fma(d, q[l] * x[l],
// acc[l]), then the lanes summed by halving; so the results equal the x86-64-v3/v4 clones'.
#pragma once

#include <cstddef>

#include "reference/kernels.hpp"

namespace moefit::reference::detail {

enum class X86Kernels { best, avx2, avx512 };

// y[r] = dot(row r of w, x) for r in [r0, r1) when w is Q8_0 or Q4_0 and the CPU has AVX2+FMA+F16C;
// returns false (and writes nothing) otherwise, and on other architectures. `which` forces one
// instruction set (for the tests); false when the CPU lacks it.
bool rows_block_x86(const MatrixView& w, const float* x, float* y, std::size_t r0, std::size_t r1,
                    X86Kernels which = X86Kernels::best);

// matmul_rows_q8x (kernels.hpp) for Q8_0 or Q4_0 weights: AVX-512 VNNI (its 256-bit vpdpbusd)
// or AVX2 (vpmaddubsw + vpmaddwd), which give the same int32 sums; returns false (and writes
// nothing) when the CPU has neither or w is another format. `which` = avx512 forces VNNI.
bool rows_q8x_x86(const MatrixView& w, const QuantizedVectors& x, float* y, std::size_t y_stride, std::size_t r0,
                  std::size_t r1, X86Kernels which = X86Kernels::best);

// quantize_block (kernels.hpp) with AVX2, the same codes and scale; false without AVX2.
bool quantize_block_x86(const float* x, std::int8_t* q, float& d);

}  // namespace moefit::reference::detail
