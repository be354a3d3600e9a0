#!/usr/bin/env bash
# Set up qpysim on a Debian/Ubuntu machine: system packages, a virtual
# environment in .venv with qpysim built and installed in it (editable), then
# run an example device script offline.
#
#   bash scripts/setup.sh                  # set up and run the example
#   bash scripts/setup.sh --no-run         # set up only
#   bash scripts/setup.sh --no-run --test  # and the tools only the test gates need
#                                          # (clang, sanitizer runtimes, GoogleTest,
#                                          # mosquitto, tshark): scripts/test.sh does this
#
# Installing Debian packages needs root: run as root, or have sudo. Nothing is
# installed when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

run=1
packages=(
  build-essential cmake ninja-build pkg-config git
  python3-dev python3-venv
  libboost-dev libspdlog-dev libcli11-dev libyaml-cpp-dev libssl-dev
)
for arg in "$@"; do
  case "$arg" in
    --no-run) run=0 ;;
    --test) packages+=(libgtest-dev clang clang-format libclang-rt-14-dev mosquitto tshark) ;;
    *) echo "qpysim: setup.sh: unknown option '$arg' (it takes --no-run and --test)" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "qpysim: installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  elif command -v sudo >/dev/null 2>&1; then
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "qpysim: these Debian packages are missing and installing them needs root:" >&2
    echo "  apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "qpysim: creating .venv with $($python --version)"
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# The build backend (scikit-build-core, pybind11) comes from PyPI; the editable
# install rebuilds the extension in build/<wheel tag> when C++ changes.
.venv/bin/python -m pip install -q scikit-build-core pybind11 cmake ninja
echo "qpysim: building the C++ core and installing qpysim in .venv (a few minutes the first time)"
.venv/bin/python -m pip install -q --no-build-isolation -e ".[test]"

if [ "$run" = 1 ]; then
  echo "qpysim: running QuecPython's socket example offline (examples/quickstart.py)"
  .venv/bin/qpysim run --scenario scenarios/quickstart.yaml examples/quickstart.py --timeout 600
fi
