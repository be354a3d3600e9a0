"""Firmware modules qpysim does not emulate, said plainly, and `--stub MODULE`.

A script importing one of these on a QuecPython dialect gets an ImportError that
says the module is the firmware's and not emulated, instead of one that reads
like a bug in the script. `--stub NAME` (and `Device(stub=[NAME])`) gives such a
module an inert stand-in so the rest of the app can run: any attribute is
another stand-in, any call returns None and is said once on stderr.
"""

from __future__ import annotations

import sys
import threading

# Name -> where the firmware has it. Modules from QuecPython/micropython
# @93ac4925: registered in ports/quectel (MP_REGISTER_MODULE) or frozen from
# ports/quectel/py/; the rest are in QuecPython's API reference and built from
# its closed SDK.
NOT_EMULATED: dict[str, str] = {
    "machine": "ports/quectel/machine_*.c: SPI, LCD, KeyPad... (its UART, Pin, ExtInt, "
               "I2C, Timer, WDT and RTC are emulated)",
    "misc": "ports/quectel/modmisc.c: PWM_V2, USB, PowerKey, Temperature... (its Power, ADC "
            "and PWM are emulated)",
    "fota": "ports/quectel/modfota.c",
    "pm": "ports/quectel (power management)",
    "utils": "ports/quectel (utils)",
    "helios": "ports/quectel (helios)",
    "dial": "ports/quectel (dial)",
    "app_fota": "ports/quectel/py/app_fota.py",
    "app_fota_download": "ports/quectel/py/app_fota_download.py",
    "app_fota_mount": "ports/quectel/py/app_fota_mount.py",
    "app_fota_updater": "ports/quectel/py/app_fota_updater.py",
    "bak_util": "ports/quectel/py/bak_util.py",
    "file_crc32": "ports/quectel/py/file_crc32.py",
    "aLiYun": "ports/quectel/py/aLiYun.py",
    "system": "ports/quectel/py/system.py",
    "event_message": "ports/quectel/py/event_message.py",
    "backup_restore": "ports/quectel/py/backup_restore.py",
    "checksum": "ports/quectel/py/checksum.py",
    "hmac": "ports/quectel/py/hmac.py",
    "audio": "QuecPython API reference (audio)",
    "quecgnss": "QuecPython API reference (quecgnss)",
    "ethernet": "QuecPython API reference (ethernet)",
    "quecIot": "QuecPython API reference (quecIot)",
    "TenCentYun": "QuecPython API reference (TenCentYun)",
    "camera": "QuecPython API reference (camera)",
    "ble": "QuecPython API reference (ble)",
    "lpm": "QuecPython API reference (lpm)",
    "voiceCall": "QuecPython API reference (voiceCall)",
    "sms": "QuecPython API reference (sms)",
    "wifiScan": "QuecPython API reference (wifiScan)",
    "cellLocator": "QuecPython API reference (cellLocator)",
}

README_SECTION = 'README "What is not emulated"'


def not_emulated_error(name: str) -> ImportError:
    top = name.split(".", 1)[0]
    return ImportError(
        f"no module named '{name}': '{top}' is a module of the QuecPython firmware "
        f"({NOT_EMULATED[top]}) that qpysim does not emulate ({README_SECTION}); "
        f"`qpysim run --stub {top}` gives it an inert stand-in")


# The names of partly emulated modules that qpysim leaves out, from their
# globals tables at 93ac4925: ports/quectel/modmachine.c and modmisc.c.
LEFT_OUT: dict[str, frozenset] = {
    "machine": frozenset({"I2C_simulation", "KeyPad", "LCD", "NANDFLASH", "SPI", "SoftReset"}),
    "misc": frozenset({"IncCoreVoltage", "PWM_V2", "PowerKey", "Temperature", "USB",
                       "USBNET", "net_light", "replEnable", "replUpdatePassswd"}),
}


def not_emulated_attribute(device, module: str, name: str):
    """A name of a partly emulated module (machine.SPI): the stand-in with --stub,
    else an AttributeError that says it is not emulated (or, for a name the
    firmware does not have either, that there is no such name)."""
    if module in device._stubs:
        return getattr(device._stub_module(module), name)
    if name not in LEFT_OUT.get(module, ()):
        raise AttributeError(f"module '{module}' has no attribute '{name}'")
    raise AttributeError(
        f"{module}.{name} is not emulated by qpysim yet ({README_SECTION}); "
        f"`qpysim run --stub {module}` gives it an inert stand-in")


def check_stubs(names) -> frozenset:
    """The module names `--stub` / Device(stub=) were given, checked."""
    if names is None:
        return frozenset()
    if isinstance(names, str):
        names = [names]
    out = set()
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"stub: module names are str, not {type(name).__name__}")
        if name not in NOT_EMULATED:
            raise ValueError(f"stub: '{name}' is not a firmware module qpysim leaves out; "
                             f"it stubs {', '.join(sorted(NOT_EMULATED, key=str.lower))}")
        out.add(name)
    return frozenset(out)


class Stub:
    """An inert stand-in: attributes are stand-ins, calls return None."""

    def __init__(self, path: str, said: set, lock: threading.Lock):
        self.__dict__.update(_path=path, _said=said, _lock=lock, _kids={})

    def __getattr__(self, name: str) -> "Stub":
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        kid = self._kids.get(name)
        if kid is None:
            kid = self._kids[name] = Stub(f"{self._path}.{name}", self._said, self._lock)
        return kid

    def __setattr__(self, name, value) -> None:
        self._kids[name] = value

    def __call__(self, *args, **kwargs) -> None:
        with self._lock:
            first = self._path not in self._said
            self._said.add(self._path)
        if first:
            top = self._path.split(".", 1)[0]
            sys.stderr.write(f"qpysim: stub: {self._path}() does nothing and returns None "
                             f"(--stub {top})\n")
        return None

    def __repr__(self) -> str:
        return f"<stub {self._path}>"
