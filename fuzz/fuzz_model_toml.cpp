// Fuzzes the model-spec TOML reader: any bytes must give a spec or an Error, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "model/accounting.hpp"
#include "model/inventory.hpp"
#include "spec/model_toml.hpp"
#include "util/checked.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto spec = moefit::spec::read_model_toml(text, "fuzz.toml");
    if (!spec) return 0;
    try {
        // A spec that validates must be countable; huge shapes may overflow, which is reported.
        const auto inv = moefit::model::build_inventory(*spec);
        (void)moefit::model::count_params(*spec, inv);
    } catch (const moefit::ArithmeticOverflow&) {
    }
    return 0;
}
