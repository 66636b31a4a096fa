#!/usr/bin/env bash
# Runs one golden CLI case: BINARY CASE_DIR.
# CASE_DIR/args   the arguments, one per line. The command runs in an empty temporary folder
#                 where "case" links to CASE_DIR, so write "case/spec.toml" for a fixture and
#                 messages show that relative path on every machine.
# CASE_DIR/stdout, CASE_DIR/stderr, CASE_DIR/exit   what is expected (missing stdout/stderr = empty, exit = 0)
# With MOEFIT_UPDATE_GOLDEN=1 the expected files are rewritten from the actual run.
set -u
bin=$1
case_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

args=()
while IFS= read -r line || [ -n "$line" ]; do
  args+=("$line")
done < "$case_dir/args"

mkdir "$work/run"
ln -s "$case_dir" "$work/run/case"
cd "$work/run" || exit 2
COLUMNS=100 NO_COLOR=1 "$bin" "${args[@]}" >"$work/stdout" 2>"$work/stderr" </dev/null
status=$?
echo "$status" >"$work/exit"

if [ "${MOEFIT_UPDATE_GOLDEN:-0}" = 1 ]; then
  for f in stdout stderr; do
    if [ -s "$work/$f" ]; then cp "$work/$f" "$case_dir/$f"; else rm -f "$case_dir/$f"; fi
  done
  if [ "$status" = 0 ]; then rm -f "$case_dir/exit"; else cp "$work/exit" "$case_dir/exit"; fi
  echo "updated $case_dir"
  exit 0
fi

fail=0
for f in stdout stderr; do
  expected="$case_dir/$f"
  [ -f "$expected" ] || expected=/dev/null
  if ! diff -u "$expected" "$work/$f" >"$work/$f.diff"; then
    echo "--- $f differs for $(basename "$case_dir"):"
    cat "$work/$f.diff"
    fail=1
  fi
done
expected_exit=0
[ -f "$case_dir/exit" ] && expected_exit=$(cat "$case_dir/exit")
if [ "$status" != "$expected_exit" ]; then
  echo "--- exit status $status, expected $expected_exit"
  fail=1
fi
exit $fail
