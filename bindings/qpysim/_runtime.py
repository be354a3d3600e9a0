"""The device runtime: one emulated module as a device script sees it.

A :class:`Device` owns a core ``Modem`` and the device's own instances of the
device modules (``usocket``, ``utime``, ``log``...). Device code (the script
and the files it imports from ``/usr``) runs with builtins whose ``__import__``
serves device modules first, so ``import socket`` or ``import log`` in a
device script never touches CPython's modules of the same name, and nothing
named like a device module is ever put in ``sys.modules``.
"""

from __future__ import annotations

import builtins
import contextlib
import ctypes
import importlib.util
import io
import sys
import threading
import tokenize
import traceback
import types
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from . import _core
from ._oserror import OSError as DeviceOSError

DeviceHalt = _core.DeviceHalt

_DEVICE_DIR = Path(__file__).resolve().parent / "device"
_PACKAGE_DIR = Path(__file__).resolve().parent

# Device module name -> implementation file in qpysim/device/.
BUILTIN_MODULES: dict[str, str] = {
    "usocket": "usocket",
}

# MicroPython weak links: `import socket` finds usocket when no socket.py exists.
WEAK_LINKS: dict[str, str] = {
    "socket": "usocket",
}

# CPython modules a device script may import as they are: MicroPython ships
# modules of the same name and (for what scripts use) the same behaviour.
HOST_MODULES = frozenset({"math", "cmath", "array", "builtins"})

# The halt reasons the runner uses; the exit status follows from them.
REASON_TIME_LIMIT = "the device-time limit passed"
REASON_EXPECT = "the expected text appeared"
REASON_FAIL_TEXT = "the fail text appeared"
REASON_SCRIPT_ENDED = "the script ended"

_tls = threading.local()


def current_device() -> "Device":
    """The device whose module is being loaded (device modules call this)."""
    dev = getattr(_tls, "loading", None)
    if dev is None:
        raise RuntimeError(
            "qpysim device modules are loaded by a Device: use `qpysim run script.py`, "
            "or qpysim.Device().module('usocket') from Python"
        )
    return dev


