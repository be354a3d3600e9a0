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

import builtins
import contextlib
import ctypes
import sys
import threading
import time
import traceback
import types
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from . import _core
from ._console import _OutputWatch
from ._faults import Faults
from ._fs import DeviceFS
from ._mpsource import BUILTINS as _MP_BUILTINS
from ._mpsource import compile_device, micropython_source  # noqa: F401 (re-exported)
from ._oserror import OSError as DeviceOSError
from ._peers import PeerConnection, PeersMixin, VirtualBroker, run_peer  # noqa: F401

DeviceHalt = _core.DeviceHalt

_DEVICE_DIR = Path(__file__).resolve().parent / "device"
_PACKAGE_DIR = Path(__file__).resolve().parent

# Device module name -> implementation file in qpysim/device/ ("file:attr" when
# the name is an object in the file, as `osTimer` is a class).
BUILTIN_MODULES: dict[str, str] = {
    "usocket": "usocket",
    "utime": "utime",
    "log": "log",
    "checkNet": "checkNet",
    "dataCall": "dataCall",
    "net": "net",
    "sim": "sim",
    "modem": "modem",
    "misc": "misc",
    "osTimer": "osTimer:osTimer",
    "_thread": "_thread",
    "sys_bus": "sys_bus",
    "uos": "uos",
    "usys": "usys",
    "ujson": "ujson",
    "ubinascii": "ubinascii",
    "ustruct": "ustruct",
    "uio": "uio",
    "ure": "ure",
    "uhashlib": "uhashlib",
    "ucollections": "ucollections",
    "urandom": "urandom",
    "uzlib": "uzlib",
    "uerrno": "uerrno",
    "micropython": "micropython",
    "gc": "gc",
    "uselect": "uselect",
    "ussl": "ussl",
    "request": "request",
    "umqtt": "umqtt",
    "ntptime": "ntptime",
    "queue": "queue",
    "ql_fs": "ql_fs",
}

# What MicroPython's ports (the dialects without Quectel's modules) have under
# a name instead: tls and micropython-lib's ssl, umqtt.simple and umqtt.robust.
PORT_MODULES: dict[str, str] = {
    "tls": "mp_tls",
    "ssl": "mp_ssl",
    "ussl": "mp_ssl",
    "umqtt": "mp_umqtt",
    "umqtt.simple": "umqtt_simple",
    "umqtt.robust": "umqtt_robust",
}

# MicroPython weak links: `import json` finds ujson when no json.py exists.
WEAK_LINKS: dict[str, str] = {
    "socket": "usocket",
    "time": "utime",
    "os": "uos",
    "sys": "usys",
    "json": "ujson",
    "binascii": "ubinascii",
    "struct": "ustruct",
    "io": "uio",
    "re": "ure",
    "hashlib": "uhashlib",
    "collections": "ucollections",
    "random": "urandom",
    "zlib": "uzlib",
    "errno": "uerrno",
    "select": "uselect",
    "ssl": "ussl",
}

# QuecPython's own modules: absent on other ports (Dialect.quectel_modules).
QUECTEL_MODULES = frozenset({"checkNet", "dataCall", "net", "sim", "modem", "misc", "osTimer",
                             "log", "sys_bus", "request", "queue", "ql_fs"})

# CPython modules a device script may import as they are: MicroPython ships
# modules of the same name and (for what scripts use) the same behaviour.
HOST_MODULES = frozenset({"math", "cmath", "array", "builtins"})

# The halt reasons the runner uses; the exit status follows from them.
REASON_TIME_LIMIT = "the device-time limit passed"
REASON_EXPECT = "the expected text appeared"
REASON_EXPECT_MISSING = "this --expect text never appeared"
REASON_FAIL_TEXT = "the fail text appeared"
REASON_SCRIPT_ENDED = "the script ended"
REASON_CALLBACKS_DONE = "the script ended, and no event was left that could call its callbacks"
REASON_POWER_DOWN = "the script powered the module down"
REASON_RESTART = _core.RESTART_REASON  # "the script restarted the module"
REASON_INTERRUPTED = "interrupted (Ctrl-C)"
REASON_TERMINATED = "terminated (SIGTERM)"


