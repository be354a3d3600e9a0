"""Scenario timelines (at, every, after, for, jitter, probability, count), reboots
that carry scenario time on, the shipped scenarios, and byte-identical replay."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from device_run import run_device

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).with_name("qpysim")
# The fault scenarios (the others are run against their own examples in test_apps.py).
SHIPPED = ["quickstart", "flaky-cell", "coverage-loss", "pdp-flap", "dns-outage",
           "nat-idle-expiry", "slow-2g", "server-reset", "socket-exhaustion", "airplane-mode"]

BASE = """
hosts:
  iot.qpysim.test:
    7: echo
"""


def qpysim(*args, timeout=120):
    return subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


def run_script(tmp_path, scen, script, *args, trace=None, extra=()):
    s = write(tmp_path, "s.yaml", BASE + textwrap.dedent(scen))
    m = write(tmp_path, "main.py", script)
    cmd = ["run", "--scenario", s, *extra]
    if trace:
        cmd += ["--trace", trace]
    r = qpysim(*cmd, m, *args)
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()


def faults_of(trace_path):
    return [json.loads(x) for x in Path(trace_path).read_text().splitlines()
            if json.loads(x)["ev"] == "fault"]


WATCH_PDP = """
import dataCall, utime
seen = []
dataCall.setCallback(lambda a: seen.append((utime.ticks_ms() // 1000, a[1])))
utime.sleep(%d)
print(seen)
"""


def test_at_and_for_apply_and_lift_at_the_given_device_times(tmp_path):
    out = run_script(tmp_path, """
        timeline:
          - {at: 10s, for: 5s, fault: pdp_down}
          - {at: 30s, for: 1m, fault: pdp_down}
    """, WATCH_PDP % 120)
    assert out == ["[(10, 0), (15, 1), (30, 0), (90, 1)]"]


def test_every_with_count_and_start(tmp_path):
    out = run_script(tmp_path, """
        timeline:
          - {every: 20s, start: 5s, count: 3, for: 2s, fault: pdp_down}
    """, WATCH_PDP % 120)
    assert out == ["[(5, 0), (7, 1), (25, 0), (27, 1), (45, 0), (47, 1)]"]


def test_every_jitter_moves_each_occurrence_within_its_bounds_and_depends_on_the_seed(tmp_path):
    scen = """
        timeline:
          - {every: 60s, jitter: 20s, count: 10, for: 1s, fault: pdp_down}
    """
    runs = {}
    for seed in (1, 2):
        out = run_script(tmp_path, scen, WATCH_PDP % 700, extra=["--seed", seed])
        downs = [t for t, state in eval(out[0]) if state == 0]
        assert len(downs) == 10
        for k, t in enumerate(downs):
            assert 60 * (k + 1) - 20 <= t <= 60 * (k + 1) + 20
        runs[seed] = downs
    assert runs[1] != runs[2]
    again = run_script(tmp_path, scen, WATCH_PDP % 700, extra=["--seed", 1])
    assert [t for t, s in eval(again[0]) if s == 0] == runs[1]


def test_probability_skips_some_occurrences_the_same_way_every_run(tmp_path):
    scen = """
        timeline:
          - {every: 10s, count: 40, probability: 0.5, for: 1s, fault: pdp_down}
    """
    first = run_script(tmp_path, scen, WATCH_PDP % 420, extra=["--seed", 3])
    n = len([1 for t, s in eval(first[0]) if s == 0])
    assert 10 <= n <= 30
    assert run_script(tmp_path, scen, WATCH_PDP % 420, extra=["--seed", 3]) == first


def test_after_an_event_and_after_another_entry_is_lifted(tmp_path):
    trace = tmp_path / "t.jsonl"
    run_script(tmp_path, """
        timeline:
          - {name: first, after: connect, delay: 2s, for: 3s, fault: {kind: signal, csq: 4}}
          - {name: second, after: first.lifted, delay: 1s, fault: {kind: signal, csq: 9}}
    """, """
        import usocket, utime
        utime.sleep(10)
        s = usocket.socket()
        s.connect(usocket.getaddrinfo('iot.qpysim.test', 7)[0][-1])
        utime.sleep(20)
    """, trace=trace)
    got = [(round(f["t"]), f["action"], f["name"]) for f in faults_of(trace)]
    assert got == [(12, "apply", "first"), (15, "lift", "first"), (16, "apply", "second")]


def test_after_fires_once_unless_count_says_otherwise(tmp_path):
    trace = tmp_path / "t.jsonl"
    run_script(tmp_path, """
        timeline:
          - {name: once, after: dns, fault: {kind: signal, csq: 3}}
          - {name: always, after: dns, count: 0, for: 1s, fault: {kind: signal, csq: 2}}
    """, """
        import usocket, utime
        for i in range(3):
            usocket.getaddrinfo('iot.qpysim.test', 7)
            utime.sleep(5)
    """, trace=trace)
    names = [f["name"] for f in faults_of(trace) if f["action"] == "apply"]
    assert names.count("once") == 1 and names.count("always") == 3


def test_a_timeline_reboot_restarts_the_script_and_scenario_time_carries_on(tmp_path):
    trace = tmp_path / "t.jsonl"
    out = run_script(tmp_path, """
        timeline:
          - {at: 5s, fault: reboot}
          - {at: 3s, for: 10s, fault: coverage_loss}
    """, """
        import misc, net, utime
        print('boot', misc.Power.powerOnReason(), net.getState()[1][0])
        utime.sleep(4)
        print('t+4', net.getState()[1][0])
        utime.sleep(20)
        print('t+24', net.getState()[1][0])
    """, trace=trace)
    # Boot 1: registered, then coverage lost at 3 s. The reboot at 5 s: boot 2
    # starts at scenario time 5 s, still without coverage until 13 s (local 8
    # s) and 2 s to register; the reboot does not happen again.
    assert out == ["boot 1 1", "t+4 2", "boot 2 2", "t+4 2", "t+24 1"]
    lines = [json.loads(x) for x in trace.read_text().splitlines()]
    boots = [x for x in lines if x["ev"] == "power_on"]
    assert [b["scenario_time"] for b in boots] == ["0.000000", "5.000000"]


def test_a_reboot_loop_from_the_timeline_stops_at_max_restarts(tmp_path):
    s = write(tmp_path, "s.yaml", BASE + "timeline:\n  - {every: 10s, fault: reboot}\n")
    m = write(tmp_path, "main.py", "import utime\nutime.sleep(3600)\n")
    r = qpysim("run", "--scenario", s, "--max-restarts", "2", m)
    assert r.returncode == 1
    assert "the module restarted 3 times; giving up" in r.stderr


# ---------------------------------------------------------------- shipped scenarios


@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml")))
def test_every_shipped_scenario_checks_and_is_listed_with_its_description(name):
    r = qpysim("check", ROOT / "scenarios" / f"{name}.yaml")
    assert r.returncode == 0, r.stdout + r.stderr
    listing = qpysim("scenarios").stdout
    assert name in listing


@pytest.mark.parametrize("name", [n for n in SHIPPED if n != "quickstart"])
def test_the_heartbeat_app_survives_every_fault_scenario(name):
    r = qpysim("run", "--scenario", ROOT / "scenarios" / f"{name}.yaml",
               ROOT / "examples" / "heartbeat.py")
    assert r.returncode == 0, r.stderr
    summary = r.stdout.splitlines()[-1]
    assert summary.startswith("heartbeats "), summary
    answered, sent = summary.split()[1].split("/")
    assert int(answered) >= 0.9 * int(sent)


def test_nat_idle_expiry_breaks_slow_heartbeats_and_keepalive_fixes_them():
    scen = ROOT / "scenarios" / "nat-idle-expiry.yaml"
    app = ROOT / "examples" / "heartbeat.py"
    slow = qpysim("run", "--scenario", scen, app, 420).stdout.splitlines()[-1]
    kept = qpysim("run", "--scenario", scen, app, 420, 3600, 2).stdout.splitlines()[-1]
    assert "errors: 110" in slow
    assert kept.endswith("errors: none")


@pytest.mark.parametrize("name,args", [("nat-idle-expiry", ["420"]), ("pdp-flap", [])])
def test_scenarios_replay_byte_identically_from_a_seed(tmp_path, name, args):
    scen = ROOT / "scenarios" / f"{name}.yaml"
    app = ROOT / "examples" / "heartbeat.py"

    def trace(seed, i):
        t = tmp_path / f"{seed}-{i}.jsonl"
        r = qpysim("run", "--scenario", scen, "--seed", seed, "--trace", t, app, *args)
        assert r.returncode == 0, r.stderr
        return t.read_bytes()

    first = trace(21, 0)
    assert b'"ev":"fault"' in first and b'"ev":"link"' in first or b'"pdp"' in first
    assert all(trace(21, i) == first for i in (1, 2))
    assert trace(22, 0) != first


CALLBACK_APP = """
    import dataCall, utime
    def cb(args):
        print("pdp", args[0], args[1], "at", utime.ticks_ms())
    dataCall.setCallback(cb)
    print("registered")
"""


@pytest.mark.parametrize("clock", ["virtual", "real"])
def test_a_script_that_returns_keeps_its_callbacks_while_events_are_ahead(tmp_path, capsys,
                                                                         clock):
    # The module does not stop when main.py returns: the data call the
    # scenario drops at 1 s, and the reconnect after the fault lifts, reach
    # the callback; then nothing is left that could call it and the run ends.
    scen = tmp_path / "drop.yaml"
    scen.write_text("timeline:\n  - at: 1s\n    for: 1s\n    fault: pdp_down\n")
    result, out, err, dev = run_device(tmp_path, capsys, CALLBACK_APP, clock=clock,
                                       scenario=str(scen))
    assert result.status == 0, err
    assert result.reason == ("the script ended, and no event was left that could call its"
                             " callbacks")
    lines = out.splitlines()
    assert lines[0] == "registered"
    assert [line.rsplit(" ", 1)[0] for line in lines[1:]] == ["pdp 1 0 at", "pdp 1 1 at"]
    down, up = (int(line.rsplit(" ", 1)[1]) for line in lines[1:])
    if clock == "virtual":
        assert (down, up) == (1000, 2300)  # the lift at 2 s, then 300 ms to come back
    else:
        assert 1000 <= down < 1500 and 2300 <= up < 3000
    assert "the module runs on for its callbacks" in err


def test_a_script_without_callbacks_still_ends_when_it_returns(tmp_path, capsys):
    scen = tmp_path / "drop.yaml"
    scen.write_text("timeline:\n  - at: 1s\n    for: 1s\n    fault: pdp_down\n")
    result, out, err, dev = run_device(tmp_path, capsys, "print('bye')\n", scenario=str(scen))
    assert result.status == 0 and result.reason == "the script ended"
    assert dev.modem.now() == 0.0
