// The CLI's own cost: times whole `moefit` processes (fork, exec, run, exit) for the commands of
// issue 9 §5 and prints the median, the fastest and the 90th percentile of each, and the median
// CPU time. Not a test: the figures depend on the machine and its load. Usage:
// moefit_cli_speed [RUNS] [MOEFIT_BINARY] (defaults: 25 runs and the binary built next to this
// program).
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

// Runs `binary args...` with stdout and stderr sent to /dev/null; returns its exit status, the
// wall time and the child's CPU time (user + system) in milliseconds, or -1 when it could not be
// started. CPU time is steadier than wall time on a shared machine.
int run_once(const std::string& binary, const std::vector<std::string>& args, double& ms, double& cpu_ms) {
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(binary.c_str()));
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const auto start = std::chrono::steady_clock::now();
    const pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        const int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execv(binary.c_str(), argv.data());
        _exit(127);
    }
    int status = 0;
    rusage usage{};
    wait4(pid, &status, 0, &usage);
    ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    const auto to_ms = [](const timeval& t) { return static_cast<double>(t.tv_sec) * 1e3 + t.tv_usec / 1e3; };
    cpu_ms = to_ms(usage.ru_utime) + to_ms(usage.ru_stime);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct Bench {
    const char* label;
    std::vector<std::string> args;
    double target_ms;  // issue 9 §5; 0 = none
};

}  // namespace

int main(int argc, char** argv) {
    const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 25;
    const std::string binary = argc > 2 ? argv[2] : MOEFIT_BINARY;
    const std::vector<Bench> benches = {
        {"fit kimi-k2 --hw 8x-h200", {"fit", "kimi-k2", "--hw", "8x-h200"}, 5},
        {"compare deepseek-v3 --hw 8x-h200 --quant all",
         {"compare", "deepseek-v3", "--hw", "8x-h200", "--quant", "all"},
         20},
        {"plan kimi-k2 --hw 8x-h200 --nodes 8", {"plan", "kimi-k2", "--hw", "8x-h200", "--nodes", "8"}, 0},
        {"--version (process floor)", {"--version"}, 0},
    };
    std::printf("%s, %d runs each (wall time of the whole process)\n", binary.c_str(), runs);
    std::printf("%-48s %9s %9s %9s %9s %9s\n", "command", "median", "min", "p90", "cpu med", "target");
    int failures = 0;
    for (const Bench& b : benches) {
        std::vector<double> times, cpu_times;
        int status = 0;
        for (int i = 0; i < runs && status == 0; ++i) {
            double ms = 0, cpu_ms = 0;
            status = run_once(binary, b.args, ms, cpu_ms);
            times.push_back(ms);
            cpu_times.push_back(cpu_ms);
        }
        if (status != 0) {
            std::printf("%-48s exit status %d: skipped (command missing or failing)\n", b.label, status);
            ++failures;
            continue;
        }
        std::sort(times.begin(), times.end());
        std::sort(cpu_times.begin(), cpu_times.end());
        const double median = times[times.size() / 2];
        const double p90 = times[std::min(times.size() - 1, times.size() * 9 / 10)];
        char target[32] = "-";
        if (b.target_ms > 0)
            std::snprintf(target, sizeof target, "%s%.0f ms", median <= b.target_ms ? "<" : "MISSED ", b.target_ms);
        std::printf("%-48s %6.2f ms %6.2f ms %6.2f ms %6.2f ms %9s\n", b.label, median, times.front(), p90,
                    cpu_times[cpu_times.size() / 2], target);
    }
    return failures == static_cast<int>(benches.size()) ? 1 : 0;
}
