#include "reference/host_measure.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>

#include "reference/init.hpp"
#include "reference/kernels.hpp"
#include "reference/target_clones.hpp"

namespace moefit::reference {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

MOEFIT_CLONES
float sum_floats(const float* p, std::size_t n) {
    float acc[16] = {};
    for (std::size_t i = 0; i + 16 <= n; i += 16)
        for (std::size_t l = 0; l < 16; ++l) acc[l] += p[i + l];
    float s = 0;
    for (float a : acc) s += a;
    return s;
}

MOEFIT_CLONES
void triad(float* a, const float* b, const float* c, float s, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) a[i] = b[i] + s * c[i];
}

}  // namespace

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const std::size_t m = v.size() / 2;
    return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

constexpr std::size_t kGrain = 1 << 14;  // 64 KiB of floats per scheduling unit

ReadProbe::ReadProbe(ThreadPool& pool, std::uint64_t bytes)
    : pool_(pool),
      floats_(std::max<std::size_t>(1, static_cast<std::size_t>(bytes / sizeof(float)) / kGrain) * kGrain),
      buf_(allocate_buffer(floats_ * sizeof(float))),
      sink_(pool.size()) {
    // First touch from the threads that will stream each share.
    pool_.parallel_for(floats_, kGrain, [&](std::size_t b, std::size_t e, std::size_t) {
        for (std::size_t i = b; i < e; ++i) data()[i] = static_cast<float>(i % 1024) * 1e-3f;
    });
}

double ReadProbe::read_bytes_per_second() {
    const auto t0 = Clock::now();
    pool_.parallel_for(floats_, kGrain,
                       [&](std::size_t b, std::size_t e, std::size_t t) { sink_[t] += sum_floats(data() + b, e - b); });
    const double seconds = seconds_since(t0);
    if (sink_[0] == 12345.0f) return 0;  // keeps the sums observable
    return static_cast<double>(floats_ * sizeof(float)) / seconds;
}

BandwidthMeasure measure_bandwidth(ThreadPool& pool, const HostMeasureOptions& o) {
    ReadProbe probe(pool, o.buffer_bytes / (3 * kGrain * sizeof(float)) * (3 * kGrain * sizeof(float)));
    BandwidthMeasure m;
    for (int r = 0; r < o.repeats; ++r) m.read_samples.push_back(probe.read_bytes_per_second());
    const std::size_t third = probe.floats() / 3;
    float* a = probe.data();
    const float* b = a + third;
    const float* c = b + third;
    for (int r = 0; r < o.repeats; ++r) {
        const auto t0 = Clock::now();
        pool.parallel_for(third, kGrain, [&](std::size_t lo, std::size_t hi, std::size_t) {
            triad(a + lo, b + lo, c + lo, 0.5f, hi - lo);
        });
        m.triad_samples.push_back(static_cast<double>(3 * third * sizeof(float)) / seconds_since(t0));
    }
    m.read_bytes_per_second = median(m.read_samples);
    m.triad_bytes_per_second = median(m.triad_samples);
    return m;
}

StreamingMeasure measure_kernel_streaming(ThreadPool& pool, std::span<const MatrixView> matrices, ReadProbe& probe,
                                          bool q8_activations, int repeats) {
    std::size_t max_cols = 0, max_rows = 0;
    std::uint64_t bytes = 0;
    for (const MatrixView& m : matrices) {
        max_cols = std::max(max_cols, m.cols), max_rows = std::max(max_rows, m.rows);
        bytes += static_cast<std::uint64_t>(m.rows) * m.row_bytes;
    }
    if (bytes == 0 || repeats < 1) return {};
    std::vector<float> x(max_cols), y(max_rows);
    for (std::size_t i = 0; i < max_cols; ++i) x[i] = uniform_pm1(1u << 29 | i);
    std::vector<std::vector<float>> scratch(pool.size(), std::vector<float>(max_cols));
    // One quantized copy per width, made before the sweeps (the pass makes its copies per step,
    // outside the products too); nullptr for the matrices that take x in float.
    std::map<std::size_t, QuantizedVectors> by_width;
    std::vector<const QuantizedVectors*> quantized(matrices.size(), nullptr);
    for (std::size_t i = 0; i < matrices.size(); ++i) {
        const MatrixView& m = matrices[i];
        if (!q8_activations || (m.kind != WeightKind::q8_0 && m.kind != WeightKind::q4_0)) continue;
        auto [it, added] = by_width.try_emplace(m.cols);
        if (added) quantize_activations(x.data(), m.cols, 1, m.cols, it->second);
        quantized[i] = &it->second;
    }
    std::vector<double> rates, fractions;
    double read_before = probe.read_bytes_per_second();
    for (int r = 0; r < repeats; ++r) {
        const auto t0 = Clock::now();
        for (std::size_t i = 0; i < matrices.size(); ++i) {
            const MatrixView& m = matrices[i];
            pool.parallel_for(m.rows, 16, [&](std::size_t b, std::size_t e, std::size_t t) {
                if (quantized[i] != nullptr)
                    matmul_rows_q8x(m, *quantized[i], y.data(), 1, b, e);
                else
                    matmul_rows(m, x.data(), m.cols, 1, y.data(), 1, b, e, scratch[t].data());
            });
        }
        const double seconds = seconds_since(t0);
        const double read_after = probe.read_bytes_per_second();
        rates.push_back(static_cast<double>(bytes) / seconds);
        fractions.push_back(rates.back() / ((read_before + read_after) / 2));
        read_before = read_after;
    }
    return {median(rates), median(fractions)};
}

double measure_kernel_flops(ThreadPool& pool, WeightKind kind, bool q8_activations, int repeats) {
    const std::size_t cols = 1024, rows = 192, iters = 64;
    const std::size_t rb = row_bytes(kind, cols);
    std::vector<std::uint8_t> data(rb * rows);
    std::vector<float> row(cols), x(cols), y(rows);
    for (std::size_t r = 0; r < rows; ++r) {
        for (std::size_t i = 0; i < cols; ++i) row[i] = uniform_pm1(r * cols + i);
        encode_row(kind, row, std::span<std::uint8_t>(data.data() + r * rb, rb));
    }
    for (std::size_t i = 0; i < cols; ++i) x[i] = uniform_pm1(1u << 30 | i);
    const MatrixView m{kind, data.data(), cols, rows, rb};
    std::vector<std::vector<float>> scratch(pool.size(), std::vector<float>(cols));
    QuantizedVectors q;
    quantize_activations(x.data(), cols, 1, cols, q);
    const bool blocks = q8_activations && (kind == WeightKind::q8_0 || kind == WeightKind::q4_0);
    std::vector<double> samples;
    for (int r = 0; r < repeats; ++r) {
        const auto t0 = Clock::now();
        // Each thread multiplies its share of rows `iters` times: the matrix stays in its cache.
        pool.parallel_for(rows, 16, [&](std::size_t b, std::size_t e, std::size_t t) {
            for (std::size_t it = 0; it < iters; ++it) {
                if (blocks)
                    matmul_rows_q8x(m, q, y.data(), 1, b, e);
                else
                    matmul_rows(m, x.data(), cols, 1, y.data(), 1, b, e, scratch[t].data());
            }
        });
        samples.push_back(2.0 * static_cast<double>(rows * cols * iters) / seconds_since(t0));
    }
    return median(samples);
}

}  // namespace moefit::reference
