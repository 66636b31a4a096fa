// moefit: does this MoE model fit this machine, how fast, at which quantization?
// Parse the command line, run the chosen subcommand, map the outcome to an exit code.
#include <algorithm>
#include <exception>
#include <iostream>
#include <string_view>

#include "cli/common.hpp"
#include "util/checked.hpp"

int main(int argc, char** argv) {
    using moefit::cli::ExitCode;
    CLI::App app{"moefit: plan Mixture-of-Experts models on your hardware (memory, fit, speed)"};
    app.set_version_flag("--version", "moefit 0.1.0");
    app.require_subcommand(1);
    app.fallthrough(false);
    moefit::cli::Action action;
    // Setting up a subcommand's options costs more than some commands' work: when argv[1] names
    // one, only that one is set up (the others could not be chosen anyway); else all, for help
    // and for the "expected a subcommand" usage error.
    const std::string_view first = argc > 1 ? argv[1] : "";
    const auto& table = moefit::cli::commands();
    const bool named = std::any_of(table.begin(), table.end(), [&](const auto& c) { return first == c.name; });
    for (const moefit::cli::Command& c : table)
        if (!named || first == c.name) c.add(*app.add_subcommand(c.name, c.description), action);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return static_cast<int>(ExitCode::usage);
    }
    try {
        return static_cast<int>(action ? action() : ExitCode::usage);
    } catch (const moefit::ArithmeticOverflow& e) {
        std::cerr << "moefit: error: the sizes given overflow 64-bit arithmetic (" << e.what() << ")\n";
        return static_cast<int>(ExitCode::input);
    } catch (const std::exception& e) {
        std::cerr << "moefit: internal error: " << e.what() << "\n";
        return static_cast<int>(ExitCode::internal);
    }
}
