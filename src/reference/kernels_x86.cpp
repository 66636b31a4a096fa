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

// The 32 codes of a weight block as int8 in one 256-bit register (Q4_0: nibbles offset by 8).
MOEFIT_AVX2 inline __m256i weight_codes32(const std::uint8_t* blk, bool q4) {
    if (!q4) return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 2));
    const __m128i nibble = _mm_set1_epi8(0x0f);
    const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 2));
    const __m256i both = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(q, 4), nibble), _mm_and_si128(q, nibble));
    return _mm256_sub_epi8(both, _mm256_set1_epi8(8));
}

// Eight int32 sums of four products w * x each (lane j: elements 4j..4j+3) of one block.
// `bias` is the block's QuantizedVectors::offsets (-128 times each lane's sum of x).
// AVX2 multiplies u8 x s8 after moving w's sign onto x: pairs into int16 (at most
// 2 * 128 * 127, no saturation), then pairs of those into int32. VNNI's vpdpbusd multiplies
// u8 x s8 into int32 with no saturation, so it takes w + 128 (w xor 0x80) as the u8 side and
// starts from the bias: sum (w + 128) x - 128 sum x = sum w x, one instruction less per block.
MOEFIT_AVX2 inline __m256i sums_avx2(__m256i w, __m256i x, const std::int32_t*) {
    const __m256i p16 = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
    return _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
}
#define MOEFIT_VNNI __attribute__((target("avx512f,avx512vl,avx512vnni,avx2,fma,f16c")))
MOEFIT_VNNI inline __m256i sums_vnni(__m256i w, __m256i x, const std::int32_t* bias) {
    const __m256i start = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias));
    return _mm256_dpbusd_epi32(start, _mm256_xor_si256(w, _mm256_set1_epi8(static_cast<char>(0x80))), x);
}

// Software prefetch ahead of the row being read, at two distances: 2 KiB ahead into L1 and 6 KiB
// ahead into L2. The hardware prefetchers stop at 4 KiB page boundaries, and with the kernel's
// arithmetic between loads there are too few loads in flight to hide the restart; an L1 prefetch
// holds one of the core's few line fill buffers until DRAM answers, so prefetching only into L1
// caps a core's bandwidth, and the L2 one ahead of it turns most L1 prefetches into L2 hits.
// Measured as the fraction of a STREAM read of huge-page memory reached by 16 expert matrices of
// 384 x 1056 Q8_0 per section, 2 threads, 3 runs each: on a 2-core Xeon VM (AVX-512 VNNI) 0.66
// with one L1 prefetch 4 KiB ahead (the earlier choice; 0.48 with none), 0.72-0.74 with L1 at
// 1 KiB + L2 at 4 or 8 KiB, 0.77 with L1 at 2 KiB + L2 at 6 KiB, 0.74 with L2 at 12 KiB; for
// 384-wide down projections 0.58 -> 0.66 and for one 79136-row head 0.86 -> 0.93. (On a 2-core
// AMD EPYC VM an L1 prefetch alone gave 76% of the decode pass without, 81% at 4 KiB.) Past the
// end of a matrix they fetch lines that are not used (no fault).
constexpr std::size_t kPrefetchL1Bytes = 2048, kPrefetchL2Bytes = 6144;

// One block into `acc`: the eight int32 sums, as floats, times (weight scale * activation scale).
#define MOEFIT_Q8X_BLOCK(SUMS, B, ACC)                                                                         \
    do {                                                                                                       \
        const std::uint8_t* blk = row + (B)*block_bytes;                                                       \
        const __m256i s = SUMS(weight_codes32(blk, Q4),                                                        \
                               _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq + (B)*32)), xo + (B)*8); \
        const __m256 d = _mm256_set1_ps(_cvtsh_ss(load_u16(blk)) * xd[B]);                                     \
        ACC = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), d, ACC);                                                  \
    } while (false)

