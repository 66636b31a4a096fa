#include "reference/calibrate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "engine/kv_cache.hpp"
#include "engine/speed_summary.hpp"
#include "reference/model.hpp"
#include "reference/scale.hpp"
#include "reference/weights.hpp"
#include "spec/hardware_toml.hpp"

namespace moefit::reference {
namespace {

void report(const CalibrateProgress& progress, CalibratePhase phase, double fraction) {
    if (progress) progress(phase, fraction);
}

// The format holding most of the weight bytes: the one decode time depends on.
WeightKind main_kind(const ReferenceWeights& w) {
    std::map<WeightKind, std::uint64_t> bytes;
    for (const WeightTensor& t : w.tensors()) bytes[t.kind] += t.bytes;
    WeightKind best = WeightKind::q8_0;
    std::uint64_t most = 0;
    for (const auto& [kind, b] : bytes)
        if (b > most) most = b, best = kind;
    return best;
}

// A deterministic token stream (an LCG): the routing then differs step to step, as in real decode.
std::uint32_t next_token(std::uint64_t& state, std::uint64_t vocab) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<std::uint32_t>((state >> 33) % vocab);
}

}  // namespace

const char* phase_name(CalibratePhase phase) {
    switch (phase) {
        case CalibratePhase::bandwidth:
            return "measuring memory bandwidth";
        case CalibratePhase::build:
            return "building the reference model";
        case CalibratePhase::kernels:
            return "measuring kernels";
        case CalibratePhase::decode:
            return "decoding";
        case CalibratePhase::predict:
            return "predicting";
    }
    return "?";
}

double fit_bandwidth_efficiency(double bytes_per_step, double steps_per_second, double bandwidth_bytes_per_second) {
    if (!(bandwidth_bytes_per_second > 0)) return 0;
    return bytes_per_step * steps_per_second / bandwidth_bytes_per_second;
}

engine::Efficiency calibrated_efficiency(double bandwidth_efficiency, std::string source) {
    engine::Efficiency e;
    e.bandwidth = e.bandwidth_low = e.bandwidth_high = bandwidth_efficiency;
    e.source = std::move(source);
    return e;
}

spec::HardwareProfile host_profile(const BandwidthMeasure& bandwidth, std::size_t threads, std::uint64_t memory_bytes) {
    spec::HardwareProfile p;
    p.id = "host";
    p.name = "This host (measured by moefit calibrate)";
    p.vendor = "generic";
    p.kind = spec::HardwareKind::cpu;
    p.device_count = 0;
    p.host.memory = Size{memory_bytes, UnitFamily::binary};
    // The achievable read bandwidth stands in for the peak: the fitted efficiency is relative to it.
    p.host.bandwidth_GBps = bandwidth.read_bytes_per_second / 1e9;
    p.host.cores = threads;
    p.origin = "moefit calibrate";
    return p;
}

