"""`qpysim run --check-replay`: run the same script, scenario and seed twice and
say whether the two traces are the same, byte for byte, or where they first part.

Each run is its own `qpysim run` process (a fresh interpreter, PYTHONHASHSEED=0),
as a CI job would run it. The first run's output is the user's to see; the
second's is kept only to show it when the two differ.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def _argv(options: dict, trace: str) -> list[str]:
    """The `qpysim run` command line of `options`, writing its trace to `trace`."""
    a = ["run", "--trace", trace, "--clock", options.get("clock") or "auto",
         "--max-restarts", str(options.get("max_restarts", 5))]
    for key, flag in (("scenario", "--scenario"), ("seed", "--seed"), ("fs", "--fs"),
                      ("timeout", "--timeout"), ("module", "--module"),
                      ("dialect", "--dialect"), ("tls_ca", "--tls-ca")):
        if options.get(key) is not None:
            a += [flag, str(options[key])]
    for text in options.get("expect") or ():
        a += ["--expect", text]
    for text in options.get("fail_text") or ():
        a += ["--fail-text", text]
    for name in options.get("stub") or ():
        a += ["--stub", name]
    for spec in options.get("uart") or ():
        a += ["--uart", spec]
    verbosity = options.get("verbosity", 0)
    a += ["-v"] * max(verbosity, 0) + ["-q"] * max(-verbosity, 0)
    a.append(options["script"])
    if options.get("args"):
        a += ["--", *options["args"]]
    return a


def _clock_of(lines: list[str]) -> str:
    try:
        return json.loads(lines[0]).get("clock", "")
    except (IndexError, ValueError):
        return ""


def check_replay(options: dict) -> int:
    env = dict(os.environ, PYTHONHASHSEED="0")
    with tempfile.TemporaryDirectory(prefix="qpysim-replay-") as tmp:
        traces = [str(Path(tmp) / f"run{n}.jsonl") for n in (1, 2)]
        cmd = [sys.executable, "-m", "qpysim"]
        sys.stdout.flush()
        sys.stderr.flush()
        first = subprocess.run(cmd + _argv(options, traces[0]), env=env)
        second = subprocess.run(cmd + _argv(options, traces[1]), env=env,
                                capture_output=True, text=True)
        if options.get("trace"):
            shutil.copyfile(traces[0], options["trace"])
        runs = []
        for path in traces:
            try:
                runs.append(Path(path).read_text(encoding="utf-8").splitlines())
            except OSError:
                runs.append([])
    say = sys.stderr.write
    status = f"run 1 exit {first.returncode}, run 2 exit {second.returncode}"
    if not runs[0] and not runs[1]:
        say(f"qpysim: replay check: no trace was written ({status})\n")
        return first.returncode if first.returncode != 0 else 2
    for n, (a, b) in enumerate(zip(runs[0], runs[1]), start=1):
        if a != b:
            break
    else:
        if len(runs[0]) == len(runs[1]):
            if first.returncode == second.returncode:
                say(f"qpysim: replay check: the two runs are identical ({len(runs[0])} trace"
                    f" lines, {status})\n")
                return 0
            say(f"qpysim: replay check: the traces are identical but the exit statuses"
                f" differ ({status})\n")
            return 1
        n = min(len(runs[0]), len(runs[1])) + 1
    a = runs[0][n - 1] if n <= len(runs[0]) else "(the trace ended)"
    b = runs[1][n - 1] if n <= len(runs[1]) else "(the trace ended)"
    say(f"qpysim: replay check: the runs differ ({status}); first at trace line {n}:\n"
        f"  run 1: {a}\n  run 2: {b}\n")
    if _clock_of(runs[0]) == "real":
        say("qpysim: note: this run was in real time, where the PC's timing shapes the trace;"
            " replay is exact in virtual time (--clock virtual)\n")
    if second.stderr:
        say("qpysim: run 2 said:\n" + "".join(f"  {line}\n" for line in
                                             second.stderr.splitlines()[-20:]))
    return 1
