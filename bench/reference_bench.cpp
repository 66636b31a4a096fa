// Decode speed of the reference MoE forward pass on this host against its measured memory
// bandwidth: tokens per second at batch 1 and batch 8 for a model far larger than the caches,
// the bytes the pass moved per second, and that as a fraction of the STREAM read bandwidth.
// Prints medians; never asserts on time.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>

#include "reference/host_measure.hpp"
#include "reference/model.hpp"
#include "reference/scale.hpp"
#include "spec/model_catalog.hpp"
#include "util/units.hpp"

using namespace moefit;
using namespace moefit::reference;

namespace {

struct Args {
    std::string model = "qwen3-30b-a3b";
    std::string scheme = "default=q8_0";
    std::string budget = "6GiB";  // Qwen3-30B-A3B at its real widths (1/1 scale), 8 of its 48 layers
    std::uint64_t layers = 8;
    std::uint64_t threads = 0;
    int steps = 8;
    int runs = 15;
    std::vector<std::uint64_t> batches = {1, 8};
};

struct DecodeFigures {
    double tokens_per_second = 0;
    double bytes_per_second = 0;
    std::uint64_t bytes_per_step = 0;
    double experts_per_layer = 0;
    double read_bytes_per_second = 0;  // median over runs of the mean of the reads before and after
    double fraction_of_read = 0;       // median over runs of (bytes moved per second / that run's read)
};

// `runs` timed runs of `steps` decode steps of `batch` sequences, each between two STREAM reads
// of `probe`; medians. On a shared machine the bandwidth available drifts within seconds, so each
// run is set against the mean of the reads taken just before and just after it.
DecodeFigures decode_speed(const ReferenceWeights& w, ThreadPool& pool, ReadProbe& probe, std::uint64_t batch,
                           const Args& a) {
    ModelOptions o;
    o.sequences = batch;
    o.context_tokens = batch * static_cast<std::uint64_t>(a.steps + 8);
    auto m = ReferenceModel::create(w, o, pool);
    if (!m) throw std::runtime_error(m.error().to_string());
    std::vector<double> tps, bps, reads, fractions;
    std::uint64_t state = 42, bytes = 0, experts = 0, moe_layers = 0;
    double read_before = 0;
    for (int run = 0; run < a.runs + 1; ++run) {  // run 0 warms up
        if (run == 1) read_before = probe.read_bytes_per_second();
        (*m)->reset();
        StepCounters total;
        const auto t0 = std::chrono::steady_clock::now();
        for (int s = 0; s < a.steps; ++s) {
            std::vector<std::uint32_t> tokens(batch);
            for (auto& t : tokens) {
                state = state * 6364136223846793005ull + 1442695040888963407ull;
                t = static_cast<std::uint32_t>((state >> 33) % w.spec().vocab_size);
            }
            StepCounters c;
            if (auto l = (*m)->decode(tokens, &c); !l) throw std::runtime_error(l.error().to_string());
            total.add(c);
        }
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (run == 0) continue;
        const double read_after = probe.read_bytes_per_second();
        const double read = (read_before + read_after) / 2;
        read_before = read_after;
        const std::uint64_t moved = total.weight_bytes_read + total.kv_bytes_read + total.kv_bytes_written;
        tps.push_back(static_cast<double>(batch * static_cast<std::uint64_t>(a.steps)) / secs);
        bps.push_back(static_cast<double>(moved) / secs);
        reads.push_back(read);
        fractions.push_back(bps.back() / read);
        bytes = moved / static_cast<std::uint64_t>(a.steps);
        experts = 0;
        for (std::uint64_t e : total.experts_touched) experts += e;
        moe_layers = total.experts_touched.size();
    }
    DecodeFigures f;
    f.tokens_per_second = median(tps);
    f.bytes_per_second = median(bps);
    f.read_bytes_per_second = median(reads);
    f.fraction_of_read = median(fractions);
    f.bytes_per_step = bytes;
    f.experts_per_layer = moe_layers ? static_cast<double>(experts) / static_cast<double>(moe_layers * a.steps) : 0;
    return f;
}

}  // namespace

