"""`qpysim run`: build the module the command line describes and run the script."""

from __future__ import annotations

import _signal  # `signal` without its enum wrappers: 1.3 ms of every start-up
import os
import sys
import threading

from . import _boot, _core
from ._result import (REASON_INTERRUPTED, REASON_RESTART, REASON_TERMINATED, REASON_WATCHDOG,
                      Terminated)

# misc.Power.powerOnReason() after each kind of reboot: 2 a reset, 5 the
# watchdog (QuecPython's misc documentation: "5 - reboot by the watchdog").
_POWER_ON_REASON = {REASON_WATCHDOG: 5}


def _say(verbosity: int, text: str) -> None:
    if verbosity >= 0:
        sys.stderr.write(f"qpysim: {text}\n")
        sys.stderr.flush()


def _power_on_pdp(options: dict, stored) -> list:
    """The data calls this boot starts and the contexts the last one stored."""
    root = options.get("fs") or os.path.dirname(os.path.realpath(options["script"]))
    try:
        return _boot.power_on_pdp(root, stored)
    except ValueError as e:
        # The firmware's _boot.py raises this at power-on: no data call starts.
        sys.stderr.write(f"qpysim: note: /usr/{_boot.CONFIG_NAME}: {e} The firmware's "
                         f"_boot.py raises this at power-on; no data call is started.\n")
        return [dict(ctx, active=False) for ctx in _boot.power_on_pdp(None, stored)] or \
            [{"id": p, "active": False} for p in _boot.PROFILES]


def _modem(options: dict, boot: int, rtc=None, offset=None, pdp=None,
           power_on_reason=None) -> "_core.Modem":
    clock = options.get("clock") or "auto"
    seed = options.get("seed")
    return _core.Modem(
        scenario=options.get("scenario"),
        clock=None if clock == "auto" else clock,
        module=options.get("module"),
        dialect=options.get("dialect"),
        seed=seed,
        trace=options.get("trace"),
        pcap=options.get("pcap"),
        trace_append=boot > 0,
        rtc=rtc,
        power_on_reason=power_on_reason or (2 if boot > 0 else 1),
        boot_count=boot,
        timeline_offset=offset,
        pdp=pdp,
    )


def _uart_bridges(options: dict) -> list:
    """[(port, bridge)] for the run's --uart N=SPEC options."""
    if not options.get("uart"):
        return []
    from ._uart import open_bridge, parse_uart_option

    parsed = [parse_uart_option(text) for text in options["uart"]]
    return [(port, open_bridge(spec)) for port, spec in parsed]


def _on_sigterm(signum, frame):
    raise Terminated()


