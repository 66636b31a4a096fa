#!/usr/bin/env bash
# One command on a fresh Debian 12 machine: install what is missing, build, run the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target moefit
echo
echo "\$ moefit inspect deepseek-v3"
./build/moefit inspect deepseek-v3
