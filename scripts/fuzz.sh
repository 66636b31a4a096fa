#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for SECONDS (default 60), seeded from the
# repository's own specs, profiles and fixtures (see seeds()). Findings land in build-fuzz/findings/.
# Needs: apt-get install clang libclang-rt-14-dev
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
CXX=${CXX:-clang++} cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMOEFIT_FUZZ=ON \
  -DMOEFIT_BUILD_TESTS=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)"
mkdir -p build-fuzz/findings

# Seed files for one target, from what the tests already use.
seeds() {
  case "$1" in
    fuzz_model_toml) ls model_specs/*.toml tests/golden/*/*.toml ;;
    fuzz_hardware_toml) ls hardware_profiles/*.toml ;;
    fuzz_hf_config) ls tests/fixtures/hf/*/config.json ;;
    fuzz_value_parsers) ls tests/fuzz_seeds/values/* ;;
    *) ls tests/fuzz_seeds/"${1#fuzz_}"/* ;;
  esac 2>/dev/null
}

for bin in build-fuzz/fuzz/fuzz_*; do
  name=$(basename "$bin")
  corpus=build-fuzz/corpus/$name
  mkdir -p "$corpus"
  for f in $(seeds "$name"); do cp -n "$f" "$corpus/$(echo "$f" | tr / _)"; done
  echo "== $name for ${seconds}s"
  "$bin" "$corpus" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix=build-fuzz/findings/"$name"- -print_final_stats=1 2>&1 |
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb|ERROR|SUMMARY|Done" || true
done
ls build-fuzz/findings
