"""The device runtime: one emulated module as a device script sees it.

A :class:`Device` owns a core ``Modem`` and the device's own instances of the
device modules (``usocket``, ``utime``, ``log``...). Device code (the script
and the files it imports from ``/usr``) runs with builtins whose ``__import__``
serves device modules first and whose ``open`` sees only the device's
filesystem, so ``import socket`` or ``import log`` in a device script never
touches CPython's modules of the same name, and nothing named like a device
module is ever put in ``sys.modules``.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import threading
import time
import types
from collections.abc import Callable, Iterable

from . import _core
from ._background import BackgroundMixin
from ._console import ConsoleMixin, _OutputWatch
from ._scenarios import find_scenario
from ._result import (REASON_CALLBACKS_DONE, REASON_EXPECT_MISSING,  # noqa: F401 (re-exported)
                      REASON_INTERRUPTED, REASON_POWER_DOWN, REASON_RESTART, REASON_SCRIPT_ENDED,
                      REASON_TERMINATED, REASON_TIME_LIMIT, DeviceRestart, RunResult, Terminated)
from ._absent import check_stubs
from ._peripherals import PeripheralsMixin
from ._faults import Faults
from ._fs import DeviceFS
from ._imports import ImportsMixin
from ._imports import current_device  # noqa: F401 (device modules import it from here)
from ._mpsource import compile_device, micropython_source, read_source  # noqa: F401
from ._peers import PeerConnection, PeersMixin, VirtualBroker, run_peer  # noqa: F401

DeviceHalt = _core.DeviceHalt

_PACKAGE_DIR = os.path.dirname(os.path.realpath(__file__))

# How long a device thread may keep running plain Python after the module halts.
_GRACE = 0.5


class _DeviceThread:
    __slots__ = ("ident", "name", "daemon", "thread", "ended")

    def __init__(self, name: str, daemon: bool):
        self.ident = 0
        self.name = name
        self.daemon = daemon
        self.thread: threading.Thread | None = None
        self.ended = False  # its function returned: the device no longer runs it


class Device(ImportsMixin, PeersMixin, ConsoleMixin, BackgroundMixin, PeripheralsMixin):
    """One emulated module: a core Modem plus the device modules a script imports."""

    def __init__(self, modem: _core.Modem | None = None, *, fs: str | None = None,
                 stub=None, **modem_options: object):
        self._stubs = check_stubs(stub)  # firmware modules given inert stand-ins
        self.modem = modem if modem is not None else _make_modem(modem_options)
        self.dialect = self.modem.dialect
        self.profile = self.modem.profile
        self.fs = DeviceFS(fs)
        self._modules: dict[str, object] = {}
        self._user_modules: dict[str, types.ModuleType] = {}
        self._main_module: types.ModuleType | None = None  # the running script
        self._import_lock = threading.RLock()
        self._builtins = self._make_builtins()
        self._console_init()
        self._background_init()
        self._stop: RunResult | None = None
        self._stop_lock = threading.Lock()
        self._threads: dict[int, _DeviceThread] = {}
        self._threads_lock = threading.Lock()
        self._run_over = threading.Event()  # set when run() returns
        self._ran_on = False  # the module ran on for callbacks after the script
        self._callbacks: dict[str, Callable] = {}
        self._dispatcher_started = False
        # Things that keep a device busy after its main script returns (osTimers).
        self._busy_timers = 0
        self.faults = Faults(self.modem)
        if threading.current_thread() is threading.main_thread():
            # Ctrl-C reaches the main thread when it blocks in a device call.
            self.modem.set_interrupt_check()

    # ------------------------------------------------------------------ modules

    def errno_of(self, core_error: str) -> tuple:
        """(number, name) this device raises for a core error ("timed_out"...)."""
        table = self.__dict__.get("_errno_table")
        if table is None:
            table = _core.errno_table(self.dialect.name, self.profile.model)
            self.__dict__["_errno_table"] = table
        number, name = table[core_error]
        return (number, name) if name else (number,)

    @property
    def busy_timers(self) -> int:
        return self._busy_timers

    @busy_timers.setter
    def busy_timers(self, n: int) -> None:
        # Running osTimers keep virtual time going when only daemons are left.
        self._busy_timers = n
        self.modem.set_busy(n)

    # ------------------------------------------------------------------ threads

    def start_thread(self, function: Callable, args: tuple = (), kwargs: dict | None = None,
                     *, name: str | None = None, daemon: bool = False) -> int:
        """Start a device thread (what _thread.start_new_thread does); returns its ident."""
        name = name or getattr(function, "__name__", "thread")
        ticket = _core.spawn_thread(self.modem, name, daemon)
        info = _DeviceThread(name, daemon)

        def body():
            try:
                try:
                    _core.enter_thread(self.modem, ticket)
                    function(*args, **(kwargs or {}))
                except DeviceRestart:
                    self._restart_requested()
                except (DeviceHalt, SystemExit):
                    pass
                except BaseException as e:  # noqa: BLE001 - reported as the firmware does
                    if not self.modem.halted():
                        sys.stderr.write(f"Unhandled exception in thread started by {function!r}\n")
                        print_exception(e)
            except DeviceHalt:
                pass  # a stop injected while the thread was already finishing
            finally:
                # Hand the turn back even if a late injected stop lands here.
                # The thread stays listed until it has left the core: Device.run
                # joins listed threads, and one still inside a core call when
                # the interpreter exits would be killed mid-C++ (std::terminate).
                info.ended = True
                self._thread_ended()
                while True:
                    try:
                        _core.leave_thread(self.modem)
                        break
                    except DeviceHalt:
                        continue
                while True:
                    try:
                        with self._threads_lock:
                            self._threads.pop(info.ident, None)
                        break
                    except DeviceHalt:
                        continue

        t = threading.Thread(target=body, name=f"device:{name}", daemon=True)
        info.thread = t
        try:
            t.start()
        except BaseException:
            # The registered turn would never be taken: hand it over now.
            _core.leave_thread(self.modem)
            raise
        info.ident = t.ident or 0
        with self._threads_lock:
            self._threads[info.ident] = info
        return info.ident

    def thread_running(self, ident: int) -> bool:
        with self._threads_lock:
            info = self._threads.get(ident)
        return (info is not None and not info.ended and info.thread is not None
                and info.thread.is_alive())

    def stop_thread(self, ident: int) -> None:
        """Stop a device thread: a blocked one wakes with DeviceHalt, a running one
        gets it at its next bytecode."""
        if ident == threading.get_ident():
            raise DeviceHalt("the thread was stopped")
        with self._threads_lock:
            info = self._threads.get(ident)
        if info is None:
            return
        _core.stop_thread(self.modem, ident)  # wakes it if it waits in a device call
        if self.modem.clock == "real":
            # It may be running plain Python meanwhile; give it a moment to block.
            threading.Timer(_GRACE, self._stop_if_alive, args=(info,)).start()

    def _stop_if_alive(self, info: _DeviceThread) -> None:
        if info.thread is not None and info.thread.is_alive():
            _async_raise(info.ident, DeviceHalt)

    def _live_threads(self, include_daemons: bool = False) -> list[_DeviceThread]:
        with self._threads_lock:
            return [t for t in self._threads.values()
                    if (include_daemons or not t.daemon) and t.thread and t.thread.is_alive()]

    # ------------------------------------------------------------------ callbacks

    def set_callback(self, kind: str, fn: Callable | None) -> None:
        """Route device events of `kind` ("pdp"...) to fn(args) in the callback thread."""
        if fn is None:
            self._callbacks.pop(kind, None)
        else:
            self._callbacks[kind] = fn
        self.modem.set_listening(bool(self._callbacks))
        if fn is None:
            return
        if not self._dispatcher_started:
            self._dispatcher_started = True
            self.start_thread(self._dispatch, name="callbacks", daemon=True)

    def _dispatch(self) -> None:
        while True:
            event = _core.next_event(self.modem)
            if event is None:
                continue
            kind, args = event
            fn = self._callbacks.get(kind)
            if fn is None:
                continue
            try:
                fn(args)
            except (DeviceHalt, DeviceRestart):
                raise
            except BaseException as e:  # noqa: BLE001 - the device prints and carries on
                sys.stderr.write(f"Unhandled exception in callback {fn!r}\n")
                print_exception(e)

    # ------------------------------------------------------------------ running

    def stop(self, result: RunResult) -> None:
        """End the run with `result` now (the first stop wins)."""
        self._request_stop(result)
        self._halt_self()

    def _request_stop(self, result: RunResult) -> None:
        """Halt the module and every other device thread; the caller stops itself."""
        with self._stop_lock:
            if self._stop is not None:
                return
            self._stop = result
        self.modem.halt(result.reason)
        # The halt wakes every thread blocked in a device call; one that spins in
        # plain Python gets DeviceHalt injected after a grace period.
        threading.Timer(_GRACE, self._stop_spinners, args=(threading.get_ident(),)).start()

    def _stop_spinners(self, exempt: int) -> None:
        # Under the lock: a thread that has left the list (the main script
        # back in run()) is never raised in.
        with self._threads_lock:
            for info in self._threads.values():
                if (info.ident != exempt and info.thread is not None
                        and info.thread.is_alive()):
                    _async_raise(info.ident, DeviceHalt)

    def _watch_halt(self) -> None:
        """However the module halts (a --timeout, a reboot fault...), a device
        thread that spins in plain Python, which no device call will ever
        stop, gets DeviceHalt after the grace period. In virtual time the spin
        watch stops it first; this is what makes --timeout fire in real time
        on `while True: pass`."""
        self.modem.wait_halted()
        if self._run_over.wait(_GRACE):
            return
        self._stop_spinners(0)

    def _halt_self(self) -> None:
        if self._stop is None:
            return
        with self._threads_lock:
            mine = threading.get_ident() in self._threads
        if mine:
            raise DeviceHalt(self._stop.reason)

    def _restart_requested(self) -> None:
        self._request_stop(RunResult(0, REASON_RESTART))

    def run(self, script: str, argv: Iterable[str] = (), *, expect: Iterable[str] = (),
            fail_text: Iterable[str] = (), timeout: float | None = None,
            _ticket: object = None) -> RunResult:
        """Run a device script until the module has nothing left to do.

        The run ends when the main script and every device thread have ended and no
        osTimer is running (the module would sit idle), when --expect/--fail-text
        text appears, when the device-time limit passes, or when nothing can ever
        wake the device threads again (virtual time).
        """
        if timeout is not None:  # checked before anything else happens
            self.modem.halt_after(timeout, REASON_TIME_LIMIT)
        path = os.path.realpath(script)
        self.script, self.argv = path, tuple(argv)
        self._runner_ident = threading.get_ident()
        if self.fs.root is None:
            self.fs.set_root(os.path.dirname(path))
        self._expect = [t for t in expect if t]
        # Every --expect text must appear (in any order); what is still missing.
        self.expect_pending = list(self._expect)
        self._fail_text = [t for t in fail_text if t]
        try:
            code = compile_device(read_source(path, path), path)
        except SyntaxError as e:
            if _ticket is not None:
                _core.enter_thread(self.modem, _ticket)  # take the turn, to hand it back
                _core.leave_thread(self.modem)
            text = io.StringIO()
            print_exception(e, text)
            sys.stderr.write(text.getvalue())
            self._record("stderr", text.getvalue())
            return self._fill(RunResult(1, "the script has a syntax error", e))
        main = types.ModuleType("__main__")
        main.__dict__.update({
            "__name__": "__main__",
            "__file__": self.device_path(path),
            "__builtins__": self._builtins,
        })
        self._main_module = main  # what `import __main__` gives device code
        old_out, old_err, old_argv = sys.stdout, sys.stderr, sys.argv
        watches = (_OutputWatch(old_out, self, "stdout"), _OutputWatch(old_err, self, "stderr"))
        sys.stdout, sys.stderr = watches
        sys.argv = [self.device_path(path), *argv]
        me = threading.get_ident()
        info = _DeviceThread("main", False)
        info.ident = me
        info.thread = threading.current_thread()
        with self._threads_lock:
            self._threads[me] = info
        error: BaseException | None = None
        self._run_over.clear()
        spin_watch = _core.SpinWatch(self.modem)
        halt_watch = threading.Thread(target=self._watch_halt, name="qpysim halt watch",
                                      daemon=True)
        halt_watch.start()
        try:
            if threading.current_thread() is threading.main_thread():
                self.modem.set_interrupt_check()  # Ctrl-C is seen on the main thread only
            try:
                with self.device_thread("main", _ticket):
                    try:
                        exec(code, main.__dict__)
                        self._note_running_on()
                    finally:
                        info.ended = True
                        self._thread_ended(main=True)  # still this turn: see expect()
            finally:
                with self._threads_lock:
                    self._threads.pop(me, None)  # a stop raised as it left lands below
                _core.clear_spin_trace()  # the caller's own code runs untraced
            self._wait_for_background()
        except DeviceHalt:
            pass
        except DeviceRestart:
            self._restart_requested()
        except SystemExit as e:
            if e.code not in (None, 0):
                error = e
        except KeyboardInterrupt as e:
            if not isinstance(e, Terminated):
                sys.stderr.write("KeyboardInterrupt\n")
            error = e
        except BaseException as e:  # noqa: BLE001 - the script's own failure is the result
            print_exception(e)
            error = e
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                sys.stdout, sys.stderr, sys.argv = old_out, old_err, old_argv
                for w in watches:
                    w.retire()
        result = self._result(error)
        self.modem.halt(result.reason)  # power the module off: the trace is complete
        for _ in range(2):
            for t in self._live_threads(include_daemons=True):
                t.thread.join(_GRACE)  # type: ignore[union-attr]
            self._stop_spinners(me)
        self._run_over.set()
        # Both end now (the module is halted); one left inside a core call
        # at interpreter exit would die there (std::terminate).
        halt_watch.join()
        spin_watch.close()
        self._console_flush()
        return self._fill(result)

    def _note_running_on(self) -> None:
        """The script has returned (still the running device thread, so the
        answer is the same every run): say if its callbacks keep the module on."""
        if self._callbacks and self.modem.events_ahead() > 0:
            self._ran_on = True
            sys.stderr.write("qpysim: note: the script returned; the module runs on for its"
                             " callbacks while the scenario has events ahead (--timeout"
                             " bounds the run)\n")

    def _wait_for_background(self) -> None:
        """After the main script the module runs on, as it would: while device
        threads or osTimers run, and while the script has callbacks and the
        scenario has events ahead that may call them."""
        while not self.modem.halted():
            live = self._live_threads()
            listening = bool(self._callbacks) and self.modem.events_ahead() > 0
            if not live and self.busy_timers == 0 and not listening:
                return
            if live:
                live[0].thread.join(0.05)  # type: ignore[union-attr]
            else:
                time.sleep(0.02)  # only osTimers run: they keep the module busy

    def _result(self, error: BaseException | None) -> RunResult:
        result = self._outcome(error)
        rebooting = (result.reason == REASON_RESTART
                     or result.reason.startswith(_core.REBOOT_REASON))
        if self.expect_pending and result.status in (0, 3) and not rebooting:
            missing = ", ".join(map(repr, self.expect_pending))
            return RunResult(1, f"{result.reason}, but {REASON_EXPECT_MISSING}: {missing}",
                             result.error)
        return result

    def _outcome(self, error: BaseException | None) -> RunResult:
        if self._stop is None and isinstance(error, KeyboardInterrupt):
            status = 143 if isinstance(error, Terminated) else 130
            return RunResult(status, REASON_TERMINATED if status == 143 else REASON_INTERRUPTED,
                             error)
        if self._stop is not None:
            return self._stop
        if self.modem.halted():
            reason = self.modem.halt_reason()
            status = 3 if reason == REASON_TIME_LIMIT or reason.startswith("deadlock") else 1
            if reason == REASON_POWER_DOWN:
                status = 0
            return RunResult(status, reason, error)
        if error is not None:
            return RunResult(1, f"the script raised {type(error).__name__}", error)
        return RunResult(0, REASON_CALLBACKS_DONE if self._ran_on else REASON_SCRIPT_ENDED)

    @contextlib.contextmanager
    def device_thread(self, name: str, _ticket: object = None):
        """The calling thread runs device code inside (virtual time schedules it)."""
        if not isinstance(name, str):
            raise TypeError(f"device_thread() name must be a str, not {type(name).__name__}")
        if _ticket is not None:
            _core.enter_thread(self.modem, _ticket)  # registered by Device.start
        else:
            self.modem.attach_thread(name)
        try:
            yield
        finally:
            self.modem.detach_thread()


def _make_modem(options: dict) -> _core.Modem:
    """The core Modem; a keyword it does not take, or a value of the wrong type,
    is named as Python would name it (pybind11 would list every signature)."""
    if "scenario" in options:  # a shipped scenario by name: Device(scenario="flaky-cell")
        options = dict(options, scenario=find_scenario(options["scenario"]))
    try:
        return _core.Modem(**options)
    except TypeError as e:
        if "incompatible constructor arguments" not in str(e):
            raise
    import re

    signature = (_core.Modem.__init__.__doc__ or "").split("\n", 1)[0]
    # pybind11 names an int parameter "typing.SupportsInt | typing.SupportsIndex".
    types_of = {name: "int" if "SupportsInt" in kind else kind
                for name, kind in re.findall(r"(\w+): ([\w.]+)", signature) if name != "self"}
    unknown = sorted(set(options) - set(types_of))
    if unknown:
        raise TypeError(f"Device() got an unexpected keyword argument {unknown[0]!r} "
                        f"(it takes fs, and {', '.join(sorted(types_of))})") from None
    wrong = [f"{k} must be {types_of[k]}, not {type(v).__name__}" for k, v in options.items()
             if types_of[k] in ("str", "bool", "int") and type(v).__name__ != types_of[k]]
    raise TypeError("Device(): " + ("; ".join(wrong) or "an argument has the wrong type")) from None


def print_exception(e: BaseException, file=None) -> None:
    """Print a traceback with qpysim's own frames left out: the script's view."""
    import traceback

    out = file if file is not None else sys.stderr
    tb = e.__traceback__
    frames = [f for f in traceback.extract_tb(tb) if not f.filename.startswith(_PACKAGE_DIR)]
    out.write("Traceback (most recent call last):\n")
    out.write("".join(traceback.format_list(frames)))
    out.write("".join(traceback.format_exception_only(type(e), e)))


def _async_raise(ident: int, exc_type: type) -> None:
    """Raise exc_type in another Python thread at its next bytecode."""
    import ctypes

    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(exc_type))
