#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "reference/init.hpp"
#include "reference/kernels.hpp"
#include "reference/kernels_x86.hpp"
#include "reference/quant.hpp"

using namespace moefit::reference;

namespace {

struct Fixture {
    WeightKind kind;
    std::size_t rows = 48, cols = 320;  // 10 blocks per row
    std::vector<std::uint8_t> data;
    std::vector<float> x;
    MatrixView m;

    explicit Fixture(WeightKind k) : kind(k) {
        const std::size_t rb = row_bytes(kind, cols);
        data.resize(rb * rows);
        std::vector<float> row(cols);
        for (std::size_t r = 0; r < rows; ++r) {
            // Rows of different magnitudes, so that the per-block scales differ.
            for (std::size_t i = 0; i < cols; ++i) row[i] = uniform_pm1(r * cols + i) * static_cast<float>(1 + r % 7);
            encode_row(kind, row, std::span<std::uint8_t>(data.data() + r * rb, rb));
        }
        x.resize(cols);
        for (std::size_t i = 0; i < cols; ++i) x[i] = uniform_pm1((1u << 30) | i);
        m = MatrixView{kind, data.data(), cols, rows, rb};
    }

    // Float sums of `cols` terms are within a few ulps of the sum of the terms' magnitudes.
    double tolerance(std::size_t r, const std::vector<float>& v) const {
        std::vector<float> w(cols);
        decode_row(kind, m.row(r), w);
        double magnitude = 0;
        for (std::size_t i = 0; i < cols; ++i) magnitude += std::fabs(static_cast<double>(w[i]) * v[i]);
        return 1e-6 * magnitude;
    }

    std::vector<double> plain() const {
        std::vector<double> xd(x.begin(), x.end()), y(rows);
        matmul_rows_plain(m, xd.data(), cols, 1, y.data(), 1, 0, rows);
        return y;
    }
};

}  // namespace

