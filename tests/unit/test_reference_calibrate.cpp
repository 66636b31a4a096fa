#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "reference/calibrate.hpp"
#include "spec/model_catalog.hpp"

using namespace moefit;
using namespace moefit::reference;

namespace {

// A run small enough for a unit test: a few MiB of weights, two layers, one step.
CalibrateOptions tiny() {
    CalibrateOptions o;
    o.budget_bytes = 6ull << 20;
    o.layers = 2;
    o.steps = 1;
    o.rounds = 3;
    o.bandwidth_buffer_bytes = 8ull << 20;
    o.repeats = 1;
    o.host_memory_bytes = 4ull << 30;
    return o;
}

}  // namespace

TEST_SUITE("reference::calibrate") {
    TEST_CASE("the fitted efficiency is bytes per step times steps per second over the bandwidth") {
        CHECK(fit_bandwidth_efficiency(2e9, 10, 100e9) == doctest::Approx(0.2));
        CHECK(fit_bandwidth_efficiency(1e9, 5, 0) == 0);
        const engine::Efficiency e = calibrated_efficiency(0.73, "calibration: test");
        CHECK(e.bandwidth == 0.73);
        CHECK(e.bandwidth_low == 0.73);
        CHECK(e.bandwidth_high == 0.73);
        CHECK(e.source == "calibration: test");
    }

    TEST_CASE("the host profile is a cpu profile with the measured read bandwidth and threads") {
        BandwidthMeasure bw;
        bw.read_bytes_per_second = 12.5e9;
        const spec::HardwareProfile p = host_profile(bw, 2, 8ull << 30);
        CHECK(p.kind == spec::HardwareKind::cpu);
        CHECK(p.device_count == 0);
        CHECK(p.host.bandwidth_GBps == doctest::Approx(12.5));
        CHECK(p.host.cores == 2);
        CHECK(p.host.memory.bytes == (8ull << 30));
    }

    TEST_CASE("a tiny calibration run reports each phase and predicts for the model it ran") {
        auto full = spec::find_builtin_model("qwen3-30b-a3b");
        REQUIRE(full.ok());
        ThreadPool pool(1);
        std::vector<CalibratePhase> started;
        auto r = calibrate(*full, pool, tiny(), [&](CalibratePhase p, double f) {
            if (f == 0) started.push_back(p);
        });
        REQUIRE_MESSAGE(r.ok(), r.error().to_string());
        CHECK(started == std::vector<CalibratePhase>{CalibratePhase::bandwidth, CalibratePhase::build,
                                                     CalibratePhase::kernels, CalibratePhase::decode,
                                                     CalibratePhase::predict});
        CHECK(r->threads == 1);
        CHECK(r->steps == 1);
        // Three rounds; the run's figures are the round with the median ratio to its STREAM read.
        REQUIRE(r->rounds.size() == 3);
        std::vector<double> fractions;
        for (const CalibrateRound& c : r->rounds) {
            CHECK(c.fraction_of_read ==
                  doctest::Approx(c.bytes_per_step * c.tokens_per_second / c.read_bytes_per_second));
            fractions.push_back(c.fraction_of_read);
        }
        std::sort(fractions.begin(), fractions.end());
        // (the fit uses the engine's bytes per step; the pass's count adds the KV cache's few KiB)
        CHECK(r->fitted_bandwidth_efficiency == doctest::Approx(fractions[1]).epsilon(0.01));
        CHECK(r->scaled.num_layers == 2);
        CHECK(r->weight_bytes <= (6ull << 20));
        CHECK(r->measured_tokens_per_second > 0);
        CHECK(r->measured_bytes_per_second ==
              doctest::Approx(r->measured_bytes_per_step * r->measured_tokens_per_second));
        // The profile is made from the measurement, and the prediction ran on it, CPU only.
        CHECK(r->profile.host.bandwidth_GBps == doctest::Approx(r->bandwidth.read_bytes_per_second / 1e9));
        CHECK(r->predicted.step.bandwidth_GBps == doctest::Approx(r->profile.host.bandwidth_GBps));
        CHECK(r->predicted.step.bound == engine::Bound::memory_bandwidth);
        // The profile's bandwidth is a measured read; the prediction streams at the rate the
        // kernels reached over the same weights apart from the decode, at most all of the read.
        CHECK(r->streaming.bytes_per_second > 0);
        CHECK(r->streaming.fraction_of_read > 0);
        CHECK(r->predicted.step.efficiency.bandwidth ==
              doctest::Approx(std::clamp(r->streaming.fraction_of_read, 0.01, 1.0)));
        CHECK(r->predicted.step.efficiency.bandwidth_high == 1.0);
        CHECK(r->predicted.total.low <= r->predicted.total.value);
        CHECK(r->predicted.total.value <= r->predicted.total.high);
        // η = engine bytes x measured steps/s / bandwidth; predicting with it gives back the measured speed.
        CHECK(r->fitted_bandwidth_efficiency ==
              doctest::Approx(r->predicted.step.device_bytes * r->measured_tokens_per_second /
                              (r->predicted.step.bandwidth_GBps * 1e9)));
        CHECK(r->predicted_fitted.total.value == doctest::Approx(r->measured_tokens_per_second));
        // The counted bytes of a step and the engine's differ only by the KV cache's few KiB.
        CHECK(r->measured_bytes_per_step == doctest::Approx(r->predicted.step.device_bytes).epsilon(0.05));
    }

    TEST_CASE("calibration fails for zero steps or rounds and for a host memory given without its unit") {
        auto full = spec::find_builtin_model("qwen3-30b-a3b");
        REQUIRE(full.ok());
        ThreadPool pool(1);
        CalibrateOptions o = tiny();
        o.steps = 0;
        auto r = calibrate(*full, pool, o);
        REQUIRE(!r.ok());
        CHECK(r.error().where.key == "steps");
        o = tiny();
        o.rounds = 0;
        r = calibrate(*full, pool, o);
        REQUIRE(!r.ok());
        CHECK(r.error().where.key == "rounds");
        o = tiny();
        o.host_memory_bytes = 64;
        r = calibrate(*full, pool, o);
        REQUIRE(!r.ok());
        CHECK(r.error().where.key == "host_memory_bytes");
    }
}
