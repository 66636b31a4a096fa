// `moefit calibrate` without the I/O: measure the host (STREAM-style bandwidth, the matvec kernels'
// FLOP/s, threads), build the reference MoE for a model spec scaled to a weight budget, decode a
// few steps at batch 1 and time them, and set that beside what the throughput model predicts for
// the same scaled model on a cpu HardwareProfile made from the measurements (rounds of timed
// steps between STREAM reads; the round with the median ratio stands for the run), streaming at the
// measured read (a measured figure, unlike the datasheet peaks the built-in rows are fractions
// of, is what streaming reaches). The fitted bandwidth
// efficiency is the engine's bytes per step times the measured steps per second over the
// profile's bandwidth (the measured STREAM read): predict_decode with that efficiency as its
// calibration gives back the measured speed.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/throughput.hpp"
#include "model/spec.hpp"
#include "reference/host_measure.hpp"
#include "reference/thread_pool.hpp"
#include "spec/hardware.hpp"
#include "util/result.hpp"
#include "util/units.hpp"

namespace moefit::reference {

struct CalibrateOptions {
    std::string scheme = "default=q8_0";                  // engine::parse_scheme text of the reference weights
    std::uint64_t budget_bytes = 2ull << 30;              // weight bytes of the scaled model (scale_to_budget)
    std::uint64_t layers = 8;                             // layers of the scaled model (0 = the model's)
    int steps = 16;                                       // timed decode steps at batch 1 per round
    int rounds = 9;                                       // rounds of timed steps between STREAM reads
    std::uint64_t bandwidth_buffer_bytes = 512ull << 20;  // STREAM buffer; far larger than the caches
    int repeats = 3;                                      // bandwidth and kernel timing repeats (medians)
    std::uint64_t host_memory_bytes = 0;                  // RAM of the host (the caller asks the OS); >= 512 MiB
    std::uint64_t last_level_cache_bytes = 0;             // as the OS reports it (the caller asks); 0: unknown
    std::uint64_t seed = 1;
    std::string runtime = "llama.cpp";  // whose efficiency row the prediction uses
};

// Phases reported to the progress callback, in order.
enum class CalibratePhase { bandwidth, build, kernels, decode, predict };

// "measuring memory bandwidth", "building the reference model", "measuring kernels", "decoding",
// "predicting".
const char* phase_name(CalibratePhase phase);

// Called with the phase and the fraction (0..1) of that phase done; may be empty.
using CalibrateProgress = std::function<void(CalibratePhase phase, double fraction)>;

// One round: `steps` timed decode steps from an empty cache.
struct CalibrateRound {
    double read_bytes_per_second = 0;  // mean of the STREAM reads just before and just after
    double tokens_per_second = 0;
    double bytes_per_step = 0;    // counted by the pass: weights + KV read + KV written
    double fraction_of_read = 0;  // bytes_per_step * tokens_per_second / read_bytes_per_second
};

struct CalibrateResult {
    std::size_t threads = 0;
    std::uint64_t last_level_cache_bytes = 0;  // CalibrateOptions'; 0: unknown
    BandwidthMeasure bandwidth;
    double kernel_flops_per_second = 0;  // matvec in the format holding most weight bytes, batch 1
    // The kernels reading every weight matrix of the reference model once, in order, apart from
    // the decode: what streaming alone reaches on this host, as a fraction of the STREAM read.
    StreamingMeasure streaming;
    WeightKind kernel_kind = WeightKind::q8_0;
    model::ModelSpec scaled;             // the reference model's spec
    std::string scheme;                  // canonical scheme name
    std::uint64_t weight_bytes = 0;      // allocated = the engine's, for the scaled spec
    int steps = 0;                       // per round
    std::vector<CalibrateRound> rounds;  // in the order they ran
    // The round with the median fraction_of_read stands for the run: bandwidth.read_bytes_per_second,
    // the measured figures below and the profile are that round's.
    double decode_seconds = 0;  // the timed steps of every round, together
    double measured_tokens_per_second = 0;
    double measured_bytes_per_step = 0;  // counted by the pass: weights + KV read + KV written
    double measured_bytes_per_second = 0;
    std::uint64_t context_tokens = 0;  // decode depth the prediction is made at (mid-run)
    // On `profile`, streaming at the kernels' measured rate: eta_bw = streaming.fraction_of_read
    // (capped at 1), its high end all of the STREAM read (eta_bw = 1).
    engine::DecodeResult predicted;
    double fitted_bandwidth_efficiency = 0;
    engine::DecodeResult predicted_fitted;  // the same with the fitted efficiency as calibration
    spec::HardwareProfile profile;          // kind cpu: measured bandwidth, threads, host memory
};

// The fitted η_bw: bytes_per_step * steps_per_second / bandwidth_bytes_per_second (0 when the
// bandwidth is not positive).
double fit_bandwidth_efficiency(double bytes_per_step, double steps_per_second, double bandwidth_bytes_per_second);

// An Efficiency carrying a fitted η_bw (low = central = high; compute left at its defaults) and
// `source` in its source.
engine::Efficiency calibrated_efficiency(double bandwidth_efficiency, std::string source);

// The cpu profile of this host: id "host", host memory `memory_bytes`, bandwidth the STREAM read,
// cores = threads. origin "moefit calibrate".
spec::HardwareProfile host_profile(const BandwidthMeasure& bandwidth, std::size_t threads, std::uint64_t memory_bytes);

// Runs the calibration with every thread of `pool` on `full` (an unscaled model spec). Fails with
// the scaling, scheme or engine error, with an input Error (key "host_memory_bytes") when the host
// memory is under 512 MiB, and (key "steps") for steps < 1.
Result<CalibrateResult> calibrate(const model::ModelSpec& full, ThreadPool& pool, const CalibrateOptions& options,
                                  const CalibrateProgress& progress = {});

}  // namespace moefit::reference
