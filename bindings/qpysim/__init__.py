"""qpysim: run QuecPython device scripts on a PC against an emulated cellular module.

    from qpysim import Device
    dev = Device(dns={"example.com": "127.0.0.1"})
    usocket = dev.module("usocket")

or, from a shell: ``qpysim run main.py``.
"""

from . import _core, _oserror
from ._core import DeviceHalt, Modem, dialects, modules

_core._set_oserror_class(_oserror.OSError)
from ._runtime import Device, PeerConnection, RunResult, micropython_source

__version__ = "0.1.0"

__all__ = [
    "Device",
    "DeviceHalt",
    "Modem",
    "PeerConnection",
    "RunResult",
    "dialects",
    "micropython_source",
    "modules",
    "__version__",
]
