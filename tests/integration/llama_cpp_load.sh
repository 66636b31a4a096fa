#!/usr/bin/env bash
# Closing the loop with a real engine: writes a synthetic GGUF of each model with `moefit synth`,
# loads it in llama.cpp (node-llama-cpp's prebuilt CPU binaries), generates a few tokens, and
# compares llama.cpp's logged model buffer and KV cache sizes with `moefit fit`'s prediction for
# the same file and context (within 1%).
#
# Usage: llama_cpp_load.sh MOEFIT_BINARY [MODEL...]
#   MODEL defaults to mixtral-8x7b qwen3-235b-a22b deepseek-v3 kimi-k2.
# Environment: MOEFIT_NODE_CACHE (default $HOME/.cache/moefit-node) holds node-llama-cpp, installed
# on first use with npm; MOEFIT_SYNTH_BUDGET (default 128MiB); MOEFIT_SYNTH_LAYERS (default: the
# model's); MOEFIT_SYNTH_CTX (default 4096).
# Exits 77 (skipped) with a message when node/npm are missing or the npm registry is unreachable.
set -euo pipefail

moefit=${1:?usage: llama_cpp_load.sh MOEFIT_BINARY [MODEL...]}
shift
models=("$@")
[ ${#models[@]} -eq 0 ] && models=(mixtral-8x7b qwen3-235b-a22b deepseek-v3 kimi-k2)
cache=${MOEFIT_NODE_CACHE:-$HOME/.cache/moefit-node}
budget=${MOEFIT_SYNTH_BUDGET:-128MiB}
layers=()
[ -n "${MOEFIT_SYNTH_LAYERS:-}" ] && layers=(--layers "$MOEFIT_SYNTH_LAYERS")
ctx=${MOEFIT_SYNTH_CTX:-4096}
here=$(cd "$(dirname "$0")" && pwd)

skip() { echo "skipped: $*"; exit 77; }

command -v node >/dev/null || skip "node is not installed"
command -v npm >/dev/null || skip "npm is not installed"
if [ ! -d "$cache/node_modules/node-llama-cpp" ] || [ ! -d "$cache/node_modules/@node-llama-cpp/linux-x64" ]; then
    timeout 20 npm view node-llama-cpp version >/dev/null 2>&1 || skip "the npm registry is not reachable"
    mkdir -p "$cache"
    [ -f "$cache/package.json" ] || echo '{"name": "moefit-node-cache", "private": true}' > "$cache/package.json"
    echo "installing node-llama-cpp into $cache"
    (cd "$cache" && timeout 300 npm install --omit=optional --no-audit --no-fund \
        node-llama-cpp @node-llama-cpp/linux-x64 >/dev/null 2>&1) || skip "npm install node-llama-cpp failed"
fi
# On CPUs with AMX, the CPU backend variant built for them (libggml-cpu-sapphirerapids.so in
# node-llama-cpp 3.22.1) moves Q8_0/Q4_0 weights into its own AMX buffer, another layout and size,
# so llama.cpp's model buffer is no longer the file's tensor bytes, and its DeepSeek-V3 and Kimi-K2
# graphs abort in ggml-backend.cpp (GGML_ASSERT(*cur_backend_id != -1)); node-llama-cpp offers no
# way to turn that off. ggml loads the best CPU variant present in its folder, so a copy of the
# cache without the variants that hold the AMX buffer type makes it take the best one without
# (on a Xeon VM with AMX and AVX-512 VNNI: all four models then match, 0.00-0.01%).
if grep -qw amx_tile /proc/cpuinfo 2>/dev/null; then
    noamx="$cache-noamx"
    if [ ! -d "$noamx" ] || [ "$cache/node_modules" -nt "$noamx" ]; then
        rm -rf "$noamx"
        cp -a "$cache" "$noamx"
        grep -l -a ggml_backend_amx_buffer_type "$noamx"/node_modules/@node-llama-cpp/*/bins/*/libggml-cpu-*.so \
            2>/dev/null | while read -r lib; do rm -f "$lib"; done || true
        touch "$noamx"
    fi
    ls "$noamx"/node_modules/@node-llama-cpp/*/bins/*/libggml-cpu-*.so >/dev/null 2>&1 ||
        skip "this CPU has AMX and node-llama-cpp has no CPU backend without AMX buffers"
    echo "this CPU has AMX: llama.cpp runs with its CPU backend variants that have no AMX buffer ($noamx)"
    cache=$noamx
fi
# The loader resolves node-llama-cpp from its own folder, so it runs from the cache.
cp "$here/llama_cpp_load.mjs" "$cache/llama_cpp_load.mjs"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
printf '%-18s %14s %14s %7s %14s %14s %7s %s\n' model "llama.cpp wts" "moefit wts" "diff" "llama.cpp KV" "moefit KV" "diff" tokens
for m in "${models[@]}"; do
    out="$work/$m"
    "$moefit" synth "$m" --budget "$budget" "${layers[@]}" --out "$out" >/dev/null
    gguf=$(ls "$out"/*.gguf)
    scheme=$(node -e 'console.log(require(process.argv[1]).scheme)' "$out/synth-manifest.json")
    "$moefit" fit "$gguf" --memory 1TiB --runtime llama.cpp --ctx "$ctx" --quant "$scheme" --json > "$out/fit.json"
    (cd "$cache" && timeout 300 node llama_cpp_load.mjs "$gguf" "$ctx") > "$out/llama.json" 2> "$out/llama.err" || {
        echo "$m: llama.cpp failed to load or run the synthetic GGUF:"; tail -5 "$out/llama.err"; status=1; continue; }
    node - "$m" "$out/fit.json" "$out/llama.json" <<'JS' || status=1
const [m, fitPath, llamaPath] = process.argv.slice(2);
const fit = require(fitPath), got = require(llamaPath);
const want = {w: fit.weights.total_bytes, kv: fit.kv.bytes_per_rank};
const diff = (a, b) => (100 * (a - b) / b);
const MiB = (x) => (x / 1048576).toFixed(2) + " MiB";
const dw = diff(got.model_buffer_bytes, want.w), dk = diff(got.kv_buffer_bytes, want.kv);
console.log(`${m.padEnd(18)} ${MiB(got.model_buffer_bytes).padStart(14)} ${MiB(want.w).padStart(14)} ` +
            `${dw.toFixed(2).padStart(6)}% ${MiB(got.kv_buffer_bytes).padStart(14)} ${MiB(want.kv).padStart(14)} ` +
            `${dk.toFixed(2).padStart(6)}% ${got.generated_tokens}`);
// llama.cpp logs MiB with two decimals: allow that rounding on top of 1%.
const ok = (g, w) => Math.abs(g - w) <= 0.01 * w + 0.005 * 1048576;
if (got.generated_tokens < 1 || !ok(got.model_buffer_bytes, want.w) || !ok(got.kv_buffer_bytes, want.kv)) {
    console.log(`${m}: llama.cpp and moefit differ by more than 1%`);
    process.exit(1);
}
JS
done
exit $status
