"""Device imports: which device module a name means, and the files under /usr.

Device code runs with builtins whose ``__import__`` is :meth:`ImportsMixin._import`:
device modules first (each Device has its own instances, never in ``sys.modules``),
then MicroPython's weak links, then the script's own files in ``/usr`` (only names
made of identifiers, only files the device filesystem would open), then the few
CPython modules MicroPython has as they are. ``import builtins`` is the device's.
"""

from __future__ import annotations

import builtins
import os
import threading
import types

from ._absent import NOT_EMULATED, Stub, not_emulated_error
from ._mpsource import BUILTINS as _MP_BUILTINS
from ._mpsource import compile_device, read_source
from ._oserror import OSError as DeviceOSError

_DEVICE_DIR = os.path.join(os.path.dirname(os.path.realpath(__file__)), "device")

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
    "machine": "machine",
    "atcmd": "atcmd",
}

# What MicroPython's ports (the dialects without Quectel's modules) have under
# a name instead: asyncio, tls and micropython-lib's ssl, umqtt.simple and
# umqtt.robust.
PORT_MODULES: dict[str, str] = {
    "asyncio": "mp_asyncio",
    "uasyncio": "mp_asyncio",
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
                             "log", "sys_bus", "request", "queue", "ql_fs", "machine",
                             "atcmd"})

# CPython modules a device script may import as they are: MicroPython ships
# modules of the same name and (for what scripts use) the same behaviour.
# (`builtins` is the device's own: its open() sees only /usr.)
HOST_MODULES = frozenset({"math", "cmath", "array"})

# The device whose modules this thread is loading (current_device()).
_tls = threading.local()

_code_cache: dict[str, types.CodeType] = {}


def micropython_class(cls: type) -> type:
    """Make a class print as MicroPython prints one, `<class 'Name'>` (py/objtype.c:
    1020-1024), and its instances `<Name object at ...>`: no module, no dotted path."""
    try:
        cls.__module__ = "builtins"
        cls.__qualname__ = cls.__name__
    except (AttributeError, TypeError):  # a class that will not take it: left as it is
        pass
    return cls


def _build_class(*args, **kwargs):
    """The `class` statement of device code."""
    return micropython_class(builtins.__build_class__(*args, **kwargs))


def _device_code(file: str) -> types.CodeType:
    code = _code_cache.get(file)
    if code is None:
        # The standard loader: compiled once into __pycache__, as any module is.
        from importlib.machinery import SourceFileLoader

        path = os.path.join(_DEVICE_DIR, f"{file}.py")
        code = SourceFileLoader(f"qpysim.device.{file}", path).get_code(f"qpysim.device.{file}")
        _code_cache[file] = code
    return code


def current_device() -> object:
    """The device whose module is being loaded (device modules call this)."""
    dev = getattr(_tls, "loading", None)
    if dev is None:
        raise RuntimeError(
            "qpysim device modules are loaded by a Device: use `qpysim run script.py`, "
            "or qpysim.Device().module('usocket') from Python"
        )
    return dev


