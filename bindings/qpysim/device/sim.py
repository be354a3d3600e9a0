"""sim: the SIM card. getStatus() is an int (1 ready, 0 absent...)."""

from qpysim import _core
from qpysim._runtime import current_device as _current_device

_dev = _current_device()
_modem = _dev.modem


def _state():
    return _core.cellular_state(_modem, False)


def getStatus():
    return _state()["sim_status"]


def _identity(key):
    s = _state()
    if s["sim_status"] != 1:
        return -1
    return s["identity"][key]


def getImsi():
    return _identity("imsi")


def getIccid():
    s = _state()
    return -1 if s["sim_status"] == 0 else s["identity"]["iccid"]


def getPhoneNumber():
    return _identity("phone_number")


def setCallback(fun):
    """fun(args) when the SIM status changes; args[0] is the new status."""
    _dev.set_callback("sim", fun)
    return 0
