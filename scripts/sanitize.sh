#!/usr/bin/env bash
# Sanitizer gates (Linux; ASan with clang, TSan with gcc). Called by scripts/test.sh; runs alone too.
#
#   bash scripts/sanitize.sh asan   # ASan+UBSan build: ctest, then pytest on that extension
#   bash scripts/sanitize.sh tsan   # TSan build: ctest, then the threaded pytest tests
#
# The Python suite runs on the stock CPython with the sanitizer runtime
# preloaded and the sanitized qpysim._core put first on the path
# (build/<preset>/py/qpysim: the package sources plus that extension).
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:?usage: sanitize.sh asan|tsan}
jobs=${QPYSIM_JOBS:-2}
py=$PWD/.venv/bin/python

echo "== $preset: build"
cmake --preset "$preset" -DQPYSIM_PYTHON=ON \
  -Dpybind11_DIR="$("$py" -m pybind11 --cmakedir)" -DPython_EXECUTABLE="$py" >/dev/null
cmake --build --preset "$preset" -j "$jobs"

echo "== $preset: C++ tests (ctest)"
ctest --preset "$preset" -j "$jobs"

# The package with the sanitized extension in it.
pkg=build/$preset/py/qpysim
rm -rf "build/$preset/py"
mkdir -p "$pkg"
cp -r bindings/qpysim/. "$pkg/"
rm -f "$pkg"/_core*.so
cp -r scenarios "$pkg/scenarios"   # as the wheel installs them
cp -r examples "$pkg/examples"
cp build/"$preset"/bindings/qpysim/_core*.so "$pkg/"
# The editable install redirects `import qpysim` to its own build; take its
# finder out so the sanitized package on PYTHONPATH is the one imported.
cat > "build/$preset/py/sitecustomize.py" <<'PY'
import sys
sys.meta_path[:] = [f for f in sys.meta_path if "ScikitBuild" not in type(f).__name__]
PY

export PYTHONPATH=$PWD/build/$preset/py
export PYTHONMALLOC=malloc              # let the sanitizer see Python's allocations
case "$preset" in
  asan)
    export LD_PRELOAD=$(clang++ -print-file-name=libclang_rt.asan-x86_64.so)
    # CPython keeps its interned objects for the process lifetime: no leak checks.
    export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:strict_init_order=1:detect_stack_use_after_return=0
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    echo "== asan: Python tests (pytest, without the slow soak)"
    "$py" -c "import qpysim._core as c, sys; assert c.__file__.startswith('$PWD/build/'), c.__file__"
    "$py" -m pytest -q -p no:cacheprovider -m "not slow" -x
    ;;
  tsan)
    # gcc's shared runtime: clang 14's crashes when preloaded into CPython.
    export LD_PRELOAD=$(g++ -print-file-name=libtsan.so)
    export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp"
    echo "== tsan: threaded Python tests (device threads, GIL release, the io thread, the spin watch)"
    "$py" -c "import qpysim._core as c, sys; assert c.__file__.startswith('$PWD/build/'), c.__file__"
    "$py" -m pytest -q -p no:cacheprovider -x \
      tests/python/test_runtime.py tests/python/test_socket.py tests/python/test_stateful.py \
      tests/python/test_fault_proxy.py tests/python/test_device_time.py
    ;;
  *) echo "sanitize.sh: unknown preset '$preset' (asan or tsan)" >&2; exit 2 ;;
esac
