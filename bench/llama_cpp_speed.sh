#!/usr/bin/env bash
# moefit's reference pass against llama.cpp on the same synthetic model, on this CPU: writes a
# Q8_0 GGUF of MODEL with `moefit synth`, times llama.cpp's greedy decode of it (node-llama-cpp's
# prebuilt CPU binaries, THREADS threads) and the reference pass's batch-1 decode of the same
# scaled model (moefit_bench_reference with the same budget, layers and scheme, so the same
# weights), and prints both medians and their ratio. Prints figures; asserts nothing about time.
#
# Usage: bench/llama_cpp_speed.sh BUILD_DIR [MODEL=qwen3-30b-a3b] [BUDGET=1GiB] [LAYERS=8]
# Environment: MOEFIT_NODE_CACHE as in tests/integration/llama_cpp_load.sh (node-llama-cpp must be
# installed there; that script installs it); THREADS: the thread counts to time, each run by both
# (default "1 N" with N the cores: on a small shared VM llama.cpp's spinning thread pool can lose
# more than a second thread gains, so one thread is shown too).
# Exits 77 when node or node-llama-cpp is missing.
set -euo pipefail
build=${1:?usage: llama_cpp_speed.sh BUILD_DIR [MODEL] [BUDGET] [LAYERS]}
model=${2:-qwen3-30b-a3b}
budget=${3:-1GiB}
layers=${4:-8}
threads=${THREADS:-"1 $(nproc)"}
cache=${MOEFIT_NODE_CACHE:-$HOME/.cache/moefit-node}
here=$(cd "$(dirname "$0")" && pwd)
command -v node >/dev/null || { echo "skipped: node is not installed"; exit 77; }
[ -d "$cache/node_modules/node-llama-cpp" ] ||
    { echo "skipped: node-llama-cpp is not installed in $cache (run tests/integration/llama_cpp_load.sh)"; exit 77; }
cp "$here/llama_cpp_decode.mjs" "$cache/llama_cpp_decode.mjs"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/moefit" synth "$model" --budget "$budget" --layers "$layers" --quant q8_0 --out "$work" >/dev/null
gguf=$(ls "$work"/*.gguf)
scheme=$(node -e 'console.log(require(process.argv[1]).scheme)' "$work/synth-manifest.json")

for t in $threads; do
    llama=$(cd "$cache" && timeout 900 node llama_cpp_decode.mjs "$gguf" 48 5 "$t")
    ours=$("$build/bench/moefit_bench_reference" --model "$model" --budget "$budget" --layers "$layers" \
        --scheme "$scheme" --threads "$t" --batch 1 --steps 48 --runs 5 | grep '^batch 1:')
    node - "$llama" "$ours" "$t" <<'JS'
const [llamaJson, ours, threads] = process.argv.slice(2);
const llama = JSON.parse(llamaJson);
const mine = Number(ours.match(/batch 1: ([\d.]+) tok\/s/)[1]);
const l = llama.median_tokens_per_second;
console.log(`same synthetic Q8_0 model, batch 1 decode, ${threads} thread(s) (medians of 5 runs):`);
console.log(`  llama.cpp (node-llama-cpp) ${l.toFixed(2)} tok/s  (runs ${llama.runs.map((x) => x.toFixed(1)).join(", ")})`);
console.log(`  moefit reference pass      ${mine.toFixed(2)} tok/s  (${ours.replace(/^batch 1: [\d.]+ tok\/s, /, "")})`);
console.log(`  reference / llama.cpp = ${(mine / l).toFixed(2)}`);
JS
done
