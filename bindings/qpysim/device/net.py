"""net: network registration, signal, cells and the radio's functionality mode."""

from qpysim import _core
from qpysim._runtime import current_device as _current_device

from ._common import need_int as _int

_dev = _current_device()
_modem = _dev.modem
_profile = _dev.profile


def _state():
    return _core.cellular_state(_modem, False)


def _registered(s):
    return s["reg_state"] in (1, 5)


def getState():
    """([voice_state, lac, cid, rat, reject_cause, psc], [data_state, ...])"""
    reg, lac, cid = _core.registration(_modem)  # checkNet polls this every 100 ms
    if reg not in (1, 5):
        lac = cid = rat = 0
    else:
        rat = _profile.rat
    return ([reg, lac, cid, rat, 0, 0], [reg, lac, cid, rat, 0, 0])


def csqQueryPoll():
    s = _state()
    if s["modem_fun"] != 1:
        return -1
    return s["radio"]["csq"] if _registered(s) else 99


def getSignal(sinrEnable=0):
    s = _state()
    if not _registered(s):
        return ([99, 99, 255, 255], [99, 99, 255, 255, 255])
    r = s["radio"]
    sinr = r["sinr"] if sinrEnable else 255
    return ([99, 99, 255, 255], [r["rssi"], r["rsrp"], r["rsrq"], 255, sinr])


def _mcc_int(mcc):
    # ASR-based modules report MCC/MNC as hex-looking decimals (460 -> 1120).
    return int(mcc, 16) if _profile.platform == "ASR" else int(mcc)


def getCellInfo():
    """([gsm], [umts], [lte]); takes 3 s of device time, as the cell search does."""
    s = _state()
    _modem.sleep(3)
    if not _registered(s):
        return ([], [], [])
    r = s["radio"]
    mcc, mnc = s["operator"][2], s["operator"][3]
    return ([], [], [(0, r["cid"], _mcc_int(mcc), _mcc_int(mnc), r["pci"], r["tac"], r["earfcn"],
                      r["rsrp"], r["rsrq"], r["sinr"])])


def getConfig():
    s = _state()
    return (s["net_mode"], s["roaming"])


def setConfig(mode, roaming=None):
    _int(mode, "mode")
    if not 0 <= mode <= 32:
        return -1
    _core.set_net_config(_modem, mode, bool(roaming) if roaming is not None else _state()["roaming"])
    return 0


def getNetMode():
    s = _state()
    return (0, s["operator"][2], s["operator"][3], _profile.rat if _registered(s) else 10)


def getModemFun():
    return _state()["modem_fun"]


def setModemFun(fun, rst=0):
    _int(fun, "fun")
    ok = _core.set_modem_fun(_modem, fun)
    if ok and rst:
        _dev.module("misc").Power.powerRestart()
    return 0 if ok else -1


def operatorName():
    s = _state()
    return s["operator"] if _registered(s) else -1


def nitzTime():
    """(date, abs_time, leap_sec): the network time given at registration."""
    s = _state()
    if not _registered(s):
        return -1
    utime = _dev.module("utime")
    secs = utime.time()
    t = utime.localtime(secs)  # local time, and the zone in quarter hours, as +CCLK gives it
    tz = utime.getTimeZone() * 4
    date = "%02d/%02d/%02d,%02d:%02d:%02d%+d,0" % (t[0] % 100, t[1], t[2], t[3], t[4], t[5], tz)
    return (date, secs, 0)


def getServingCi():
    s = _state()
    return s["radio"]["cid"] if _registered(s) else -1


def getServingLac():
    s = _state()
    return s["radio"]["tac"] if _registered(s) else -1


def getServingMcc():
    s = _state()
    return _mcc_int(s["operator"][2]) if _registered(s) else -1


def getServingMnc():
    s = _state()
    return _mcc_int(s["operator"][3]) if _registered(s) else -1


def getCi():
    ci = getServingCi()
    return [ci] if ci != -1 else -1


def getLac():
    lac = getServingLac()
    return [lac] if lac != -1 else -1


def getMcc():
    mcc = getServingMcc()
    return [mcc] if mcc != -1 else -1


def getMnc():
    mnc = getServingMnc()
    return [mnc] if mnc != -1 else -1


def setBand(*args):
    return -1  # band locking is a BG95/EG912N feature


def getBand(*args):
    return -1


def bandRst(*args):
    return -1