class Terminated(KeyboardInterrupt):
    """SIGTERM under `qpysim run`: the run stops as for Ctrl-C, exit status 143."""

_tls = threading.local()
# How long a device thread may keep running plain Python after the module halts.
_GRACE = 0.5


class DeviceRestart(BaseException):
    """misc.Power.powerRestart(): the module reboots and the script starts over."""


_code_cache: dict[str, types.CodeType] = {}


def _device_code(file: str) -> types.CodeType:
    code = _code_cache.get(file)
    if code is None:
        path = _DEVICE_DIR / f"{file}.py"
        code = compile(path.read_text(encoding="utf-8"), str(path), "exec")
        _code_cache[file] = code
    return code


def current_device() -> "Device":
    """The device whose module is being loaded (device modules call this)."""
    dev = getattr(_tls, "loading", None)
    if dev is None:
        raise RuntimeError(
            "qpysim device modules are loaded by a Device: use `qpysim run script.py`, "
            "or qpysim.Device().module('usocket') from Python"
        )
    return dev


class RunResult:
    """How a run ended: the exit status and why."""

    def __init__(self, status: int, reason: str, error: Optional[BaseException] = None):
        self.status = status
        self.reason = reason
        self.error = error

    def __repr__(self) -> str:
        return f"RunResult(status={self.status}, reason={self.reason!r})"


class _DeviceThread:
    __slots__ = ("ident", "name", "daemon", "thread", "ended")

    def __init__(self, name: str, daemon: bool):
        self.ident = 0
        self.name = name
        self.daemon = daemon
        self.thread: Optional[threading.Thread] = None
        self.ended = False  # its function returned: the device no longer runs it


