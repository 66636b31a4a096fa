// Renders `moefit fit`: the verdict, the memory breakdown against the capacity, the largest
// context and batch, the MoE insight and every assumption. Text for people; JSON (schema
// "moefit.fit", docs/schema/fit.schema.json) for scripts, byte-identical for identical input.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "engine/fit.hpp"
#include "engine/speed_summary.hpp"
#include "model/spec.hpp"
#include "spec/hardware.hpp"

namespace moefit::report {

inline constexpr int kFitSchemaVersion = 1;

struct FitInput {
    const model::ModelSpec& spec;
    const spec::HardwareProfile& hw;
    const engine::FitResult& result;
    // The speed beside the memory (engine::speed_summary for the same setup), or why there is
    // none (e.g. a --memory device without bandwidth); both empty leave "speed" out of the JSON.
    const engine::SpeedSummary* speed = nullptr;
    std::string speed_unavailable = {};
};

std::string render_fit_text(const FitInput& in);

nlohmann::ordered_json fit_json(const FitInput& in);

// The parts both fit and compare reports show: {"id","name","origin"} of the model and
// {"id","name","kind","devices"} of the hardware.
nlohmann::ordered_json model_ref_json(const model::ModelSpec& spec);
nlohmann::ordered_json hardware_ref_json(const spec::HardwareProfile& hw);

// "Mixtral-8x7B on NVIDIA GeForce RTX 4090 24GB (1 device)".
std::string fit_title(const model::ModelSpec& spec, const spec::HardwareProfile& hw);

}  // namespace moefit::report
