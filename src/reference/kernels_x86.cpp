#include "reference/kernels_x86.hpp"

#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__)
#if !defined(__clang__)
// GCC 12 warns inside its own avx512fintrin.h (the deliberately undefined pass-through operand
// of _mm512_cvtepi*); not about our code.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <cpuid.h>
#include <immintrin.h>
#define MOEFIT_X86_KERNELS 1
#endif

namespace moefit::reference::detail {

#if MOEFIT_X86_KERNELS
namespace {

#define MOEFIT_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,fma,f16c")))
#define MOEFIT_AVX2 __attribute__((target("avx2,fma,f16c")))

// The same sequential sum of the 32 lanes as the portable loops.
inline float reduce32(const float* acc) {
    float s = 0;
    for (int l = 0; l < 32; ++l) s += acc[l];
    return s;
}

inline std::uint16_t load_u16(const std::uint8_t* p) {
    std::uint16_t h;
    std::memcpy(&h, p, 2);
    return h;
}

MOEFIT_AVX512 void q8_0_avx512(const MatrixView& w, const float* x, float* y, std::size_t r0, std::size_t r1) {
    const std::size_t blocks = w.cols / kQ8Block;
    for (std::size_t r = r0; r < r1; ++r) {
        const std::uint8_t* row = w.row(r);
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
        for (std::size_t b = 0; b < blocks; ++b) {
            const std::uint8_t* blk = row + b * kQ8BlockBytes;
            const __m512 d = _mm512_set1_ps(_cvtsh_ss(load_u16(blk)));
            const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 2));
            const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 18));
            const __m512 q0 = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(lo));
            const __m512 q1 = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(hi));
            const float* xb = x + b * kQ8Block;
            a0 = _mm512_fmadd_ps(d, _mm512_mul_ps(q0, _mm512_loadu_ps(xb)), a0);
            a1 = _mm512_fmadd_ps(d, _mm512_mul_ps(q1, _mm512_loadu_ps(xb + 16)), a1);
        }
        alignas(64) float acc[32];
        _mm512_store_ps(acc, a0);
        _mm512_store_ps(acc + 16, a1);
        y[r] = reduce32(acc);
    }
}

MOEFIT_AVX512 void q4_0_avx512(const MatrixView& w, const float* x, float* y, std::size_t r0, std::size_t r1) {
    const std::size_t blocks = w.cols / kQ4Block;
    const __m128i nibble = _mm_set1_epi8(0x0f), eight = _mm_set1_epi8(8);
    for (std::size_t r = r0; r < r1; ++r) {
        const std::uint8_t* row = w.row(r);
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
        for (std::size_t b = 0; b < blocks; ++b) {
            const std::uint8_t* blk = row + b * kQ4BlockBytes;
            const __m512 d = _mm512_set1_ps(_cvtsh_ss(load_u16(blk)));
            const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 2));
            const __m128i lo = _mm_sub_epi8(_mm_and_si128(q, nibble), eight);
            const __m128i hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(q, 4), nibble), eight);
            const __m512 q0 = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(lo));
            const __m512 q1 = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(hi));
            const float* xb = x + b * kQ4Block;
            a0 = _mm512_fmadd_ps(d, _mm512_mul_ps(q0, _mm512_loadu_ps(xb)), a0);
            a1 = _mm512_fmadd_ps(d, _mm512_mul_ps(q1, _mm512_loadu_ps(xb + 16)), a1);
        }
        alignas(64) float acc[32];
        _mm512_store_ps(acc, a0);
        _mm512_store_ps(acc + 16, a1);
        y[r] = reduce32(acc);
    }
}

// Eight int8 codes at p as floats.
MOEFIT_AVX2 inline __m256 codes8(const std::uint8_t* p) {
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}

