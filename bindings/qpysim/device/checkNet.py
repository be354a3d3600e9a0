"""checkNet: wait for SIM, registration and a data call, as QuecPython's checkNet does.

Returns (stagecode, subcode): (1, sim status) when the SIM never became ready,
(2, registration state or -1) when the network never registered, (3, 0) when no
data call came up, and (3, 1) when the network is ready. Polls every 100 ms of
device time, so a timeout is exact in virtual time.
"""

from qpysim._runtime import current_device as _current_device

from ._common import OSError as _OSError

_dev = _current_device()
_sim = _dev.module("sim")
_net = _dev.module("net")
_dataCall = _dev.module("dataCall")
_modem = _dev.module("modem")
_utime = _dev.module("utime")
_misc = _dev.module("misc")
# The 2021 firmware printed the power-on reason and gave up at once without a SIM.
_OLD = _dev.dialect.name == "quecpython-2021"


class CheckNetwork:
    def __init__(self, proj_name, proj_version):
        self.PROJECT_NAME = proj_name
        self.PROJECT_VERSION = proj_version
        self.FIRMWARE_VERSION = _modem.getDevFwVersion()
        self.POWERON_REASON = _misc.Power.powerOnReason()

    def poweron_print_once(self):
        print("==================================================")
        print("PROJECT_NAME     : {}".format(self.PROJECT_NAME))
        print("PROJECT_VERSION  : {}".format(self.PROJECT_VERSION))
        print("FIRMWARE_VERSION : {}".format(self.FIRMWARE_VERSION))
        if _OLD:
            print("POWERON_REASON   : {}".format(self.POWERON_REASON))
        print("SIM_CARD_STATUS  : {}".format(_sim.getStatus()))
        print("==================================================")

    @staticmethod
    def check_datacall_status():
        low, high = (1, 7) if _OLD else _dataCall.getPdpRange()
        for pdp in range(low, high + 1):
            info = _dataCall.getInfo(pdp, 2)
            if info != -1 and (info[2][0] == 1 or info[3][0] == 1):
                return 1
        return 0

    def wait_network_connected(self, timeout_s=60):
        return wait_network_connected(timeout_s)


class _Budget:
    """The remaining timeout, charged with the ticks that really passed."""

    def __init__(self, timeout_s):
        self.left_ms = timeout_s * 1000
        self.last = _utime.ticks_ms()

    def wait(self):
        _utime.sleep_ms(100)
        now = _utime.ticks_ms()
        self.left_ms -= _utime.ticks_diff(now, self.last)
        self.last = now
        return self.left_ms > 0


def wait_network_connected(timeout_s=60):
    if timeout_s < 1 or timeout_s > 3600:
        raise _OSError("timeout_s should be in [1, 3600]s!")
    budget = _Budget(timeout_s)

    while True:  # stage 1: the SIM
        status = _sim.getStatus()
        if status == 1:
            break
        if _OLD and status not in (18, 20, 21):
            return 1, status
        if not budget.wait():
            return 1, _sim.getStatus()

    budget.last = _utime.ticks_ms()
    while True:  # stage 2: registration (home or roaming)
        state = _net.getState()
        if state != -1 and state[1][0] in (1, 5):
            break
        if not budget.wait():
            return 2, -1 if state == -1 else state[1][0]

    budget.last = _utime.ticks_ms()
    while True:  # stage 3: a data call
        if CheckNetwork.check_datacall_status() == 1:
            return 3, 1
        if not budget.wait():
            return 3, 0


def waitNetworkReady(timeout_s=60):
    return wait_network_connected(timeout_s)
