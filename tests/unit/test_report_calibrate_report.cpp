#include <doctest/doctest.h>

#include "engine/throughput_efficiency.hpp"
#include "report/calibrate_report.hpp"
#include "spec/hardware_catalog.hpp"
#include "spec/hardware_toml.hpp"
#include "spec/model_catalog.hpp"

using namespace moefit;

namespace {

// A result as calibrate() fills it, with round figures (no run needed to render).
reference::CalibrateResult sample() {
    reference::CalibrateResult r;
    r.threads = 2;
    r.bandwidth.read_bytes_per_second = 10e9;
    r.bandwidth.triad_bytes_per_second = 9e9;
    r.bandwidth.read_samples = {10e9};
    r.kernel_flops_per_second = 20e9;
    r.streaming = {9e9, 0.9};
    r.scaled = spec::find_builtin_model("qwen3-30b-a3b").value();
    r.scheme = "default=q8_0";
    r.weight_bytes = 1ull << 30;
    r.steps = 8;
    r.rounds = {{10e9, 7.0, 1e9, 0.7}, {10e9, 8.0, 1e9, 0.8}, {10e9, 9.0, 1e9, 0.9}};
    r.measured_tokens_per_second = 8.0;
    r.measured_bytes_per_step = 1e9;
    r.measured_bytes_per_second = 8e9;
    r.context_tokens = 5;
    r.predicted.total = {5.0, 4.0, 6.0};
    r.predicted.step.device_bytes = 1e9;
    r.fitted_bandwidth_efficiency = 0.8;
    r.profile = reference::host_profile(r.bandwidth, 2, 16ull << 30);
    return r;
}

}  // namespace

TEST_SUITE("report::calibrate_report") {
    TEST_CASE("the rendered host profile parses as a cpu profile with the measured figures") {
        const reference::CalibrateResult r = sample();
        const std::string toml = report::render_host_profile_toml(r);
        CHECK(toml.find("measured by `moefit calibrate`") != std::string::npos);
        CHECK(toml.find("Fitted bandwidth efficiency: 0.800") != std::string::npos);
        auto p = spec::read_hardware_toml(toml, "host.toml");
        REQUIRE_MESSAGE(p.ok(), p.error().to_string());
        CHECK(p->id == "host");
        CHECK(p->kind == spec::HardwareKind::cpu);
        CHECK(p->host.bandwidth_GBps == doctest::Approx(10.0));
        CHECK(p->host.cores == 2);
        CHECK(p->host.memory.bytes == (16ull << 30));
        CHECK(p->host.decode_efficiency == doctest::Approx(0.8));
        // fit and speed then use the measured fraction for CPU work on this host, keeping the
        // built-in cpu row's relative spread around it.
        const engine::EfficiencyTable table = engine::builtin_efficiency_table().value();
        const engine::Efficiency row = engine::lookup_efficiency(table, "llama.cpp", "cpu");
        const engine::Efficiency e = engine::host_efficiency(table, "llama.cpp", *p);
        CHECK(e.bandwidth == doctest::Approx(0.8));
        CHECK(e.bandwidth_low / e.bandwidth == doctest::Approx(row.bandwidth_low / row.bandwidth));
        CHECK(e.bandwidth_high / e.bandwidth == doctest::Approx(row.bandwidth_high / row.bandwidth));
        CHECK(e.compute == doctest::Approx(row.compute));
        CHECK(e.source.find("host") != std::string::npos);
        p->host.decode_efficiency = 0;
        CHECK(engine::host_efficiency(table, "llama.cpp", *p).bandwidth == doctest::Approx(row.bandwidth));
    }

    TEST_CASE("the text and json put the measured speed beside the predicted one with their ratio") {
        const reference::CalibrateResult r = sample();
        const std::string text = report::render_calibrate_text(r);
        CHECK(text.find("measured / predicted = 1.60") != std::string::npos);
        CHECK(text.find("fitted bandwidth 0.800") != std::string::npos);
        CHECK(text.find("rounds: measured / STREAM read = 0.70, 0.80, 0.90") != std::string::npos);
        const auto j = report::calibrate_json(r);
        CHECK(j["schema"] == "moefit.calibrate");
        CHECK(j["decode"]["measured"]["tokens_per_second"] == 8.0);
        CHECK(j["decode"]["predicted"]["tokens_per_second"]["value"] == 5.0);
        CHECK(j["decode"]["measured_over_predicted"].get<double>() == doctest::Approx(1.6));
        REQUIRE(j["decode"]["rounds"].size() == 3);
        CHECK(j["decode"]["rounds"][1]["fraction_of_read"] == 0.8);
        CHECK(j["efficiency"]["fitted_bandwidth"] == 0.8);
        CHECK(text.find("at 9.00 GB/s = 0.90 of the STREAM read") != std::string::npos);
        CHECK(j["host"]["streaming_fraction_of_read"] == 0.9);
        // Without a cache size from the OS there is no cache line.
        CHECK(text.find("last-level cache") == std::string::npos);
        CHECK(j["host"]["last_level_cache_bytes"] == 0);
    }

    TEST_CASE("a step smaller than the last-level cache is flagged, a larger one only sized against it") {
        reference::CalibrateResult r = sample();  // 1e9 bytes per step
        r.last_level_cache_bytes = 2'000'000'000;
        const std::string small = report::render_calibrate_text(r);
        CHECK(small.find("a step reads 0.5 times the last-level cache") != std::string::npos);
        CHECK(small.find("runs ahead of the memory") != std::string::npos);
        r.last_level_cache_bytes = 250'000'000;
        const std::string large = report::render_calibrate_text(r);
        CHECK(large.find("a step reads 4.0 times the last-level cache") != std::string::npos);
        CHECK(large.find("runs ahead of the memory") == std::string::npos);
        CHECK(report::calibrate_json(r)["host"]["last_level_cache_bytes"] == 250'000'000);
    }

    TEST_CASE("the efficiency override row parses in an efficiency table") {
        engine::MeasuredRun run;
        run.model = "qwen3-30b-a3b";
        run.hardware = "cpu-desktop-ddr5";
        run.quant = "Q4_K_M";
        run.runtime = "llama.cpp";
        run.decode_tokens_per_second = 20;
        engine::MeasuredFit fit;
        fit.device_class = "cpu";
        fit.fitted_bandwidth_efficiency = 0.55;
        const std::string row = report::render_efficiency_override(run, fit);
        const std::string table = row +
                                  "\n[[efficiency]]\nruntime = \"*\"\ndevice_class = \"*\"\nbandwidth = 0.6\n"
                                  "compute = 0.3\n";
        auto t = engine::parse_efficiency_table(table, "override.toml");
        REQUIRE_MESSAGE(t.ok(), t.error().to_string());
        const engine::Efficiency e = engine::lookup_efficiency(*t, "llama.cpp", "cpu");
        CHECK(e.bandwidth == doctest::Approx(0.55));
        CHECK(e.bandwidth_low == doctest::Approx(0.55));
        CHECK(e.compute == doctest::Approx(fit.predicted.step.efficiency.compute));
    }
}