MOEFIT_AVX2 void q8_0_avx2(const MatrixView& w, const float* x, float* y, std::size_t r0, std::size_t r1) {
    const std::size_t blocks = w.cols / kQ8Block;
    for (std::size_t r = r0; r < r1; ++r) {
        const std::uint8_t* row = w.row(r);
        __m256 a[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
        for (std::size_t b = 0; b < blocks; ++b) {
            const std::uint8_t* blk = row + b * kQ8BlockBytes;
            const __m256 d = _mm256_set1_ps(_cvtsh_ss(load_u16(blk)));
            const float* xb = x + b * kQ8Block;
            for (int k = 0; k < 4; ++k)
                a[k] = _mm256_fmadd_ps(d, _mm256_mul_ps(codes8(blk + 2 + 8 * k), _mm256_loadu_ps(xb + 8 * k)), a[k]);
        }
        alignas(32) float acc[32];
        for (int k = 0; k < 4; ++k) _mm256_store_ps(acc + 8 * k, a[k]);
        y[r] = reduce32(acc);
    }
}

MOEFIT_AVX2 void q4_0_avx2(const MatrixView& w, const float* x, float* y, std::size_t r0, std::size_t r1) {
    const std::size_t blocks = w.cols / kQ4Block;
    const __m128i nibble = _mm_set1_epi8(0x0f), eight = _mm_set1_epi8(8);
    for (std::size_t r = r0; r < r1; ++r) {
        const std::uint8_t* row = w.row(r);
        __m256 a[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
        for (std::size_t b = 0; b < blocks; ++b) {
            const std::uint8_t* blk = row + b * kQ4BlockBytes;
            const __m256 d = _mm256_set1_ps(_cvtsh_ss(load_u16(blk)));
            const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 2));
            alignas(16) std::uint8_t codes[32];  // elements 0-15 from the low nibbles, 16-31 from the high
            _mm_store_si128(reinterpret_cast<__m128i*>(codes), _mm_sub_epi8(_mm_and_si128(q, nibble), eight));
            _mm_store_si128(reinterpret_cast<__m128i*>(codes + 16),
                            _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(q, 4), nibble), eight));
            const float* xb = x + b * kQ4Block;
            for (int k = 0; k < 4; ++k)
                a[k] = _mm256_fmadd_ps(d, _mm256_mul_ps(codes8(codes + 8 * k), _mm256_loadu_ps(xb + 8 * k)), a[k]);
        }
        alignas(32) float acc[32];
        for (int k = 0; k < 4; ++k) _mm256_store_ps(acc + 8 * k, a[k]);
        y[r] = reduce32(acc);
    }
}

enum class Isa { none, avx2, avx512 };

// F16C from CPUID leaf 1 (ECX bit 29): clang's __builtin_cpu_supports does not know "f16c".
bool has_f16c() {
    unsigned a = 0, b = 0, c = 0, d = 0;
    return __get_cpuid(1, &a, &b, &c, &d) != 0 && (c & (1u << 29)) != 0;
}

Isa detect() {
    __builtin_cpu_init();
    if (!has_f16c() || !__builtin_cpu_supports("fma")) return Isa::none;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
        return Isa::avx512;
    if (__builtin_cpu_supports("avx2")) return Isa::avx2;
    return Isa::none;
}

Isa isa() {
    static const Isa cached = detect();  // the CPU does not change while we run
    return cached;
}

}  // namespace

bool rows_block_x86(const MatrixView& w, const float* x, float* y, std::size_t r0, std::size_t r1) {
    const Isa i = isa();
    if (i == Isa::none) return false;
    if (w.kind == WeightKind::q8_0) {
        (i == Isa::avx512 ? q8_0_avx512 : q8_0_avx2)(w, x, y, r0, r1);
        return true;
    }
    if (w.kind == WeightKind::q4_0) {
        (i == Isa::avx512 ? q4_0_avx512 : q4_0_avx2)(w, x, y, r0, r1);
        return true;
    }
    return false;
}

#else

bool rows_block_x86(const MatrixView&, const float*, float*, std::size_t, std::size_t) {
    return false;
}

#endif

}  // namespace moefit::reference::detail