class ImportsMixin:
    """Device's module loading and its __import__ (Device sets the attributes
    used here: modem, dialect, profile, fs, _modules, _user_modules, _import_lock,
    _stubs)."""

    def _impl(self, name: str) -> str | None:
        """The implementation of device module `name` on this dialect, or None."""
        if not self.dialect.quectel_modules and name in PORT_MODULES:
            return PORT_MODULES[name]
        impl = BUILTIN_MODULES.get(name) or BUILTIN_MODULES.get(WEAK_LINKS.get(name, ""))
        file = impl.partition(":")[0] if impl else ""
        if impl is None or (file in QUECTEL_MODULES and not self.dialect.quectel_modules) or (
                file == "uselect" and not self.dialect.has_select):
            return None
        return impl

    def module(self, name: str) -> object:
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

    def _load_device_module(self, impl: str) -> object:
        file, _, attr = impl.partition(":")
        # Each device gets its own module object, never put in sys.modules. It
        # carries the device name; __package__ lets its helpers import relatively.
        mod = types.ModuleType(file)
        mod.__file__ = os.path.join(_DEVICE_DIR, f"{file}.py")
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
        for value in list(mod.__dict__.values()):
            if isinstance(value, type) and value.__module__ == file:
                micropython_class(value)
        if attr:
            self._modules[impl] = getattr(mod, attr)
        return self._modules[impl]

    def _make_builtins(self) -> dict:
        b = dict(builtins.__dict__)
        b["__import__"] = self._import
        b["__build_class__"] = _build_class
        b["OSError"] = DeviceOSError
        b["open"] = self.fs.open
        b.update(_MP_BUILTINS)
        # `import builtins` in device code gets these, not CPython's own.
        self._builtins_module = types.ModuleType("builtins")
        self._builtins_module.__dict__.update(b)
        return b

    def _user_file(self, dotted: str) -> str | None:
        """The file or package under /usr for a dotted name relative to /usr.

        Only names made of identifiers are looked up, and only files the
        device filesystem would open (DeviceFS.inside: no link out of /usr).
        """
        root = self.fs.root
        if root is None or not all(p.isidentifier() for p in dotted.split(".")):
            return None
        base = os.path.join(root, *dotted.split("."))
        for candidate in (base + ".py", os.path.join(base, "__init__.py")):
            if os.path.isfile(candidate) and self.fs.inside(candidate):
                return candidate
        if os.path.isdir(base) and self.fs.inside(base):
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
        if not isinstance(name, str):
            raise TypeError(f"module name must be a str, not {type(name).__name__}")
        if not all(p.isidentifier() for p in name.split(".")):
            # "/tmp/x", "../x", "a b": no file outside /usr is ever a module.
            raise ImportError(f"no module named '{name}'")
        top = name.split(".", 1)[0]
        if name == "builtins":
            return self._builtins_module
        if name == "__main__" and getattr(self, "_main_module", None) is not None:
            # MicroPython registers the script's globals as a built-in module
            # __main__ (py/runtime.c:62-67, 116-118): unittest.main() uses it.
            return self._main_module
        with self._import_lock:
            if top in BUILTIN_MODULES or top in PORT_MODULES:
                # `import umqtt.simple` binds the package; `from umqtt.simple
                # import X` takes from the submodule (which loads the package).
                mod = self.module(name)
                if fromlist and top in NOT_EMULATED:
                    _check_partly_emulated(mod, name, fromlist)
                return mod if fromlist or "." not in name else self.module(top)
            if top == "usr" or self._user_file(top) is not None:
                return self._import_user(name, fromlist)
            if top in WEAK_LINKS:
                if "." in name:
                    raise ImportError(f"no module named '{name}'")
                return self.module(name)
        if top in HOST_MODULES:
            return builtins.__import__(name, globals, locals, fromlist, level)
        if top in self._stubs:
            return self._stub_module(top)
        if top in NOT_EMULATED and self.dialect.quectel_modules:
            raise not_emulated_error(name)
        raise ImportError(f"no module named '{name}'")

    def _stub_module(self, top: str) -> Stub:
        with self._import_lock:
            stubs = self.__dict__.setdefault("_stub_modules", {})
            if top not in stubs:
                stubs[top] = Stub(top, set(), threading.Lock())
            return stubs[top]

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
            path: str | None = self.fs.root
        else:
            path = self._user_file(rel)
        if path is None:
            raise ImportError(f"no module named '{full}'")
        mod = types.ModuleType(full)
        mod.__dict__["__builtins__"] = self._builtins
        is_dir = os.path.isdir(path)
        is_package = is_dir or os.path.basename(path) == "__init__.py"
        folder = path if is_dir else os.path.dirname(path)
        if is_package:
            mod.__path__ = [self.device_path(folder)]  # type: ignore[attr-defined]
            mod.__package__ = full
        else:
            mod.__package__ = full.rpartition(".")[0]
        self._user_modules[full] = mod
        parent, _, leaf = full.rpartition(".")
        if parent:
            setattr(self._user_modules[parent], leaf, mod)
        if not is_dir:
            mod.__file__ = self.device_path(path)
            code = compile_device(read_source(path, path), path)
            try:
                exec(code, mod.__dict__)
            except BaseException:
                del self._user_modules[full]
                raise
        return mod

    def device_path(self, host_path) -> str:
        """The /usr/... name of a host path inside the device filesystem."""
        return self.fs.device_path(host_path)


def _check_partly_emulated(mod, name: str, fromlist) -> None:
    """`from machine import SPI`: say that SPI is not emulated, which CPython's
    "cannot import name" would otherwise swallow."""
    for attr in fromlist:
        if attr == "*":
            continue
        try:
            getattr(mod, attr)
        except AttributeError as e:
            raise ImportError(f"cannot import name '{attr}' from '{name}': {e}") from None
