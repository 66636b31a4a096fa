#include "reference/kernels_x86.hpp"

#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__)
#if !defined(__clang__)
// GCC 12 warns inside its own avx512fintrin.h (the deliberately undefined pass-through operand
// of _mm512_cvtepi* and _mm512_extractf64x4_pd); not about our code.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
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

inline std::uint16_t load_u16(const std::uint8_t* p) {
    std::uint16_t h;
    std::memcpy(&h, p, 2);
    return h;
}

// The 32 int8 codes of one block as two halves (elements 0-15, 16-31); plain SSE2. Q8_0 stores
// them after the scale, Q4_0 packs them in nibbles (low: 0-15, high: 16-31) offset by 8.
struct Q8Codes {
    static constexpr std::size_t kBlockBytes = kQ8BlockBytes;
    static void get(const std::uint8_t* blk, __m128i& lo, __m128i& hi) {
        lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 2));
        hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 18));
    }
};
struct Q4Codes {
    static constexpr std::size_t kBlockBytes = kQ4BlockBytes;
    static void get(const std::uint8_t* blk, __m128i& lo, __m128i& hi) {
        const __m128i nibble = _mm_set1_epi8(0x0f), eight = _mm_set1_epi8(8);
        const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 2));
        lo = _mm_sub_epi8(_mm_and_si128(q, nibble), eight);
        hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(q, 4), nibble), eight);
    }
};
static_assert(kQ8Block == 32 && kQ4Block == 32, "the kernels assume 32-element blocks");

// The last three halvings of reduce_lanes (kernels.cpp): lane i of `t` holds the sum for lane i
// of the 8 left after the first two.
MOEFIT_AVX2 inline float reduce8(__m256 t) {
    const __m128 u = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));  // i + (i + 4)
    const __m128 v = _mm_add_ps(u, _mm_movehl_ps(u, u));                                  // i + (i + 2)
    return _mm_cvtss_f32(_mm_add_ss(v, _mm_shuffle_ps(v, v, 1)));                         // 0 + 1
}

// One row at a time, so the weights are read in one sequential stream (rows follow each other
// in memory): working on four rows at once reads four interleaved streams, which the hardware
// prefetchers follow worse; on this VM the decode pass fell from about 65% to 40% of the STREAM
// read with it, although the kernel alone was faster in cache.
template <class Codes>
MOEFIT_AVX512 void rows_avx512(const MatrixView& w, const float* x, float* y, std::size_t r0, std::size_t r1) {
    const std::size_t blocks = w.cols / 32;
    for (std::size_t r = r0; r < r1; ++r) {
        const std::uint8_t* row = w.row(r);
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
        for (std::size_t b = 0; b < blocks; ++b) {
            const std::uint8_t* blk = row + b * Codes::kBlockBytes;
            const __m512 d = _mm512_set1_ps(_cvtsh_ss(load_u16(blk)));
            __m128i lo, hi;
            Codes::get(blk, lo, hi);
            const __m512 q0 = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(lo));
            const __m512 q1 = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(hi));
            a0 = _mm512_fmadd_ps(d, _mm512_mul_ps(q0, _mm512_loadu_ps(x + b * 32)), a0);
            a1 = _mm512_fmadd_ps(d, _mm512_mul_ps(q1, _mm512_loadu_ps(x + b * 32 + 16)), a1);
        }
        const __m512 s = _mm512_add_ps(a0, a1);  // i + (i + 16)
        const __m256 lo = _mm512_castps512_ps256(s);
        const __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(s), 1));
        y[r] = reduce8(_mm256_add_ps(lo, hi));  // i + (i + 8)
    }
}

// The low eight int8 codes of v as floats.
MOEFIT_AVX2 inline __m256 codes8(__m128i v) {
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v));
}

// As rows_avx512 with eight-lane registers: lanes 0-7, 8-15, 16-23, 24-31 of the block in a[0..3].
template <class Codes>
MOEFIT_AVX2 void rows_avx2(const MatrixView& w, const float* x, float* y, std::size_t r0, std::size_t r1) {
    const std::size_t blocks = w.cols / 32;
    for (std::size_t r = r0; r < r1; ++r) {
        const std::uint8_t* row = w.row(r);
        __m256 a[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
        for (std::size_t b = 0; b < blocks; ++b) {
            const std::uint8_t* blk = row + b * Codes::kBlockBytes;
            const __m256 d = _mm256_set1_ps(_cvtsh_ss(load_u16(blk)));
            __m128i lo, hi;
            Codes::get(blk, lo, hi);
            const __m256 q[4] = {codes8(lo), codes8(_mm_srli_si128(lo, 8)), codes8(hi), codes8(_mm_srli_si128(hi, 8))};
            const float* xb = x + b * 32;
            for (int k = 0; k < 4; ++k)
                a[k] = _mm256_fmadd_ps(d, _mm256_mul_ps(q[k], _mm256_loadu_ps(xb + 8 * k)), a[k]);
        }
        // (0-7 + 16-23) + (8-15 + 24-31): the AVX-512 order, lane for lane.
        y[r] = reduce8(_mm256_add_ps(_mm256_add_ps(a[0], a[2]), _mm256_add_ps(a[1], a[3])));
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

bool rows_block_x86(const MatrixView& w, const float* x, float* y, std::size_t r0, std::size_t r1, X86Kernels which) {
    Isa i = isa();
    if (which == X86Kernels::avx2 && i != Isa::none) i = Isa::avx2;
    if (which == X86Kernels::avx512 && i != Isa::avx512) i = Isa::none;
    if (i == Isa::none) return false;
    if (w.kind == WeightKind::q8_0) {
        (i == Isa::avx512 ? rows_avx512<Q8Codes> : rows_avx2<Q8Codes>)(w, x, y, r0, r1);
        return true;
    }
    if (w.kind == WeightKind::q4_0) {
        (i == Isa::avx512 ? rows_avx512<Q4Codes> : rows_avx2<Q4Codes>)(w, x, y, r0, r1);
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