TEST_SUITE("reference::kernels") {
    TEST_CASE("the AVX2 and AVX-512 block kernels give the same sums, within float rounding of the plain path") {
        for (WeightKind kind : {WeightKind::q8_0, WeightKind::q4_0}) {
            CAPTURE(static_cast<int>(kind));
            const Fixture f(kind);
            const std::vector<double> want = f.plain();
            std::vector<float> avx2(f.rows, NAN), avx512(f.rows, NAN);
            const bool has2 = detail::rows_block_x86(f.m, f.x.data(), avx2.data(), 0, f.rows, detail::X86Kernels::avx2);
            const bool has512 =
                detail::rows_block_x86(f.m, f.x.data(), avx512.data(), 0, f.rows, detail::X86Kernels::avx512);
            if (!has2) MESSAGE("this CPU has no AVX2+FMA+F16C: only the portable loops are checked");
            for (std::size_t r = 0; r < f.rows; ++r) {
                // Each lane does the same multiply-adds in the same order whichever the vector width.
                if (has2 && has512) CHECK(avx2[r] == avx512[r]);
                if (has2) CHECK(std::fabs(avx2[r] - want[r]) <= f.tolerance(r, f.x));
            }
            // The dispatching entry point agrees with the plain path as well (whichever it picks).
            std::vector<float> y(f.rows), scratch(f.cols);
            matmul_rows(f.m, f.x.data(), f.cols, 1, y.data(), 1, 0, f.rows, scratch.data());
            for (std::size_t r = 0; r < f.rows; ++r)
                CHECK(std::fabs(y[r] - want[r]) <= 1e-5 * (1 + std::fabs(want[r])));
        }
    }

    TEST_CASE("a batch (four vectors at a time, then one by one) agrees with the plain path for every vector") {
        const Fixture f(WeightKind::q8_0);
        const std::size_t batch = 6;  // one group of four vectors, then two single ones
        std::vector<float> xs(batch * f.cols), y(batch * f.rows), scratch(f.cols);
        for (std::size_t b = 0; b < batch; ++b)
            for (std::size_t i = 0; i < f.cols; ++i) xs[b * f.cols + i] = f.x[i] * static_cast<float>(b + 1);
        matmul_rows(f.m, xs.data(), f.cols, batch, y.data(), f.rows, 0, f.rows, scratch.data());
        for (std::size_t b = 0; b < batch; ++b) {
            std::vector<double> xd(xs.begin() + static_cast<std::ptrdiff_t>(b * f.cols),
                                   xs.begin() + static_cast<std::ptrdiff_t>((b + 1) * f.cols));
            std::vector<double> want(f.rows);
            matmul_rows_plain(f.m, xd.data(), f.cols, 1, want.data(), 1, 0, f.rows);
            const std::vector<float> xb(xd.begin(), xd.end());
            for (std::size_t r = 0; r < f.rows; ++r)
                CHECK(std::fabs(y[b * f.rows + r] - want[r]) <= f.tolerance(r, xb));
        }
    }

    TEST_CASE("8-bit activation products: VNNI and AVX2 agree, and stay within the activation rounding bound") {
        for (WeightKind kind : {WeightKind::q8_0, WeightKind::q4_0}) {
            CAPTURE(static_cast<int>(kind));
            const Fixture f(kind);
            const std::size_t batch = 3;
            std::vector<float> xs(batch * f.cols);
            for (std::size_t b = 0; b < batch; ++b)
                for (std::size_t i = 0; i < f.cols; ++i) xs[b * f.cols + i] = f.x[i] * static_cast<float>(b + 1) - 0.1f;
            QuantizedVectors q;
            quantize_activations(xs.data(), f.cols, batch, f.cols, q);
            REQUIRE(q.count == batch);
            REQUIRE(q.scales.size() == batch * f.cols / 32);
            std::vector<float> y(batch * f.rows, NAN), avx2(batch * f.rows, NAN), vnni(batch * f.rows, NAN);
            matmul_rows_q8x(f.m, q, y.data(), f.rows, 0, f.rows);
            const bool has2 = detail::rows_q8x_x86(f.m, q, avx2.data(), f.rows, 0, f.rows, detail::X86Kernels::avx2);
            const bool has_vnni =
                detail::rows_q8x_x86(f.m, q, vnni.data(), f.rows, 0, f.rows, detail::X86Kernels::avx512);
            if (!has_vnni) MESSAGE("this CPU has no AVX-512 VNNI: that kernel is not checked");
            std::vector<float> wrow(f.cols);
            for (std::size_t b = 0; b < batch; ++b) {
                const float* xb = xs.data() + b * f.cols;
                // Every code is round(x / d) within [-127, 127], and d = max |x| / 127 of its block.
                for (std::size_t i = 0; i < f.cols; ++i) {
                    const float d = q.scales[b * f.cols / 32 + i / 32];
                    CHECK(std::fabs(static_cast<float>(q.codes[b * f.cols + i]) * d - xb[i]) <= 0.5f * d * 1.0001f);
                }
                std::vector<double> xd(xb, xb + f.cols), want(f.rows);
                matmul_rows_plain(f.m, xd.data(), f.cols, 1, want.data(), 1, 0, f.rows);
                for (std::size_t r = 0; r < f.rows; ++r) {
                    const std::size_t at = b * f.rows + r;
                    // Integer sums are exact, and the lanes add in one order whichever the ISA.
                    if (has2 && has_vnni) CHECK(avx2[at] == vnni[at]);
                    if (has2) CHECK(avx2[at] == y[at]);
                    decode_row(kind, f.m.row(r), wrow);
                    double bound = 0;
                    for (std::size_t i = 0; i < f.cols; ++i)
                        bound += std::fabs(static_cast<double>(wrow[i])) * q.scales[b * f.cols / 32 + i / 32] / 2;
                    const std::vector<float> xv(xb, xb + f.cols);
                    CHECK(std::fabs(y[at] - want[r]) <= bound + f.tolerance(r, xv));
                    CHECK(std::fabs(y[at] - want[r]) > 0);  // it used the quantized vector, not x
                }
            }
        }
    }

    TEST_CASE("the AVX2 block quantizer gives the portable one's codes and scale, ties and zeros included") {
        std::vector<float> x(32 * 6);
        for (std::size_t i = 0; i < x.size(); ++i) x[i] = uniform_pm1(7000 + i) * static_cast<float>(1 + i / 32);
        for (std::size_t i = 0; i < 32; ++i) x[32 + i] = 0;  // an all-zero block: d = 0, codes 0
        for (std::size_t i = 0; i < 32; ++i)
            x[64 + i] = static_cast<float>(static_cast<int>(i) - 16) + 0.5f;  // x / d lands on halves
        x[64 + 31] = 127;  // so that d = 1 exactly and the halves are ties
        for (std::size_t b = 0; b < x.size() / 32; ++b) {
            CAPTURE(b);
            std::int8_t portable[32], simd[32];
            float dp = -1, ds = -1;
            quantize_block(x.data() + 32 * b, portable, dp);
            if (!detail::quantize_block_x86(x.data() + 32 * b, simd, ds)) {
                MESSAGE("this CPU has no AVX2: only the portable quantizer is checked");
                std::copy(portable, portable + 32, simd), ds = dp;
            }
            CHECK(ds == dp);
            for (std::size_t l = 0; l < 32; ++l) {
                CHECK(simd[l] == portable[l]);
                if (dp > 0) CHECK(std::fabs(portable[l] * dp - x[32 * b + l]) <= 0.5f * dp * 1.0001f);
            }
            if (b == 1) CHECK(dp == 0);
            if (b == 2) {
                CHECK(dp == 1.0f);
                CHECK(portable[0] == -16);  // -15.5: half away from zero
                CHECK(portable[16] == 1);   // 0.5
            }
        }
    }
}