Result<CalibrateResult> calibrate(const model::ModelSpec& full, ThreadPool& pool, const CalibrateOptions& options,
                                  const CalibrateProgress& progress) {
    if (options.steps < 1)
        return make_error("expected at least 1 decode step, found " + std::to_string(options.steps), at_key("steps"));
    if (options.rounds < 1)
        return make_error("expected at least 1 round, found " + std::to_string(options.rounds), at_key("rounds"));
    MOEFIT_CHECK(spec::check_memory_size(options.host_memory_bytes, format_bytes(options.host_memory_bytes),
                                         at_key("host_memory_bytes")));
    CalibrateResult r;
    r.threads = pool.size();
    r.last_level_cache_bytes = options.last_level_cache_bytes;

    HostMeasureOptions hm;
    hm.buffer_bytes = options.bandwidth_buffer_bytes;
    hm.repeats = options.repeats;
    report(progress, CalibratePhase::bandwidth, 0);
    r.bandwidth = measure_bandwidth(pool, hm);
    report(progress, CalibratePhase::bandwidth, 1);

    report(progress, CalibratePhase::build, 0);
    ScaleOptions so;
    so.num_layers = options.layers;
    MOEFIT_TRY(fit, scale_to_budget(full, so, options.scheme, options.budget_bytes));
    MOEFIT_TRY(scaled, scale_spec(full, fit));
    MOEFIT_TRY(weights, ReferenceWeights::create(scaled, options.scheme, options.seed, pool));
    r.scaled = scaled;
    r.scheme = weights->engine_bytes().scheme;
    r.weight_bytes = weights->allocated_bytes();
    ModelOptions mo;
    mo.sequences = 1;
    mo.context_tokens = static_cast<std::uint64_t>(options.steps) + 8;
    MOEFIT_TRY(model, ReferenceModel::create(*weights, mo, pool));
    report(progress, CalibratePhase::build, 1);

    report(progress, CalibratePhase::kernels, 0);
    r.kernel_kind = main_kind(*weights);
    r.kernel_flops_per_second = measure_kernel_flops(pool, r.kernel_kind, true, options.repeats);
    report(progress, CalibratePhase::kernels, 0.5);
    ReadProbe probe(pool, options.bandwidth_buffer_bytes / 2);
    const std::vector<MatrixView> matrices = weights->matrices();
    r.streaming = measure_kernel_streaming(pool, matrices, probe, mo.q8_activations, options.repeats);
    report(progress, CalibratePhase::kernels, 1);

    // Rounds of `steps` timed decode steps from an empty cache, with a STREAM read before the
    // first and after each: on a shared machine the bandwidth available drifts within seconds, so
    // each round's decode is set against the mean of the reads on either side of it, and the
    // round with the median ratio stands for the run.
    std::uint64_t state = options.seed;
    const std::uint64_t vocab = scaled.vocab_size;
    std::vector<std::uint32_t> token(1);
    report(progress, CalibratePhase::decode, 0);
    token[0] = next_token(state, vocab);
    if (auto l = model->decode(token); !l) return l.error();  // faults in the cache, warms the pool
    std::vector<CalibrateRound> rounds;
    double read_before = probe.read_bytes_per_second();
    for (int round = 0; round < options.rounds; ++round) {
        CalibrateRound cr;
        model->reset();
        StepCounters counters;
        const auto t0 = std::chrono::steady_clock::now();
        for (int s = 0; s < options.steps; ++s) {
            token[0] = next_token(state, vocab);
            StepCounters c;
            if (auto l = model->decode(token, &c); !l) return l.error();
            counters.add(c);
        }
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const double read_after = probe.read_bytes_per_second();
        cr.read_bytes_per_second = (read_before + read_after) / 2;
        read_before = read_after;
        cr.tokens_per_second = seconds > 0 ? options.steps / seconds : 0;  // batch 1: a token per step
        cr.bytes_per_step =
            static_cast<double>(counters.weight_bytes_read + counters.kv_bytes_read + counters.kv_bytes_written) /
            options.steps;
        cr.fraction_of_read =
            fit_bandwidth_efficiency(cr.bytes_per_step, cr.tokens_per_second, cr.read_bytes_per_second);
        r.decode_seconds += seconds;
        rounds.push_back(cr);
        report(progress, CalibratePhase::decode, static_cast<double>(round + 1) / options.rounds);
    }
    r.steps = options.steps;
    r.rounds = rounds;
    std::vector<CalibrateRound> sorted = rounds;
    std::sort(sorted.begin(), sorted.end(),
              [](const CalibrateRound& a, const CalibrateRound& b) { return a.fraction_of_read < b.fraction_of_read; });
    const CalibrateRound& median = sorted[sorted.size() / 2];
    r.bandwidth.read_bytes_per_second = median.read_bytes_per_second;
    r.measured_tokens_per_second = median.tokens_per_second;
    r.measured_bytes_per_step = median.bytes_per_step;
    r.measured_bytes_per_second = median.bytes_per_step * median.tokens_per_second;
    const double steps_per_second = median.tokens_per_second;

    report(progress, CalibratePhase::predict, 0);
    r.profile = host_profile(r.bandwidth, r.threads, options.host_memory_bytes);
    MOEFIT_TRY(kv, engine::kv_cache(scaled, model->kv_options()));
    const engine::SpeedSetup setup =
        engine::speed_setup(scaled, weights->inventory(), weights->engine_bytes(), kv, r.profile, options.runtime);
    // The timed steps ran at depths 1..steps: predict at the middle one.
    r.context_tokens = 1 + static_cast<std::uint64_t>(options.steps + 1) / 2;
    // The profile's bandwidth is the STREAM read measured a moment ago, not a datasheet peak (the
    // built-in cpu rows are fractions of datasheet peaks and do not apply to it). The prediction
    // streams at the rate the kernels reached reading the same weights in order, measured apart
    // from the decode, and at most at all of the read: what the decode adds to that (short
    // sections of scattered experts, the serial work between them, attention) is what the
    // comparison with the measured decode shows.
    engine::ThroughputInput predicted_in = setup.input(1, r.context_tokens);
    const double streaming = std::clamp(r.streaming.fraction_of_read, 0.01, 1.0);
    predicted_in.calibration = calibrated_efficiency(
        streaming, fmt::format("the kernels' measured streaming rate, {:.2f} of the STREAM read (high: all of it)",
                               r.streaming.fraction_of_read));
    predicted_in.calibration->bandwidth_high = 1.0;
    MOEFIT_TRY(predicted, engine::predict_decode(predicted_in));
    r.predicted = predicted;
    r.fitted_bandwidth_efficiency =
        fit_bandwidth_efficiency(predicted.step.device_bytes, steps_per_second, predicted.step.bandwidth_GBps * 1e9);
    engine::ThroughputInput fitted_in = setup.input(1, r.context_tokens);
    fitted_in.calibration = calibrated_efficiency(r.fitted_bandwidth_efficiency, "calibration: moefit calibrate");
    MOEFIT_TRY(fitted, engine::predict_decode(fitted_in));
    r.predicted_fitted = fitted;
    report(progress, CalibratePhase::predict, 1);
    return r;
}

}  // namespace moefit::reference