int main(int argc, char** argv) {
    Args a;
    CLI::App app{"Decode speed of the reference MoE pass against the host's measured memory bandwidth"};
    app.add_option("--model", a.model, "built-in model to scale");
    app.add_option("--scheme", a.scheme, "weight scheme (fp32, bf16, default=q8_0, default=q4_0)");
    app.add_option("--budget", a.budget, "weight bytes of the scaled model");
    app.add_option("--layers", a.layers, "layers of the scaled model (0 = all)");
    app.add_option("--threads", a.threads, "threads (0 = all cores)");
    app.add_option("--steps", a.steps, "decode steps per timed run");
    app.add_option("--runs", a.runs, "timed runs (medians are printed)");
    app.add_option("--batch", a.batches, "batch sizes to time (default 1 and 8)");
    CLI11_PARSE(app, argc, argv);
    try {
        ThreadPool pool(a.threads);
        auto full = spec::find_builtin_model(a.model);
        if (!full) throw std::runtime_error(full.error().to_string());
        auto budget = parse_size(a.budget);
        if (!budget) throw std::runtime_error(budget.error().to_string());
        ScaleOptions so;
        so.num_layers = a.layers;
        auto fit = scale_to_budget(*full, so, a.scheme, budget->bytes);
        if (!fit) throw std::runtime_error(fit.error().to_string());
        auto spec = scale_spec(*full, *fit);
        if (!spec) throw std::runtime_error(spec.error().to_string());

        const BandwidthMeasure bw = measure_bandwidth(pool, {});
        fmt::print("host: {} threads; STREAM read {:.2f} GB/s, triad {:.2f} GB/s (medians of {})\n", pool.size(),
                   bw.read_bytes_per_second / 1e9, bw.triad_bytes_per_second / 1e9, bw.read_samples.size());
        fmt::print(
            "kernels (cache-resident, batch 1): f32 {:.1f}, bf16 {:.1f}, q8_0 {:.1f}, q4_0 {:.1f} GFLOP/s; with "
            "float activations q8_0 {:.1f}, q4_0 {:.1f}\n",
            measure_kernel_flops(pool, WeightKind::f32) / 1e9, measure_kernel_flops(pool, WeightKind::bf16) / 1e9,
            measure_kernel_flops(pool, WeightKind::q8_0) / 1e9, measure_kernel_flops(pool, WeightKind::q4_0) / 1e9,
            measure_kernel_flops(pool, WeightKind::q8_0, false) / 1e9,
            measure_kernel_flops(pool, WeightKind::q4_0, false) / 1e9);
        std::fflush(stdout);

        const auto t0 = std::chrono::steady_clock::now();
        auto w = ReferenceWeights::create(*spec, a.scheme, 1, pool);
        if (!w) throw std::runtime_error(w.error().to_string());
        const double init_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const engine::WeightBytes& eb = (*w)->engine_bytes();
        fmt::print("model: {} ({} layers, hidden {}, {} experts x {} wide, k = {}), scheme {}\n", spec->name,
                   spec->num_layers, spec->hidden_size, spec->moe.num_experts, spec->moe.expert_intermediate_size,
                   spec->moe.experts_per_token, eb.scheme);
        fmt::print("weights: {} allocated = engine {} ; engine active bytes per token {} (init {:.1f} s)\n",
                   format_bytes((*w)->allocated_bytes()), format_bytes(eb.total_bytes),
                   format_bytes(eb.active_bytes_per_token), init_s);
        ReadProbe probe(pool, 256ull << 20);
        const std::vector<MatrixView> matrices = (*w)->matrices();
        const StreamingMeasure streaming = measure_kernel_streaming(pool, matrices, probe, true, 5);
        fmt::print(
            "streaming: the kernels read every weight once in order at {:.2f} GB/s = {:.1f}% of the STREAM read\n",
            streaming.bytes_per_second / 1e9, 100.0 * streaming.fraction_of_read);
        // A step whose bytes fit the last-level cache is partly served from it; say so.
        const long llc = sysconf(_SC_LEVEL3_CACHE_SIZE);
        if (llc > 0)
            fmt::print("last-level cache {} (as the OS reports it): a batch-1 step reads {:.1f} times that\n",
                       format_bytes(static_cast<std::uint64_t>(llc)),
                       static_cast<double>(eb.active_bytes_per_token) / static_cast<double>(llc));
        for (std::uint64_t batch : a.batches) {
            const DecodeFigures f = decode_speed(**w, pool, probe, batch, a);
            fmt::print(
                "batch {}: {:.2f} tok/s, {} moved per step ({:.1f} experts/layer), {:.2f} GB/s = {:.1f}% of "
                "the STREAM reads taken around each run ({:.2f} GB/s); bandwidth-bound prediction {:.2f} tok/s\n",
                batch, f.tokens_per_second, format_bytes(f.bytes_per_step), f.experts_per_layer,
                f.bytes_per_second / 1e9, 100.0 * f.fraction_of_read, f.read_bytes_per_second / 1e9,
                static_cast<double>(batch) * f.read_bytes_per_second / static_cast<double>(f.bytes_per_step));
        }
    } catch (const std::exception& e) {
        fmt::print(stderr, "moefit_bench_reference: error: {}\n", e.what());
        return 1;
    }
    return 0;
}
