#!/usr/bin/env bash
# Run every test and gate, as CI does (.ci/run calls this):
#   1. clang-format: any diff fails
#   2. -Werror build, C++ suite (ctest), Python suite (pytest, with the soak)
#   3. ASan+UBSan build: ctest and pytest on the sanitized extension
#   4. TSan build: ctest and the threaded pytest tests
#   5. libFuzzer: scenario parser and TCP state machine, 60 s each
#   6. the wheel: built, auditwheel-repaired, installed in a fresh venv, and
#      examples/ci's tests run from it (scripts/wheel.sh --check)
# after making sure the machine is set up with the test tools
# (scripts/setup.sh --no-run --test is idempotent).
# QPYSIM_QUICK=1 stops after step 2 (a quick local check).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${QPYSIM_JOBS:-2}
export QPYSIM_JOBS=$jobs
start=$SECONDS
stamp() { echo "   ($((SECONDS - start)) s so far)"; }

bash scripts/setup.sh --no-run --test

echo "== clang-format (fails on any diff)"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t sources < <(git ls-files '*.cpp' '*.hpp')
else
  mapfile -t sources < <(find emulator bindings cli tests -name '*.cpp' -o -name '*.hpp')
fi
clang-format --dry-run --Werror "${sources[@]}"

echo "== C++ build and tests (ctest)"
cmake --preset default >/dev/null
cmake --build --preset default -j "$jobs"
ctest --preset default -j "$jobs"
stamp

echo "== Python tests (pytest)"
.venv/bin/python -m pytest -q
stamp
if [ "${QPYSIM_QUICK:-0}" = 1 ]; then exit 0; fi

bash scripts/wheel.sh --check
stamp
bash scripts/sanitize.sh asan
stamp
bash scripts/sanitize.sh tsan
stamp
bash scripts/fuzz.sh
stamp
echo "== all gates passed in $((SECONDS - start)) s"
