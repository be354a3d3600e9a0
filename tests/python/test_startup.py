"""Start-up of `qpysim run`: what a run loads, and the second interpreter that
makes a virtual-time run repeat (bench/run.py has the timings)."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

BIN = Path(sys.executable).with_name("qpysim")

# Modules a `qpysim run` of a script that imports nothing has no use for: each
# costs 1-3 ms of every start, against ~9 ms for `python3 noop.py`.
NOT_FOR_NOOP = ("typing", "pathlib", "ast", "ctypes", "traceback", "tokenize", "enum", "json",
                "subprocess", "re", "qpysim.device")


def loaded_by(args, cwd):
    """The modules `python -X importtime -m qpysim ARGS` imports."""
    env = dict(os.environ, PYTHONHASHSEED="0")  # the process a virtual run ends up in
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "qpysim", *args],
                       capture_output=True, text=True, timeout=60, cwd=cwd, env=env)
    assert r.returncode == 0, r.stderr
    return {line.rsplit("|", 1)[1].strip() for line in r.stderr.splitlines()
            if line.startswith("import time:") and "|" in line}


def test_a_run_loads_only_what_the_script_needs(tmp_path):
    (tmp_path / "noop.py").write_text("pass\n")
    for clock in ("real", "virtual"):
        loaded = loaded_by(["run", "-q", "--clock", clock, "noop.py"], tmp_path)
        assert "qpysim._core" in loaded and "qpysim._runtime" in loaded
        assert not loaded & set(NOT_FOR_NOOP), (clock, sorted(loaded & set(NOT_FOR_NOOP)))


def test_import_qpysim_loads_the_runtime_when_first_used():
    code = textwrap.dedent("""
        import sys, qpysim
        before = "qpysim._runtime" in sys.modules
        dev = qpysim.Device(clock="virtual")
        print(before, "qpysim._runtime" in sys.modules, qpysim.Device.__name__,
              sorted(qpysim.__all__) == sorted(n for n in dir(qpysim) if n in qpysim.__all__))
        try:
            qpysim.NoSuchThing
        except AttributeError as e:
            print(e)
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["False True Device True",
                                     "module 'qpysim' has no attribute 'NoSuchThing'"]


SET_ORDER = """
words = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota"}
print(" ".join(words))
"""


def test_a_virtual_run_iterates_a_set_of_strings_in_one_order_whatever_the_shell(tmp_path):
    """CPython salts str hashes per process; `qpysim run` in virtual time runs
    its script with PYTHONHASHSEED=0 so a set iterates the same way every run.
    Three runs with three different salts in the environment agree."""
    (tmp_path / "main.py").write_text(SET_ORDER)
    orders = set()
    for salt in ("1", "2", "random"):
        env = dict(os.environ, PYTHONHASHSEED=salt)
        r = subprocess.run([str(BIN), "run", "-q", "--clock", "virtual", "main.py"],
                           capture_output=True, text=True, timeout=60, cwd=tmp_path, env=env)
        assert r.returncode == 0, r.stderr
        orders.add(r.stdout)
    assert len(orders) == 1, orders
    # The order is the one of PYTHONHASHSEED=0, the same on every PC.
    fixed = subprocess.run([sys.executable, "-c", SET_ORDER], capture_output=True, text=True,
                           timeout=60, env=dict(os.environ, PYTHONHASHSEED="0"))
    assert orders == {fixed.stdout}


def test_a_virtual_run_keeps_its_arguments_exit_status_and_output_across_the_second_start(
        tmp_path):
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        import sys
        print("args", sys.argv[1:])
        raise ValueError("bad reading")
    """))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
    r = subprocess.run([str(BIN), "run", "--clock", "virtual", "main.py", "--", "a b", "-x"],
                       capture_output=True, text=True, timeout=60, cwd=tmp_path, env=env)
    assert "args ['a b', '-x']" in r.stdout
    assert r.stderr.count("virtual time, seed 1") == 1, r.stderr  # one run, said once
    assert "ValueError: bad reading" in r.stderr
    assert r.returncode == 1, r.stderr
