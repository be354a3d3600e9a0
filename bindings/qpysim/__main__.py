"""`qpysim ...` and `python -m qpysim ...`: the command line (parsed by CLI11 in C++)."""

import sys


def _fixed_hash_seed(args) -> None:
    """`qpysim run` re-runs itself with PYTHONHASHSEED=0: CPython salts str hashes
    per process, and a device script iterating a set of strings must do it in the
    same order every run, as on the module, for a run to repeat from its seed."""
    import os
    import subprocess

    if os.environ.get("PYTHONHASHSEED") == "0" or "run" not in args[1:2]:
        return
    env = dict(os.environ, PYTHONHASHSEED="0")
    cmd = [sys.executable, "-m", "qpysim", *args[1:]]
    if os.name == "posix":
        os.execve(sys.executable, cmd, env)
    sys.exit(subprocess.call(cmd, env=env))


def main(argv=None) -> int:
    from pathlib import Path

    from . import __version__, _core, _runner, _scenarios

    args = list(sys.argv if argv is None else argv)
    if argv is None:
        _fixed_hash_seed(args)
    args[0] = "qpysim"
    stubs = str(Path(__file__).resolve().parent / "stubs")
    return _core.cli_main(args, _runner.run, _scenarios.scenario_dir(), __version__, stubs,
                          _scenarios.examples_dir())


if __name__ == "__main__":
    sys.exit(main())