class Device(PeersMixin):
    """One emulated module: a core Modem plus the device modules a script imports."""

    def __init__(self, modem: Optional[_core.Modem] = None, *, fs: Optional[str] = None,
                 **modem_options: Any):
        self.modem = modem if modem is not None else _core.Modem(**modem_options)
        self.dialect = self.modem.dialect
        self.profile = self.modem.profile
        self.fs = DeviceFS(fs)
        self._modules: dict[str, Any] = {}
        self._user_modules: dict[str, types.ModuleType] = {}
        self._import_lock = threading.RLock()
        self._builtins = self._make_builtins()
        self._expect: list[str] = []
        self.expect_pending: list[str] = []
        self._fail_text: list[str] = []
        self._stop: Optional[RunResult] = None
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

    @property
    def fs_root(self) -> Optional[Path]:
        return self.fs.root

    def _impl(self, name: str) -> Optional[str]:
        """The implementation of device module `name` on this dialect, or None."""
        if not self.dialect.quectel_modules and name in PORT_MODULES:
            return PORT_MODULES[name]
        impl = BUILTIN_MODULES.get(name) or BUILTIN_MODULES.get(WEAK_LINKS.get(name, ""))
        file = impl.partition(":")[0] if impl else ""
        if impl is None or (file in QUECTEL_MODULES and not self.dialect.quectel_modules) or (
                file == "uselect" and not self.dialect.has_select):
            return None
        return impl

    def module(self, name: str) -> Any:
        """The device module `name` ("usocket", "socket", "umqtt.simple"...) of this device."""
        impl = self._impl(name)
        if impl is None:
            raise ImportError(f"no module named '{name}' on {self.profile.model} "
                              f"({self.dialect.name} firmware)")
        with self._import_lock:
            mod = self._modules.get(impl)
            if mod is None:
                mod = self._load_device_module(impl)
            return mod

    def _load_device_module(self, impl: str) -> Any:
        file, _, attr = impl.partition(":")
        # Each device gets its own module object, never put in sys.modules. It
        # carries the device name; __package__ lets its helpers import relatively.
        mod = types.ModuleType(file)
        mod.__file__ = str(_DEVICE_DIR / f"{file}.py")
        mod.__package__ = "qpysim.device"
        previous = getattr(_tls, "loading", None)
        _tls.loading = self
        # Cached before it runs, so modules that import each other terminate.
        self._modules[impl] = mod
        try:
            exec(_device_code(file), mod.__dict__)
        except BaseException:
            del self._modules[impl]
            raise
        finally:
            _tls.loading = previous
        if attr:
            self._modules[impl] = getattr(mod, attr)
        return self._modules[impl]

    def _make_builtins(self) -> dict:
        b = dict(builtins.__dict__)
        b["__import__"] = self._import
        b["OSError"] = DeviceOSError
        b["open"] = self.fs.open
        b.update(_MP_BUILTINS)
        return b

    def _user_file(self, dotted: str) -> Optional[Path]:
        """The file or package under /usr for a dotted name relative to /usr."""
        root = self.fs.root
        if root is None:
            return None
        base = root.joinpath(*dotted.split("."))
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
        if base.is_dir():
            return base  # a package folder without __init__.py
        return None

    def _import(self, name: str, globals=None, locals=None, fromlist=(), level=0):
        """__import__ for device code."""
        if level:
            package = (globals or {}).get("__package__") or ""
            parts = package.split(".") if package else []
            if level > 1:
                parts = parts[: len(parts) - level + 1]
            if not parts:
                raise ImportError("attempted relative import with no known parent package")
            name = ".".join(parts + ([name] if name else []))
        top = name.split(".", 1)[0]
        with self._import_lock:
            if top in BUILTIN_MODULES or top in PORT_MODULES:
                # `import umqtt.simple` binds the package; `from umqtt.simple
                # import X` takes from the submodule (which loads the package).
                mod = self.module(name)
                return mod if fromlist or "." not in name else self.module(top)
            if top == "usr" or self._user_file(top) is not None:
                return self._import_user(name, fromlist)
            if top in WEAK_LINKS:
                if "." in name:
                    raise ImportError(f"no module named '{name}'")
                return self.module(name)
        if top in HOST_MODULES:
            return builtins.__import__(name, globals, locals, fromlist, level)
        raise ImportError(f"no module named '{name}'")

    def _import_user(self, name: str, fromlist) -> types.ModuleType:
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            self._user_module(".".join(parts[:i]))
        mod = self._user_modules[name]
        for item in fromlist or ():
            if item != "*" and not hasattr(mod, item) and hasattr(mod, "__path__"):
                sub = f"{name}.{item}"
                if self._user_file(self._relative(sub)) is not None:
                    self._user_module(sub)
        return mod if fromlist else self._user_modules[parts[0]]

    @staticmethod
    def _relative(full: str) -> str:
        return full[len("usr."):] if full.startswith("usr.") else ("" if full == "usr" else full)

    def _user_module(self, full: str) -> types.ModuleType:
        mod = self._user_modules.get(full)
        if mod is not None:
            return mod
        rel = self._relative(full)
        if full == "usr":
            if self.fs.root is None:
                raise ImportError("no module named 'usr' (no /usr folder for this device)")
            path: Optional[Path] = self.fs.root
        else:
            path = self._user_file(rel)
        if path is None:
            raise ImportError(f"no module named '{full}'")
        mod = types.ModuleType(full)
        mod.__dict__["__builtins__"] = self._builtins
        is_package = path.is_dir() or path.name == "__init__.py"
        folder = path if path.is_dir() else path.parent
        if is_package:
            mod.__path__ = [self.device_path(folder)]  # type: ignore[attr-defined]
            mod.__package__ = full
        else:
            mod.__package__ = full.rpartition(".")[0]
        self._user_modules[full] = mod
        parent, _, leaf = full.rpartition(".")
        if parent:
            setattr(self._user_modules[parent], leaf, mod)
        if path.is_file():
            mod.__file__ = self.device_path(path)
            code = compile_device(path.read_text(encoding="utf-8"), str(path))
            try:
                exec(code, mod.__dict__)
            except BaseException:
                del self._user_modules[full]
                raise
        return mod

    def device_path(self, host_path: Path) -> str:
        """The /usr/... name of a host path inside the device filesystem."""
        return self.fs.device_path(host_path)

    # ------------------------------------------------------------------ threads

    def start_thread(self, function: Callable, args: tuple = (), kwargs: Optional[dict] = None,
                     *, name: Optional[str] = None, daemon: bool = False) -> int:
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

    def set_callback(self, kind: str, fn: Optional[Callable]) -> None:
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

    def _watch_output(self, stream: _OutputWatch, text: str) -> None:
        if not self._expect and not self._fail_text:
            return
        longest = max(len(t) for t in self._expect + self._fail_text)
        window = stream._tail + text
        stream._tail = window[-(longest - 1):] if longest > 1 else ""
        if self._stop is None:
            failed = next((t for t in self._fail_text if t in window), None)
            if failed is not None:
                self._request_stop(RunResult(1, f"{REASON_FAIL_TEXT}: {failed!r}"))
            elif self.expect_pending:
                self.expect_pending = [t for t in self.expect_pending if t not in window]
                if not self.expect_pending:
                    self._request_stop(RunResult(0, f"{REASON_EXPECT}: "
                                                    f"{', '.join(map(repr, self._expect))}"))
        if self._stop is not None and text.endswith("\n"):
            # Stop once the line that matched is complete, as a reader of the
            # device's console would see it.
            self._halt_self()

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
            fail_text: Iterable[str] = (), timeout: Optional[float] = None) -> RunResult:
        """Run a device script until the module has nothing left to do.

        The run ends when the main script and every device thread have ended and no
        osTimer is running (the module would sit idle), when --expect/--fail-text
        text appears, when the device-time limit passes, or when nothing can ever
        wake the device threads again (virtual time).
        """
        path = Path(script).resolve()
        if self.fs.root is None:
            self.fs.set_root(path.parent)
        self._expect = [t for t in expect if t]
        # Every --expect text must appear (in any order); what is still missing.
        self.expect_pending = list(self._expect)
        self._fail_text = [t for t in fail_text if t]
        source = path.read_text(encoding="utf-8")
        try:
            code = compile_device(source, str(path))
        except SyntaxError as e:
            print_exception(e)
            return RunResult(1, "the script has a syntax error", e)
        if timeout is not None:
            self.modem.halt_after(timeout, REASON_TIME_LIMIT)
        main = types.ModuleType("__main__")
        main.__dict__.update({
            "__name__": "__main__",
            "__file__": self.device_path(path),
            "__builtins__": self._builtins,
        })
        old_out, old_err, old_argv = sys.stdout, sys.stderr, sys.argv
        watches = (_OutputWatch(old_out, self), _OutputWatch(old_err, self))
        sys.stdout, sys.stderr = watches
        sys.argv = [self.device_path(path), *argv]
        me = threading.get_ident()
        info = _DeviceThread("main", False)
        info.ident = me
        info.thread = threading.current_thread()
        with self._threads_lock:
            self._threads[me] = info
        error: Optional[BaseException] = None
        self._run_over.clear()
        spin_watch = _core.SpinWatch(self.modem)
        halt_watch = threading.Thread(target=self._watch_halt, name="qpysim halt watch",
                                      daemon=True)
        halt_watch.start()
        try:
            self.modem.set_interrupt_check()
            try:
                with self.device_thread("main"):
                    exec(code, main.__dict__)
                    self._note_running_on()
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
        return result

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

    def _result(self, error: Optional[BaseException]) -> RunResult:
        result = self._outcome(error)
        rebooting = (result.reason == REASON_RESTART
                     or result.reason.startswith(_core.REBOOT_REASON))
        if self.expect_pending and result.status in (0, 3) and not rebooting:
            missing = ", ".join(map(repr, self.expect_pending))
            return RunResult(1, f"{result.reason}, but {REASON_EXPECT_MISSING}: {missing}",
                             result.error)
        return result

    def _outcome(self, error: Optional[BaseException]) -> RunResult:
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
    def device_thread(self, name: str):
        """The calling thread runs device code inside (virtual time schedules it)."""
        self.modem.attach_thread(name)
        try:
            yield
        finally:
            self.modem.detach_thread()


def print_exception(e: BaseException, file=None) -> None:
    """Print a traceback with qpysim's own frames left out: the script's view."""
    out = file if file is not None else sys.stderr
    tb = e.__traceback__
    frames = [f for f in traceback.extract_tb(tb) if not f.filename.startswith(str(_PACKAGE_DIR))]
    out.write("Traceback (most recent call last):\n")
    out.write("".join(traceback.format_list(frames)))
    out.write("".join(traceback.format_exception_only(type(e), e)))


def _async_raise(ident: int, exc_type: type) -> None:
    """Raise exc_type in another Python thread at its next bytecode."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(exc_type))
