#include "spec/hardware_catalog.hpp"

#include <filesystem>

#include "spec/builtin_catalog.hpp"
#include "spec/file_io.hpp"
#include "spec/hardware_toml.hpp"
#include "util/embedded.hpp"
#include "util/strings.hpp"

namespace moefit::spec {
namespace {

const CatalogInfo& catalog() {
    static const CatalogInfo info{embedded::hardware_profile_files(), "hardware_profiles", "hardware",
                                  "(`moefit list hardware` shows the built-in profiles; a path to a .toml profile "
                                  "also works)"};
    return info;
}

// "24 GiB" / "80 GB": whole numbers without ".00", in the family the user wrote.
std::string short_size(const Size& size) {
    std::string text = format_bytes(size.bytes, size.family);
    if (const auto dot = text.find(".00 "); dot != std::string::npos) text.erase(dot, 3);
    return text;
}

}  // namespace

Result<std::vector<HardwareProfile>> builtin_hardware() {
    static const Result<std::vector<HardwareProfile>> cache = read_all_builtins(catalog(), &read_hardware_toml);
    return cache;
}

Result<HardwareProfile> find_builtin_hardware(std::string_view name) {
    return find_builtin(catalog(), &read_hardware_toml, &builtin_hardware, name);
}

Result<HardwareProfile> load_hardware(const std::string& arg) {
    std::error_code ec;
    const bool is_path =
        std::filesystem::exists(arg, ec) || ends_with(arg, ".toml") || arg.find('/') != std::string::npos;
    if (!is_path) return find_builtin_hardware(arg);
    if (ends_with(arg, ".toml") || std::filesystem::is_regular_file(arg, ec)) {
        MOEFIT_TRY(text, read_text_file(arg));
        return read_hardware_toml(text, arg);
    }
    Location loc;
    loc.file = arg;
    return make_error("no such file", loc, ErrorKind::io);
}

Result<HardwareProfile> custom_hardware(Size memory) {
    Location loc;
    loc.file = "--memory";
    const std::string shown = short_size(memory);
    MOEFIT_CHECK(check_memory_size(memory.bytes, shown, loc));
    HardwareProfile p;
    p.id = "custom";
    p.name = "Custom device, " + shown;
    p.kind = HardwareKind::gpu;
    p.device_count = 1;
    p.device_memory = memory;
    // The user states what they have, so the whole capacity counts as usable.
    p.device_usable_bytes = memory.bytes;
    p.origin = "--memory";
    return p;
}

}  // namespace moefit::spec
