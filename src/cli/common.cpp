#include "cli/common.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <unistd.h>

namespace moefit::cli {

ExitCode report_error(const Error& e) {
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
    // Write then rename: a reader of --out never sees a half-written report.
    const std::string tmp = opts.out_path + ".tmp." + std::to_string(::getpid());
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        f << text;
        f.flush();
        if (!f) {
            std::error_code ec;
            std::filesystem::remove(tmp, ec);
            Location loc;
            loc.file = opts.out_path;
            return report_error(make_error("cannot write the report", loc, ErrorKind::io));
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, opts.out_path, ec);
    if (ec) {
        std::filesystem::remove(tmp, ec);
        Location loc;
        loc.file = opts.out_path;
        return report_error(make_error("cannot write the report: " + ec.message(), loc, ErrorKind::io));
    }
    return ExitCode::ok;
}

}  // namespace moefit::cli