def _fix_hash_seed(argv: list) -> None:
    """A run in virtual time re-runs its process with PYTHONHASHSEED=0. CPython
    salts str hashes per process, and a script iterating a set of strings must
    do it in the same order every run, as on the module, for the run to repeat
    from its seed. A real-time run is shaped by the PC's timing anyway and
    starts once, without the second interpreter."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    cmd = [sys.executable, "-c", "import sys; from qpysim.__main__ import main; sys.exit(main())",
           *argv[1:]]
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        os.execve(sys.executable, cmd, env)
    import subprocess

    sys.exit(subprocess.call(cmd, env=env))


def run(options: dict, argv: list = None) -> int:
    """`qpysim run`: Ctrl-C ends it with 130 and SIGTERM with 143, the module
    halted and the trace complete, whatever the device threads are doing.
    `argv` is the command line when this process may be re-run (see
    _fix_hash_seed)."""
    if argv is not None and options.get("clock") == "virtual" and \
            not options.get("check_replay") and os.environ.get("PYTHONHASHSEED") != "0":
        _fix_hash_seed(argv)
    in_main = threading.current_thread() is threading.main_thread()
    previous = _signal.signal(_signal.SIGTERM, _on_sigterm) if in_main else None
    try:
        return _run(options)
    except KeyboardInterrupt as e:  # between boots, or while a module powers on
        status = 143 if isinstance(e, Terminated) else 130
        sys.stderr.write(f"qpysim: {REASON_TERMINATED if status == 143 else REASON_INTERRUPTED}"
                         f" (exit {status})\n")
        return status
    finally:
        if in_main:
            _signal.signal(_signal.SIGTERM, previous)


def _run(options: dict) -> int:
    if options.get("check_replay"):
        from ._replay import check_replay
        return check_replay(options)
    from ._progress import Progress

    try:
        progress = Progress.for_run(options, sys.stderr)
    except ValueError as e:
        sys.stderr.write(f"qpysim: {e}\n")
        return 2
    if progress is None:
        return _boots(options, None)
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = progress.wrap(out), progress.wrap(err)
    try:
        return _boots(options, progress)
    finally:
        sys.stdout, sys.stderr = out, err
        progress.close()


def _boots(options: dict, progress) -> int:
    """Power the module on, run the script, and again after each reboot."""
    from ._runtime import Device

    verbosity = options.get("verbosity", 0)
    _core.set_log_verbosity(verbosity)
    max_restarts = options.get("max_restarts", 5)
    boot = 0
    rtc = None
    offset = None
    expect = list(options.get("expect") or ())  # what no boot has printed yet
    stored = None  # the PDP contexts in the module's NV, from the last boot
    reason_code = None  # what powerOnReason() says after this boot's reboot
    try:
        bridges = _uart_bridges(options)  # they outlive reboots
    except ValueError as e:
        sys.stderr.write(f"qpysim: --{e}\n")
        return 2
    while True:
        try:
            modem = _modem(options, boot, rtc, offset, _power_on_pdp(options, stored),
                           reason_code)
        except ValueError as e:
            sys.stderr.write(f"qpysim: {e}\n")
            return 2
        if boot == 0:
            _say(verbosity, f"{modem.profile.model} ({modem.dialect.name}), {modem.clock} time, "
                            f"seed {modem.seed}")
            if options.get("tls_ca"):
                try:
                    with open(options["tls_ca"], "w") as f:
                        f.write(modem.tls_ca())
                except OSError as e:
                    sys.stderr.write(f"qpysim: --tls-ca: cannot write {options['tls_ca']}: "
                                     f"{e.strerror or e}\n")
                    return 2
        if progress is not None:
            progress.modem = modem
        try:
            device = Device(modem, fs=options.get("fs"), stub=options.get("stub"))
            for port, bridge in bridges:
                bridge.attach(device, port)
                if boot == 0:
                    _say(verbosity, f"UART{port} is bridged to {bridge.address}")
        except ValueError as e:
            sys.stderr.write(f"qpysim: --{e}\n")
            return 2
        result = device.run(
            options["script"],
            options.get("args") or (),
            expect=expect,
            fail_text=options.get("fail_text") or (),
            timeout=options.get("timeout"),
        )
        scenario_reboot = result.reason.startswith(_core.REBOOT_REASON)
        if result.reason not in (REASON_RESTART, REASON_WATCHDOG) and not scenario_reboot:
            break
        reason_code = _POWER_ON_REASON.get(result.reason)
        expect = device.expect_pending
        # A reboot: fresh modules and sockets, the same filesystem, the RTC and
        # the scenario's timeline carrying on; the script starts again with
        # power-on reason 2.
        boot += 1
        rtc = int(_core.rtc_now(modem))
        offset = modem.scenario_time()
        stored = _core.cellular_state(modem)["pdp"]
        del device, modem
        if boot > max_restarts:
            _say(0, f"the module restarted {boot} times; giving up "
                    f"(limit: --max-restarts {max_restarts})")
            return 1
        said = ("the scenario rebooted the module" if scenario_reboot else
                "the watchdog restarted the module" if reason_code == 5 else
                "module restarted by the script")
        _say(verbosity, f"{said} "
                        f"(reboot {boot}, scenario time {offset:.3f} s)")
    if result.status != 0 or verbosity > 0:
        _say(verbosity, f"{result.reason} (exit {result.status}, device time {modem.now():.3f} s)")
    return result.status
