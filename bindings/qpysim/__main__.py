"""`qpysim ...` and `python -m qpysim ...`: the command line (parsed by CLI11 in C++)."""

import sys


def main(argv=None) -> int:
    from pathlib import Path

    from . import __version__, _core, _runner

    args = list(sys.argv if argv is None else argv)
    args[0] = "qpysim"
    stubs = str(Path(__file__).resolve().parent / "stubs")
    return _core.cli_main(args, _runner.run, _runner.scenario_dir(), __version__, stubs)


if __name__ == "__main__":
    sys.exit(main())
