#!/usr/bin/env bash
# libFuzzer runs of the scenario parser, the TCP state machine and the socket API (clang,
# ASan+UBSan), from the seed corpus in tests/fuzz/corpus (plus the shipped
# scenarios for the parser). New inputs go to build/fuzz/corpus-*, never into
# the repository; a crash leaves its input in build/fuzz/ and fails the run.
#
#   bash scripts/fuzz.sh            # CI: 60 s per target
#   FUZZ_SECONDS=3600 bash scripts/fuzz.sh   # a longer hunt
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
jobs=${QPYSIM_JOBS:-2}

echo "== fuzz: build"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$jobs"

export ASAN_OPTIONS=abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run() {
  # run TARGET SEED_DIR... -- OPTIONS...: the first corpus directory given to
  # libFuzzer is where it writes, so build/fuzz/corpus-TARGET always comes first.
  local target=$1; shift
  local seeds=() opts=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do seeds+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  opts=("$@")
  local out=build/fuzz/corpus-$target log=build/fuzz/$target.log rc=0
  mkdir -p "$out"
  echo "== fuzz: $target for ${seconds}s"
  "build/fuzz/tests/fuzz/$target" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="build/fuzz/$target-" "${opts[@]}" "$out" "${seeds[@]}" >"$log" 2>&1 || rc=$?
  grep -E "^(#[0-9]+ *DONE|stat::number_of_executed_units|stat::new_units_added)" "$log" || true
  if [ "$rc" -ne 0 ]; then
    tail -n 60 "$log"
    echo "fuzz: $target found a failure (exit $rc); its input is in build/fuzz/$target-*" >&2
  fi
  return "$rc"
}
# A parse that takes seconds or a gigabyte (an alias bomb that got through) is a finding.
run fuzz_scenario tests/fuzz/corpus/scenario scenarios -- -dict=tests/fuzz/scenario.dict -max_len=4096 \
  -timeout=10 -rss_limit_mb=1024
run fuzz_tcp tests/fuzz/corpus/tcp -- -max_len=512
# The device-facing socket API: programs of calls with odd hosts, ports and sizes.
run fuzz_socket tests/fuzz/corpus/socket -- -max_len=512 -timeout=10 -rss_limit_mb=2048