// The loop of rows_portable (kernels_int8.cpp) in registers: even and odd blocks in two named
// accumulators (an array indexed by b & 1 would live in memory), added, then summed by halving.
// Macros because each instruction set needs its own target attribute on the function that holds
// the loop, and a lambda inside would not get it.
#define MOEFIT_Q8X_ROWS(NAME, TARGET, SUMS)                                                                          \
    template <bool Q4>                                                                                               \
    TARGET void NAME(const MatrixView& w, const QuantizedVectors& x, float* y, std::size_t y_stride, std::size_t r0, \
                     std::size_t r1) {                                                                               \
        const std::size_t blocks = w.cols / 32, block_bytes = Q4 ? kQ4BlockBytes : kQ8BlockBytes;                    \
        for (std::size_t r = r0; r < r1; ++r) {                                                                      \
            const std::uint8_t* row = w.row(r);                                                                      \
            for (std::size_t v = 0; v < x.count; ++v) {                                                              \
                const std::int8_t* xq = x.codes.data() + v * x.cols;                                                 \
                const float* xd = x.scales.data() + v * blocks;                                                      \
                const std::int32_t* xo = x.offsets.data() + v * blocks * 8;                                          \
                __m256 even = _mm256_setzero_ps(), odd = _mm256_setzero_ps();                                        \
                std::size_t b = 0;                                                                                   \
                for (; b + 2 <= blocks; b += 2) {                                                                    \
                    const char* next = reinterpret_cast<const char*>(row + b * block_bytes);                         \
                    _mm_prefetch(next + kPrefetchL1Bytes, _MM_HINT_T0);                                              \
                    _mm_prefetch(next + kPrefetchL2Bytes, _MM_HINT_T1);                                              \
                    MOEFIT_Q8X_BLOCK(SUMS, b, even);                                                                 \
                    MOEFIT_Q8X_BLOCK(SUMS, b + 1, odd);                                                              \
                }                                                                                                    \
                if (b < blocks) MOEFIT_Q8X_BLOCK(SUMS, b, even);                                                     \
                y[v * y_stride + r] = reduce8(_mm256_add_ps(even, odd));                                             \
            }                                                                                                        \
        }                                                                                                            \
    }
MOEFIT_Q8X_ROWS(rows_q8x_avx2, MOEFIT_AVX2, sums_avx2)
MOEFIT_Q8X_ROWS(rows_q8x_vnni, MOEFIT_VNNI, sums_vnni)
#undef MOEFIT_Q8X_ROWS
#undef MOEFIT_Q8X_BLOCK

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

bool has_vnni() {
    static const bool cached = isa() == Isa::avx512 && __builtin_cpu_supports("avx512vnni");
    return cached;
}

}  // namespace

MOEFIT_AVX2 void quantize_block_avx2(const float* x, std::int8_t* q, float& d) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 v[4], m = _mm256_setzero_ps();
    for (int k = 0; k < 4; ++k) v[k] = _mm256_loadu_ps(x + 8 * k), m = _mm256_max_ps(m, _mm256_andnot_ps(sign, v[k]));
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_shuffle_ps(h, h, 1));
    d = _mm_cvtss_f32(h) / 127.0f;
    const __m256 inv = _mm256_set1_ps(d > 0 ? 1.0f / d : 0.0f), hi = _mm256_set1_ps(127.0f),
                 half = _mm256_set1_ps(0.5f);
    __m256i c[4];
    for (int k = 0; k < 4; ++k) {
        const __m256 t =
            _mm256_min_ps(hi, _mm256_max_ps(_mm256_sub_ps(_mm256_setzero_ps(), hi), _mm256_mul_ps(v[k], inv)));
        // t + copysign(0.5, t), truncated toward zero: quantize_block's rounding.
        c[k] = _mm256_cvttps_epi32(_mm256_add_ps(t, _mm256_or_ps(half, _mm256_and_ps(sign, t))));
    }
    // int32 -> int8 in order: packs work within 128-bit lanes, so undo their interleave.
    const __m256i p16a = _mm256_packs_epi32(c[0], c[1]), p16b = _mm256_packs_epi32(c[2], c[3]);
    const __m256i p8 = _mm256_packs_epi16(p16a, p16b);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q), _mm256_permutevar8x32_epi32(p8, order));
}

bool quantize_block_x86(const float* x, std::int8_t* q, float& d) {
    if (isa() == Isa::none) return false;
    quantize_block_avx2(x, q, d);
    return true;
}

bool rows_q8x_x86(const MatrixView& w, const QuantizedVectors& x, float* y, std::size_t y_stride, std::size_t r0,
                  std::size_t r1, X86Kernels which) {
    if (isa() == Isa::none || (w.kind != WeightKind::q8_0 && w.kind != WeightKind::q4_0)) return false;
    const bool vnni = has_vnni() && which != X86Kernels::avx2;
    if (which == X86Kernels::avx512 && !vnni) return false;
    const bool q4 = w.kind == WeightKind::q4_0;
    if (vnni)
        (q4 ? rows_q8x_vnni<true> : rows_q8x_vnni<false>)(w, x, y, y_stride, r0, r1);
    else
        (q4 ? rows_q8x_avx2<true> : rows_q8x_avx2<false>)(w, x, y, y_stride, r0, r1);
    return true;
}

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

bool rows_block_x86(const MatrixView&, const float*, float*, std::size_t, std::size_t, X86Kernels) {
    return false;
}

bool rows_q8x_x86(const MatrixView&, const QuantizedVectors&, float*, std::size_t, std::size_t, std::size_t,
                  X86Kernels) {
    return false;
}

bool quantize_block_x86(const float*, std::int8_t*, float&) {
    return false;
}

#endif

}  // namespace moefit::reference::detail
