"""qpysim: run QuecPython device scripts on a PC against an emulated cellular module.

    from qpysim import Device
    dev = Device(dns={"example.com": "127.0.0.1"})
    usocket = dev.module("usocket")

or, from a shell: ``qpysim run main.py``.

The names below load when first used, so ``qpysim run`` pays at start-up only
for what the script needs.
"""

__version__ = "0.1.0"

# Each public name and the module that defines it.
_HOMES = {
    "Device": "._runtime",
    "PeerConnection": "._runtime",
    "RunResult": "._runtime",
    "micropython_source": "._runtime",
    "DeviceHalt": "._core",
    "Modem": "._core",
    "dialects": "._core",
    "modules": "._core",
}

__all__ = sorted(_HOMES) + ["__version__"]


def __getattr__(name: str):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'qpysim' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_HOMES))
