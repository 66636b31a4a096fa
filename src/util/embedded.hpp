// Files compiled into the binary (model specs, hardware profiles, data tables).
#pragma once

#include <span>

namespace moefit {

struct EmbeddedFile {
    const char* name;  // file name, e.g. "mixtral-8x7b.toml"
    const char* text;  // whole file contents
};

}  // namespace moefit

namespace moefit::embedded {
std::span<const moefit::EmbeddedFile> model_spec_files();
std::span<const moefit::EmbeddedFile> hardware_profile_files();
std::span<const moefit::EmbeddedFile> data_files();
}  // namespace moefit::embedded
