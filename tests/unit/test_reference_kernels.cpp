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
}
