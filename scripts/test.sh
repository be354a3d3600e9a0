#!/usr/bin/env bash
# Run every test: the C++ suite (ctest) and the Python suite (pytest), after
# making sure the machine is set up (scripts/setup.sh --no-run is idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${QPYSIM_JOBS:-2}

bash scripts/setup.sh --no-run

echo "== C++ build and tests (ctest)"
cmake --preset default >/dev/null
cmake --build --preset default -j "$jobs"
ctest --preset default -j "$jobs"

echo "== Python tests (pytest)"
.venv/bin/python -m pytest -q
