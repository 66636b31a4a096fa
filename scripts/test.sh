#!/usr/bin/env bash
# Builds everything with warnings as errors and runs every test (unit + golden CLI cases).
# With MOEFIT_SANITIZE=1 (the default in CI), also builds and runs the tests under
# AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DMOEFIT_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"
sanitize=${MOEFIT_SANITIZE:-}
if [ -z "$sanitize" ]; then
  if [ "${CI:-}" = true ]; then sanitize=1; else sanitize=0; fi
fi
if [ "$sanitize" = 1 ]; then
  echo "== sanitizer build (ASan + UBSan) =="
  # -O1 with line tables only (-g1): what AddressSanitizer's documentation suggests for speed,
  # and about half the compile time of -O2 -g; reports still name file and line.
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
    -DMOEFIT_WERROR=ON -DMOEFIT_SANITIZE=ON >/dev/null
  # Only what the tests run: the benchmarks print figures and are not run here.
  cmake --build build-asan -j"$jobs" --target moefit moefit_tests moefit_throughput_check
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j"$jobs" -LE integration
fi
