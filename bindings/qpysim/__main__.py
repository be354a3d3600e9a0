"""`qpysim ...` and `python -m qpysim ...`: the command line (parsed by CLI11 in C++)."""

import sys


def main(argv=None) -> int:
    from . import __version__, _core, _scenarios

    args = list(sys.argv if argv is None else argv)
    args[0] = "qpysim"
    stubs = _scenarios.package_dir() + "/stubs"

    def run(options: dict) -> int:
        from . import _runner

        # Only the command line itself re-runs its process (see _runner.run).
        return _runner.run(options, argv=args if argv is None else None)

    return _core.cli_main(args, run, _scenarios.scenario_dir(), __version__, stubs,
                          _scenarios.examples_dir())


if __name__ == "__main__":
    sys.exit(main())
