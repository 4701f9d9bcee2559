#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for SECONDS each with a fixed seed, from the checked-in seed corpus.
#   cmake --preset fuzz && cmake --build --preset fuzz && bash tests/fuzz/run.sh 600
#   bash tests/fuzz/run.sh 60 npy idx
# New inputs that widen coverage go to build/fuzz/corpus/<target> (kept between runs; the checked-in seeds stay
# as they are). A finding stops with a non-zero exit and leaves the input in build/fuzz/artifacts/<target>/;
# minimize it with the target's binary and -minimize_crash=1, and add it to tests/fuzz/regressions/<target>/.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds="${1:-60}"
shift || true
all=(config_json keras_archive weights_h5 legacy_h5 npy idx)
names=("$@")
[ ${#names[@]} -gt 0 ] || names=("${all[@]}")

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
status=0
for name in "${names[@]}"; do
  binary="build/fuzz/tests/fuzz/kiln_fuzz_${name}"
  [ -x "$binary" ] || { echo "run.sh: $binary is missing; build the fuzz preset first" >&2; exit 2; }
  work="build/fuzz/corpus/${name}"
  artifacts="build/fuzz/artifacts/${name}/"
  mkdir -p "$work" "$artifacts"
  echo "fuzz ${name}: ${seconds} s"
  # libFuzzer prints a line per new coverage point; its last lines and any report are what matter here.
  if ! "$binary" "$work" "tests/fuzz/corpus/${name}" -seed=1 -max_total_time="$seconds" -timeout=30 \
      -rss_limit_mb=4096 -malloc_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
      -artifact_prefix="$artifacts" >"build/fuzz/${name}.log" 2>&1; then
    tail -n 60 "build/fuzz/${name}.log"
    echo "fuzz ${name}: FINDING, input in ${artifacts}" >&2
    status=1
  else
    grep -E "^stat::number_of_executed_units|^Done" "build/fuzz/${name}.log" | tr '\n' ' '
    echo
  fi
done
exit "$status"
