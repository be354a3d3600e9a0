"""`qpysim run`: build the module the command line describes and run the script."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from . import _boot, _core
from ._progress import Progress
from ._scenarios import scenario_dir  # noqa: F401 (the CLI's hook)
from ._runtime import REASON_INTERRUPTED, REASON_RESTART, REASON_TERMINATED, Device, Terminated


def _say(verbosity: int, text: str) -> None:
    if verbosity >= 0:
        sys.stderr.write(f"qpysim: {text}\n")
        sys.stderr.flush()


def _power_on_pdp(options: dict, stored) -> list:
    """The data calls this boot starts and the contexts the last one stored."""
    root = Path(options["fs"]) if options.get("fs") else Path(options["script"]).resolve().parent
    try:
        return _boot.power_on_pdp(root, stored)
    except ValueError as e:
        # The firmware's _boot.py raises this at power-on: no data call starts.
        sys.stderr.write(f"qpysim: note: /usr/{_boot.CONFIG_NAME}: {e} The firmware's "
                         f"_boot.py raises this at power-on; no data call is started.\n")
        return [dict(ctx, active=False) for ctx in _boot.power_on_pdp(None, stored)] or \
            [{"id": p, "active": False} for p in _boot.PROFILES]


def _modem(options: dict, boot: int, rtc=None, offset=None, pdp=None) -> "_core.Modem":
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
        power_on_reason=2 if boot > 0 else 1,
        boot_count=boot,
        timeline_offset=offset,
        pdp=pdp,
    )


def _on_sigterm(signum, frame):
    raise Terminated()


def run(options: dict) -> int:
    """`qpysim run`: Ctrl-C ends it with 130 and SIGTERM with 143, the module
    halted and the trace complete, whatever the device threads are doing."""
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if in_main else None
    try:
        return _run(options)
    except KeyboardInterrupt as e:  # between boots, or while a module powers on
        status = 143 if isinstance(e, Terminated) else 130
        sys.stderr.write(f"qpysim: {REASON_TERMINATED if status == 143 else REASON_INTERRUPTED}"
                         f" (exit {status})\n")
        return status
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)


def _run(options: dict) -> int:
    if options.get("check_replay"):
        from ._replay import check_replay
        return check_replay(options)
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
    verbosity = options.get("verbosity", 0)
    _core.set_log_verbosity(verbosity)
    max_restarts = options.get("max_restarts", 5)
    boot = 0
    rtc = None
    offset = None
    expect = list(options.get("expect") or ())  # what no boot has printed yet
    stored = None  # the PDP contexts in the module's NV, from the last boot
    while True:
        try:
            modem = _modem(options, boot, rtc, offset, _power_on_pdp(options, stored))
        except ValueError as e:
            sys.stderr.write(f"qpysim: {e}\n")
            return 2
        if boot == 0:
            _say(verbosity, f"{modem.profile.model} ({modem.dialect.name}), {modem.clock} time, "
                            f"seed {modem.seed}")
            if options.get("tls_ca"):
                try:
                    Path(options["tls_ca"]).write_text(modem.tls_ca())
                except OSError as e:
                    sys.stderr.write(f"qpysim: --tls-ca: cannot write {options['tls_ca']}: "
                                     f"{e.strerror or e}\n")
                    return 2
        if progress is not None:
            progress.modem = modem
        device = Device(modem, fs=options.get("fs"))
        result = device.run(
            options["script"],
            options.get("args") or (),
            expect=expect,
            fail_text=options.get("fail_text") or (),
            timeout=options.get("timeout"),
        )
        scenario_reboot = result.reason.startswith(_core.REBOOT_REASON)
        if result.reason != REASON_RESTART and not scenario_reboot:
            break
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
        _say(verbosity, f"{'the scenario rebooted the module' if scenario_reboot else 'module restarted by the script'} "
                        f"(reboot {boot}, scenario time {offset:.3f} s)")
    if result.status != 0 or verbosity > 0:
        _say(verbosity, f"{result.reason} (exit {result.status}, device time {modem.now():.3f} s)")
    return result.status
