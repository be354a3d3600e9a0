"""dataCall: PDP contexts (data calls). getInfo() and callbacks as the firmware gives them."""

from qpysim import _boot, _core
from qpysim._runtime import current_device as _current_device

from ._common import need_int as _int
from ._common import need_str as _str

_dev = _current_device()
_modem = _dev.modem
_dns_override = {}


def _pid(profileID, hi=3):
    _int(profileID, "profileID")
    if not 1 <= profileID <= hi:
        raise ValueError("profileID must be in 1-%d, got %d" % (hi, profileID))
    return profileID


def setPDPContext(profileID, ipType, apn, username, password, authType, simid=0):
    _pid(profileID)
    _int(ipType, "ipType")
    _int(authType, "authType")
    for v, what in ((apn, "apn"), (username, "username"), (password, "password")):
        _str(v, what)
    if ipType not in (0, 1, 2) or authType not in (0, 1, 2, 3):
        return -1
    if (username or password) and authType == 0:
        authType = 2  # the firmware picks CHAP when credentials come without a method
    elif not username and not password and authType != 0:
        authType = 0
    _core.configure_pdp(_modem, profileID, ipType, apn, username, password, authType)
    return 0


def getPDPContext(profileID):
    p = _core.cellular_state(_modem)["pdp"][_pid(profileID)]
    return (p["ip_type"], p["apn"], p["username"], p["password"], p["auth_type"])


def activate(profileID):
    return 0 if _core.activate_pdp(_modem, _pid(profileID)) else -1


def deactivate(profileID):
    return 0 if _core.deactivate_pdp(_modem, _pid(profileID)) else -1


def _info_list(p, v6):
    dns1, dns2 = _dns_override.get(p["id"], (p["dns1"], p["dns2"]))
    if not p["active"] or (v6 and p["ip_type"] == 0) or (not v6 and p["ip_type"] == 1):
        zero = "::" if v6 else "0.0.0.0"
        return [0, 0, zero, zero, zero]
    if v6:
        return [1, 0, p["ip6"], "::", "::"]
    return [1, 0, p["ip"], dns1, dns2]


def getInfo(profileID, ipType):
    """(id, ipType, [state, reconnect, addr, priDNS, secDNS]) for ipType 0/1;
    (id, 2, [v4 list], [v6 list]) for ipType 2."""
    _int(profileID, "profileID")
    _int(ipType, "ipType")
    if not 1 <= profileID <= 7 or ipType not in (0, 1, 2):
        return -1
    p = _core.cellular_state(_modem)["pdp"][profileID]
    if ipType == 2:
        return (profileID, 2, _info_list(p, False), _info_list(p, True))
    return (profileID, ipType, _info_list(p, ipType == 1))


def setCallback(fun):
    """fun(args) on every data-call change: args[0] the PDP id, args[1] 1 up / 0 down."""
    if fun is not None and not callable(fun):
        return -1
    _dev.set_callback("pdp", fun)
    return 0


def setAutoActivate(profileID, enable):
    """Start this data call at the next power-on: stored in
    /usr/datacall_config.json, which the firmware's _boot.py reads (qpysim/_boot.py)."""
    p = _core.cellular_state(_modem)["pdp"][_pid(profileID)]
    _core.set_auto(_modem, profileID, bool(enable), p["auto_connect"])
    _boot.write_flag(_dev.fs.root, profileID, "autoActivate", enable)
    return 0


def setAutoConnect(profileID, enable):
    """Re-activate after a loss (now, and from the next power-on: the file above)."""
    p = _core.cellular_state(_modem)["pdp"][_pid(profileID)]
    _core.set_auto(_modem, profileID, p["auto_activate"], bool(enable))
    _boot.write_flag(_dev.fs.root, profileID, "autoConnect", enable)
    return 0


def setDNSServer(profileID, simID, priDNS, secDNS):
    _pid(profileID)
    _str(priDNS, "priDNS")
    _str(secDNS, "secDNS")
    _dns_override[profileID] = (priDNS, secDNS)
    return 0


def getPdpRange():
    return (1, 3)


def start(profileID, ipType, apn, username, password, authType):
    """The 2020 API: configure and activate in one call."""
    if setPDPContext(profileID, ipType, apn, username, password, authType) != 0:
        return -1
    return activate(profileID)


def stop(profileID, ipType=0):
    return deactivate(profileID)
