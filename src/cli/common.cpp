#include "cli/common.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <utility>

namespace moefit::cli {

namespace {

// Engine options that only a flag sets: an error keyed by the option names the flag instead.
Error at_flag_of_option(Error e) {
    static const std::pair<const char*, const char*> flags[] = {
        {"k_dtype", "--kv-dtype"},
        {"v_dtype", "--kv-dtype"},
        {"context_tokens", "--ctx"},
        {"sequences", "--batch"},
        {"ubatch_tokens", "--ubatch"},
        {"gpu_memory_utilization", "--gpu-util"},
        {"mem_fraction_static", "--mem-fraction"},
    };
    if (!e.where.file.empty()) return e;  // from a file: its key is right
    for (const auto& [key, flag] : flags)
        if (e.where.key == key) {
            e.where.file = flag;
            e.where.key.clear();
        }
    return e;
}

// The report could not be written to `path` because of `reason` (the failing call's strerror).
ExitCode write_error(const std::string& path, const std::string& reason) {
    Location loc;
    loc.file = path;
    return report_error(make_error("cannot write the report: " + reason, loc, ErrorKind::io));
}

}  // namespace

ExitCode report_error(const Error& error) {
    const Error e = at_flag_of_option(error);
    std::cerr << "moefit: error: " << e.to_string() << "\n";
    if (!e.hint.empty()) std::cerr << "  " << e.hint << "\n";
    switch (e.kind) {
        case ErrorKind::input: return ExitCode::input;
        case ErrorKind::not_found: return ExitCode::not_found;
        case ErrorKind::io: return ExitCode::io;
        case ErrorKind::internal: return ExitCode::internal;
    }
    return ExitCode::internal;
}

void add_output_options(CLI::App& cmd, OutputOptions& opts) {
    cmd.add_flag("--json", opts.json, "print a JSON report (versioned schema) instead of a table");
    cmd.add_option("--out", opts.out_path, "write the report to FILE (atomically) instead of stdout");
}

ExitCode emit(const std::string& text, const OutputOptions& opts) {
    if (opts.out_path.empty()) {
        std::cout << text;
        std::cout.flush();
        return std::cout ? ExitCode::ok : ExitCode::io;
    }
    // Write then rename: a reader of --out never sees a half-written report. C stdio, so that
    // errno says why a call failed.
    const std::string tmp = opts.out_path + ".tmp." + std::to_string(::getpid());
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (f == nullptr) return write_error(opts.out_path, std::strerror(errno));
    const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size() && std::fflush(f) == 0;
    const int write_errno = errno;
    if (std::fclose(f) != 0 || !written) {
        const std::string reason = std::strerror(written ? errno : write_errno);
        std::remove(tmp.c_str());
        return write_error(opts.out_path, reason);
    }
    if (std::rename(tmp.c_str(), opts.out_path.c_str()) != 0) {
        const std::string reason = std::strerror(errno);  // before remove() can change errno
        std::remove(tmp.c_str());
        return write_error(opts.out_path, reason);
    }
    return ExitCode::ok;
}

}  // namespace moefit::cli