def micropython_source(text: str) -> str:
    """Expand tabs in indentation as MicroPython's lexer does.

    A tab advances to the next multiple of 8 columns, and mixing tabs and spaces is
    not an error. Lines inside multi-line strings are left exactly as they are.
    """
    if "\t" not in text:
        return text
    inside_string: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.end[0] > tok.start[0]:
                inside_string.update(range(tok.start[0] + 1, tok.end[0] + 1))
    except (tokenize.TokenError, SyntaxError):
        pass  # compile() will report the real problem
    out = []
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        if number not in inside_string and "\t" in line:
            body = line.lstrip(" \t")
            column = 0
            for ch in line[: len(line) - len(body)]:
                column = (column // 8 + 1) * 8 if ch == "\t" else column + 1
            line = " " * column + body
        out.append(line)
    return "".join(out)


class _OutputWatch(io.TextIOBase):
    """A text stream that passes writes through and watches for given texts."""

    def __init__(self, target, device: "Device"):
        super().__init__()
        self._target = target
        self._device = device
        self._tail = ""

    def write(self, s: str) -> int:
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        n = self._target.write(s)
        self._device._watch_output(self, s)
        return n if n is not None else len(s)

    def flush(self) -> None:
        self._target.flush()

    @property
    def encoding(self):  # type: ignore[override]
        return getattr(self._target, "encoding", "utf-8")

    def isatty(self) -> bool:
        return getattr(self._target, "isatty", lambda: False)()


class RunResult:
    """How a run ended: the exit status and why."""

    def __init__(self, status: int, reason: str, error: Optional[BaseException] = None):
        self.status = status
        self.reason = reason
        self.error = error

    def __repr__(self) -> str:
        return f"RunResult(status={self.status}, reason={self.reason!r})"


class Device:
    """One emulated module: a core Modem plus the device modules a script imports."""

    def __init__(self, modem: Optional[_core.Modem] = None, *, fs: Optional[str] = None,
                 **modem_options: Any):
        self.modem = modem if modem is not None else _core.Modem(**modem_options)
        self.dialect = self.modem.dialect
        self.profile = self.modem.profile
        self.fs_root: Optional[Path] = Path(fs).resolve() if fs is not None else None
        self._modules: dict[str, types.ModuleType] = {}
        self._user_modules: dict[str, types.ModuleType] = {}
        self._import_lock = threading.RLock()
        self._builtins = self._make_builtins()
        self._expect: list[str] = []
        self._fail_text: list[str] = []
        self._stop: Optional[RunResult] = None
        self._stop_lock = threading.Lock()
        self._device_threads: set[int] = set()

    # ------------------------------------------------------------------ modules

    def module(self, name: str) -> types.ModuleType:
        """The device module `name` ("usocket", "socket", "utime"...) of this device."""
        impl = BUILTIN_MODULES.get(name) or WEAK_LINKS.get(name)
        if impl is None:
            raise ImportError(f"no module named '{name}' on {self.profile.model}")
        with self._import_lock:
            mod = self._modules.get(impl)
            if mod is None:
                mod = self._load_device_module(name, impl)
            return mod

    def _load_device_module(self, name: str, impl: str) -> types.ModuleType:
        path = _DEVICE_DIR / f"{impl}.py"
        spec = importlib.util.spec_from_file_location(impl, path)
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        previous = getattr(_tls, "loading", None)
        _tls.loading = self
        # Cached before it runs, so modules that import each other terminate.
        self._modules[impl] = mod
        try:
            spec.loader.exec_module(mod)
        except BaseException:
            del self._modules[impl]
            raise
        finally:
            _tls.loading = previous
        return mod

    def _make_builtins(self) -> dict:
        b = dict(builtins.__dict__)
        b["__import__"] = self._import
        b["OSError"] = DeviceOSError
        return b

    def _user_file(self, dotted: str) -> Optional[Path]:
        """The file or package under /usr for a dotted name relative to /usr."""
        if self.fs_root is None:
            return None
        base = self.fs_root.joinpath(*dotted.split("."))
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
            if top in BUILTIN_MODULES:
                if "." in name:
                    raise ImportError(f"no module named '{name}'")
                return self.module(name)
            if top == "usr" or self._user_file(top) is not None:
                return self._import_user(name, fromlist)
            if top in WEAK_LINKS:
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
            if self.fs_root is None:
                raise ImportError("no module named 'usr' (no /usr folder for this device)")
            path: Optional[Path] = self.fs_root
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
            code = compile(micropython_source(path.read_text(encoding="utf-8")), str(path), "exec")
            try:
                exec(code, mod.__dict__)
            except BaseException:
                del self._user_modules[full]
                raise
        return mod

    def device_path(self, host_path: Path) -> str:
        """The /usr/... name of a host path inside the device filesystem."""
        if self.fs_root is not None:
            try:
                rel = Path(host_path).resolve().relative_to(self.fs_root)
            except ValueError:
                return str(host_path)
            return "/usr" if str(rel) == "." else "/usr/" + rel.as_posix()
        return str(host_path)

    # ------------------------------------------------------------------ running

    def _watch_output(self, stream: _OutputWatch, text: str) -> None:
        if not self._expect and not self._fail_text:
            return
        longest = max(len(t) for t in self._expect + self._fail_text)
        window = stream._tail + text
        stream._tail = window[-(longest - 1):] if longest > 1 else ""
        if self._stop is None:
            for texts, status, why in ((self._fail_text, 1, REASON_FAIL_TEXT),
                                       (self._expect, 0, REASON_EXPECT)):
                hit = next((t for t in texts if t in window), None)
                if hit is not None:
                    self._request_stop(RunResult(status, f"{why}: {hit!r}"))
                    break
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
        me = threading.get_ident()
        for ident in list(self._device_threads):
            if ident != me:
                _async_raise(ident, DeviceHalt)

    def _halt_self(self) -> None:
        if self._stop is not None and threading.get_ident() in self._device_threads:
            raise DeviceHalt(self._stop.reason)

    def run(self, script: str, argv: Iterable[str] = (), *, expect: Iterable[str] = (),
            fail_text: Iterable[str] = (), timeout: Optional[float] = None) -> RunResult:
        """Run a device script to the end; returns how it ended (see the CLI's exit statuses)."""
        path = Path(script).resolve()
        if self.fs_root is None:
            self.fs_root = path.parent
        self._expect = [t for t in expect if t]
        self._fail_text = [t for t in fail_text if t]
        source = path.read_text(encoding="utf-8")
        try:
            code = compile(micropython_source(source), str(path), "exec")
        except SyntaxError as e:
            _print_exception(e)
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
        sys.stdout = _OutputWatch(old_out, self)
        sys.stderr = _OutputWatch(old_err, self)
        sys.argv = [self.device_path(path), *argv]
        me = threading.get_ident()
        self._device_threads.add(me)
        error: Optional[BaseException] = None
        try:
            self.modem.set_interrupt_check()
            with self.device_thread("main"):
                exec(code, main.__dict__)
        except DeviceHalt:
            pass
        except SystemExit as e:
            if e.code not in (None, 0):
                error = e
        except BaseException as e:  # noqa: BLE001 - the script's own failure is the result
            if not isinstance(e, KeyboardInterrupt):
                _print_exception(e)
            else:
                sys.stderr.write("KeyboardInterrupt\n")
            error = e
        finally:
            self._device_threads.discard(me)
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                sys.stdout, sys.stderr, sys.argv = old_out, old_err, old_argv
        result = self._result(error)
        self.modem.halt(result.reason)  # power the module off: the trace is complete
        return result

    def _result(self, error: Optional[BaseException]) -> RunResult:
        if self._stop is not None:
            return self._stop
        if self.modem.halted():
            reason = self.modem.halt_reason()
            status = 3 if reason == REASON_TIME_LIMIT or reason.startswith("deadlock") else 1
            return RunResult(status, reason, error)
        if error is not None:
            return RunResult(1, f"the script raised {type(error).__name__}", error)
        return RunResult(0, REASON_SCRIPT_ENDED)

    @contextlib.contextmanager
    def device_thread(self, name: str):
        """The calling thread runs device code inside (virtual time schedules it)."""
        self.modem.attach_thread(name)
        try:
            yield
        finally:
            self.modem.detach_thread()


def _print_exception(e: BaseException) -> None:
    """Print a traceback with qpysim's own frames left out: the script's view."""
    tb = e.__traceback__
    frames = [f for f in traceback.extract_tb(tb) if not f.filename.startswith(str(_PACKAGE_DIR))]
    sys.stderr.write("Traceback (most recent call last):\n")
    sys.stderr.write("".join(traceback.format_list(frames)))
    sys.stderr.write("".join(traceback.format_exception_only(type(e), e)))


def _async_raise(ident: int, exc_type: type) -> None:
    """Raise exc_type in another Python thread at its next bytecode."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(exc_type))


def run_from_cli(options: dict) -> int:
    """The `qpysim run` hook: options come from the C++ command line."""
    from . import _runner

    return _runner.run(options)
