// Measuring the host the reference pass runs on: STREAM-style memory bandwidth (a read-only sum
// and the triad a = b + s*c over buffers far larger than the caches, each thread streaming its
// own contiguous share) and the compute throughput of the pass's matvec kernels on cache-resident
// matrices. Timing only; no I/O. Results are medians over repeats.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "reference/buffer.hpp"
#include "reference/kernels.hpp"
#include "reference/quant.hpp"
#include "reference/thread_pool.hpp"

namespace moefit::reference {

struct HostMeasureOptions {
    std::uint64_t buffer_bytes = 1ull << 30;  // read buffer; the triad uses three of a third each
    int repeats = 5;
};

struct BandwidthMeasure {
    double read_bytes_per_second = 0;   // median of the read sweeps
    double triad_bytes_per_second = 0;  // median; counts 3 arrays (2 read + 1 written), as STREAM does
    std::vector<double> read_samples;   // bytes per second of each sweep
    std::vector<double> triad_samples;
};

// A buffer far larger than the caches, touched once (page faults are not timed), that is read
// again and again. It is allocated as the reference pass allocates its weights (allocate_buffer:
// huge pages where Linux gives them), so both read the same kind of memory. On a shared machine
// the bandwidth available drifts within seconds, so what the reference pass moves is best set
// against reads taken right before and after it.
class ReadProbe {
public:
    // `bytes` rounded down to whole 64 KiB grains; at least one grain.
    ReadProbe(ThreadPool& pool, std::uint64_t bytes);

    // One read sweep over the buffer with every thread of the pool: bytes per second.
    double read_bytes_per_second();

    float* data() { return reinterpret_cast<float*>(buf_.get()); }
    std::size_t floats() const { return floats_; }

private:
    ThreadPool& pool_;
    std::size_t floats_;
    Buffer buf_;               // allocate_buffer, as the weights of the reference pass
    std::vector<float> sink_;  // per-thread sums, kept so the reads are not optimized away
};

// Bandwidth over `options.buffer_bytes` with every thread of `pool`. Buffers are touched once
// before timing so page faults are not measured.
BandwidthMeasure measure_bandwidth(ThreadPool& pool, const HostMeasureOptions& options);

// FLOP/s (2 per weight element) of the batch-1 product the pass uses on a `kind` matrix small
// enough for the L2 cache, with every thread of `pool`; median of `repeats` timings. For Q8_0 and
// Q4_0, `q8_activations` picks matmul_rows_q8x (ModelOptions::q8_activations) over matmul_rows.
double measure_kernel_flops(ThreadPool& pool, WeightKind kind, bool q8_activations = true, int repeats = 5);

// How fast the pass's batch-1 kernels stream a set of weight matrices out of memory, apart from
// any model: each matrix read once in order, one parallel section per matrix, against STREAM
// reads taken just before and just after each sweep.
struct StreamingMeasure {
    double bytes_per_second = 0;  // median over the sweeps
    double fraction_of_read = 0;  // median over the sweeps of (bytes per second / mean of the reads around it)
};

// Sweeps `matrices` `repeats` times with every thread of `pool` (Q8_0 and Q4_0 through
// matmul_rows_q8x when `q8_activations`, as ModelOptions::q8_activations, the rest through
// matmul_rows), multiplying each by one vector of its width. Zeros when there is nothing to read.
StreamingMeasure measure_kernel_streaming(ThreadPool& pool, std::span<const MatrixView> matrices, ReadProbe& probe,
                                          bool q8_activations = true, int repeats = 3);

// The median of `v` (0 for an empty vector).
double median(std::vector<double> v);

}  // namespace moefit::reference
