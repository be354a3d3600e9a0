"""modem: what the module says about itself."""

from qpysim import _core
from qpysim._runtime import current_device as _current_device

_dev = _current_device()
_modem = _dev.modem
_profile = _dev.profile


def getDevImei():
    return _core.cellular_state(_modem)["identity"]["imei"]


def getDevModel():
    return _profile.model


def getDevSN():
    return _core.cellular_state(_modem)["identity"]["serial"]


def getDevFwVersion():
    return _profile.firmware


def getDevProductId():
    return "Quectel"
