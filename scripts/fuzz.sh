#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for SECONDS (default 60), seeded from the
# repository's own specs, profiles, fixtures and golden cases (see seeds()), JOBS targets at a time
# (default 1), at the lowest CPU priority. Findings (crash-*, leak-*, timeout-*, oom-* inputs)
# land in BUILD/findings/; a summary line per target gives its executions and findings.
# Usage: scripts/fuzz.sh [SECONDS] [JOBS] [TARGET...]    BUILD=build-fuzz by default (env FUZZ_BUILD)
# FUZZ_TIMEOUT (seconds, default 10) is libFuzzer's per-input timeout: raise it on a loaded
# machine, where a fuzzer at the lowest priority can wait that long for a core.
# Needs: apt-get install clang libclang-rt-14-dev
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
jobs=${2:-1}
shift $(($# > 2 ? 2 : $#))
build=${FUZZ_BUILD:-build-fuzz}
CC=${CC:-clang} CXX=${CXX:-clang++} cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMOEFIT_FUZZ=ON \
  -DMOEFIT_BUILD_TESTS=OFF >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for src in fuzz/fuzz_*.cpp; do targets+=("$(basename "$src" .cpp)"); done
fi
nice -n 19 cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"
mkdir -p "$build/findings" "$build/logs"

# Seed files for one target, from what the tests already use.
seeds() {
  case "$1" in
    fuzz_model_toml) ls model_specs/*.toml tests/golden/*/*.toml ;;
    fuzz_hardware_toml) ls hardware_profiles/*.toml tests/golden/bad_hw_*/*.toml ;;
    fuzz_hf_config) ls tests/fixtures/hf/*/config.json tests/golden/*/model/config.json ;;
    fuzz_value_parsers) ls tests/fuzz_seeds/values/* ;;
    fuzz_gguf) ls tests/fuzz_seeds/gguf/* tests/golden/*/*.gguf ;;
    fuzz_safetensors) ls tests/fuzz_seeds/safetensors/* tests/golden/*/model/*.safetensors ;;
    *) ls tests/fuzz_seeds/"${1#fuzz_}"/* ;;
  esac 2>/dev/null
}

run_target() {
  local name=$1 corpus=$build/corpus/$1 log=$build/logs/$1.log
  mkdir -p "$corpus"
  # Only files: a golden case may hold a directory named like a seed (bad_model_is_directory).
  for f in $(seeds "$name"); do if [ -f "$f" ]; then cp -n "$f" "$corpus/$(echo "$f" | tr / _)"; fi; done
  nice -n 19 "$build/fuzz/$name" "$corpus" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
    -timeout="${FUZZ_TIMEOUT:-10}" -artifact_prefix="$build/findings/$name-" -print_final_stats=1 >"$log" 2>&1 || true
  local execs findings
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
  findings=$(find "$build/findings" -name "$name-*" | wc -l)
  echo "$name: ${seconds}s, $execs executions, $findings findings (log $log)"
}

running=0
for name in "${targets[@]}"; do
  run_target "$name" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait
ls "$build/findings"
