// What every subcommand shares: named exit codes, error printing, and writing the output
// (stdout, or --out FILE written to a temporary file and renamed, so it is never half-written).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "util/result.hpp"

namespace moefit::cli {

// Documented in README.md ("Exit codes").
enum class ExitCode : int {
    ok = 0,
    does_not_fit = 1,  // only with --check
    usage = 2,         // bad command line syntax
    input = 3,         // bad spec, file contents or flag value
    not_found = 4,     // unknown model, hardware or quantization name
    io = 5,            // a file could not be read or written
    internal = 70,     // a bug in moefit
};

// The work a parsed subcommand will do; set by the subcommand's CLI11 callback.
using Action = std::function<ExitCode()>;

// Prints "moefit: error: <where>: <message>" and the hint to stderr; returns the exit code
// for the error's kind. An engine option error with no file (key "k_dtype", "sequences", ...)
// names the flag that sets the option instead ("--kv-dtype", "--batch", ...).
ExitCode report_error(const Error& e);

// Options every report-producing command takes.
struct OutputOptions {
    bool json = false;
    std::string out_path;  // empty = stdout
};
void add_output_options(CLI::App& cmd, OutputOptions& opts);

// Writes `text` to stdout or atomically to opts.out_path; a failure is an io error naming the
// path and the system's reason ("No such file or directory").
ExitCode emit(const std::string& text, const OutputOptions& opts);

// One subcommand: its name, one-line description, and how it adds its options to the
// CLI11 subcommand created for it (and sets `action` when it is the one chosen).
struct Command {
    const char* name;
    const char* description;
    void (*add)(CLI::App& cmd, Action& action);
};

// Every subcommand, in help order (defined in commands.cpp).
const std::vector<Command>& commands();

}  // namespace moefit::cli
