"""atcmd: sendSync(cmd, resp, include, timeout) answered from the module's own state.

The firmware (ports/quectel/modatcmd.c @93ac4925) hands the command to the
modem's AT processor: a timeout of 0 or less is -1; the information lines of
the answer go into `resp` (a writable buffer: "\\r\\n" + lines + "\\r\\n\\n", as
QuecPython's documentation shows for AT+CPIN?), only those containing
`include` when it is not ''; the result is HELIOS_AT_RESP_STATUS_E: 0 OK,
1 ERROR, 2 CME ERROR, 4 invalid parameter, 5 timeout. qpysim answers the
commands apps use to read the module's state, from the same state the other
modules read (a fault that deregisters shows in AT+CEREG?); any other command
is 1 (ERROR).
"""

from qpysim._runtime import current_device as _current_device

from ._common import need_int as _int
from ._common import need_str as _str

_dev = _current_device()

_OK, _ERROR, _CME_ERROR = 0, 1, 2
_IP_TYPES = {0: "IP", 1: "IPV6", 2: "IPV4V6"}


def _net():
    return _dev.module("net")


def _registration(prefix):
    state = _net().getState()[1]
    return [f"{prefix}: 0,{state[0]}"]


def _contexts():
    data_call = _dev.module("dataCall")
    lines = []
    for pid in (1, 2, 3):
        ip_type, apn, *_ = data_call.getPDPContext(pid)
        info = data_call.getInfo(pid, 0)
        addr = info[2][2] if isinstance(info, tuple) else "0.0.0.0"
        lines.append(f'+CGDCONT: {pid},"{_IP_TYPES.get(ip_type, "IP")}","{apn}","{addr}",0,0')
    return lines


def _active():
    data_call = _dev.module("dataCall")
    lines = []
    for pid in (1, 2, 3):
        info = data_call.getInfo(pid, 0)
        if isinstance(info, tuple) and info[2][0] == 1:
            lines.append(f'+QIACT: {pid},1,1,"{info[2][2]}"')
    return lines


def _csq():
    csq = _net().csqQueryPoll()
    return [f"+CSQ: {99 if csq < 0 else csq},99"]


def _cfun_set(arg):
    if arg not in ("0", "1", "4"):
        return None
    return [] if _net().setModemFun(int(arg)) == 0 else None


def _query(upper):
    """The information lines of a command, [] for a bare OK, None for ERROR."""
    sim = _dev.module("sim")
    modem = _dev.module("modem")
    answers = {
        "AT": lambda: [],
        "ATI": lambda: ["Quectel", modem.getDevModel(), f"Revision: {modem.getDevFwVersion()}"],
        "AT+CSQ": _csq,
        "AT+CEREG?": lambda: _registration("+CEREG"),
        "AT+CREG?": lambda: _registration("+CREG"),
        "AT+CGREG?": lambda: _registration("+CGREG"),
        "AT+CGSN": lambda: [modem.getDevImei()],
        "AT+GSN": lambda: [modem.getDevImei()],
        "AT+QCCID": lambda: [f"+QCCID: {sim.getIccid()}"],
        "AT+ICCID": lambda: [f"+ICCID: {sim.getIccid()}"],
        "AT+CIMI": lambda: [sim.getImsi()],
        "AT+CPIN?": lambda: ["+CPIN: READY"] if sim.getStatus() == 1 else None,
        "AT+CGDCONT?": _contexts,
        "AT+QIACT?": _active,
        "AT+CFUN?": lambda: [f"+CFUN: {_net().getModemFun()}"],
        "AT+CGMM": lambda: [modem.getDevModel()],
        "AT+CGMR": lambda: [modem.getDevFwVersion()],
    }
    if upper in answers:
        return answers[upper]()
    if upper.startswith("AT+CFUN="):
        return _cfun_set(upper[len("AT+CFUN="):].split(",")[0])
    return None


def sendSync(atcmd, resp, include_str, timeout):
    _str(atcmd, "atcmd")
    _str(include_str, "include_str")
    _int(timeout, "timeout")
    view = memoryview(resp)  # TypeError for what is not a buffer, as mp_get_buffer_raise
    if timeout <= 0:
        return -1
    _dev.modem.ticks_ns()  # a call into the firmware
    lines = _query(atcmd.strip().upper())
    if lines is None:
        return _ERROR
    if include_str:
        lines = [line for line in lines if include_str in line]
    if len(view) > 0:
        if view.readonly:
            raise TypeError("object with buffer protocol required, not a read-only one")
        text = ("\r\n" + "\r\n".join(lines) + "\r\n\n").encode() if lines else b""
        out = view.cast("B")
        n = min(len(text), len(out))
        out[:n] = text[:n]
        if n < len(out):
            out[n] = 0
    return _OK
