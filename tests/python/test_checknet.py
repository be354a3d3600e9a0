"""checkNet against SIM, registration and data-call states (virtual time: exact)."""

import pytest
from device_run import run_device

from qpysim import _core

WAIT = """
import checkNet, utime
t0 = utime.ticks_ms()
r = checkNet.wait_network_connected({timeout})
print(r, utime.ticks_diff(utime.ticks_ms(), t0))
"""


def waited(tmp_path, capsys, setup=None, timeout=5, dialect=None):
    kw = {"dialect": dialect} if dialect else {}
    result, out, err, _ = run_device(tmp_path, capsys, WAIT.format(timeout=timeout),
                                     setup=setup, **kw)
    assert result.status == 0, err
    return out.strip()


def test_ready_network_returns_3_1_at_once(tmp_path, capsys):
    assert waited(tmp_path, capsys) == "(3, 1) 0"


def test_no_sim_waits_out_the_timeout_then_reports_stage_1(tmp_path, capsys):
    assert waited(tmp_path, capsys, lambda m: _core.set_sim_status(m, 0)) == "(1, 0) 5000"


def test_no_sim_on_2021_firmware_gives_up_at_once(tmp_path, capsys):
    out = waited(tmp_path, capsys, lambda m: _core.set_sim_status(m, 0), dialect="quecpython-2021")
    assert out == "(1, 0) 0"


def test_locked_sim_is_stage_1_with_its_status(tmp_path, capsys):
    assert waited(tmp_path, capsys, lambda m: _core.set_sim_status(m, 2)) == "(1, 2) 5000"


def test_registration_denied_is_stage_2_with_the_state(tmp_path, capsys):
    assert waited(tmp_path, capsys, lambda m: _core.set_reg_state(m, 3)) == "(2, 3) 5000"


def test_still_searching_is_stage_2_code_2(tmp_path, capsys):
    assert waited(tmp_path, capsys, lambda m: _core.set_reg_state(m, 2)) == "(2, 2) 5000"


def test_no_data_call_is_stage_3_code_0(tmp_path, capsys):
    def setup(m):
        _core.set_auto(m, 1, False, False)
        _core.deactivate_pdp(m, 1)
    assert waited(tmp_path, capsys, setup) == "(3, 0) 5000"


def test_network_coming_up_midway_is_ready_when_it_does(tmp_path, capsys):
    result, out, err, _ = run_device(tmp_path, capsys, """
        import checkNet, net, utime, _thread
        net.setModemFun(4)
        def later():
            utime.sleep(3)
            net.setModemFun(1)
        _thread.start_new_thread(later, ())
        t0 = utime.ticks_ms()
        print(checkNet.waitNetworkReady(30), utime.ticks_diff(utime.ticks_ms(), t0))
        """)
    # CFUN=1 at 3 s, registered 2 s later, the data call 0.3 s after that: 5.3 s,
    # which is also one of checkNet's 100 ms polls.
    assert out.strip() == "(3, 1) 5300"


@pytest.mark.parametrize("bad", [0, 3601, -1])
def test_timeout_outside_1_3600_raises_oserror(tmp_path, capsys, bad):
    result, out, err, _ = run_device(tmp_path, capsys, f"""
        import checkNet
        try:
            checkNet.wait_network_connected({bad})
        except OSError as e:
            print(str(e))
        """)
    assert out.strip() == "timeout_s should be in [1, 3600]s!"


def test_poweron_banner_is_exact(tmp_path, capsys):
    result, out, err, dev = run_device(tmp_path, capsys, """
        import checkNet
        c = checkNet.CheckNetwork("QuecPython_Socket_example", "1.0.0")
        c.poweron_print_once()
        """)
    assert out == (
        "==================================================\n"
        "PROJECT_NAME     : QuecPython_Socket_example\n"
        "PROJECT_VERSION  : 1.0.0\n"
        "FIRMWARE_VERSION : EC600UCNLBR03A01M08_OCPU_QPY\n"
        "SIM_CARD_STATUS  : 1\n"
        "==================================================\n"
    )


def test_poweron_banner_of_2021_firmware_has_the_power_on_reason(tmp_path, capsys):
    result, out, err, dev = run_device(tmp_path, capsys, """
        import checkNet
        checkNet.CheckNetwork("P", "V").poweron_print_once()
        """, dialect="quecpython-2021")
    assert "POWERON_REASON   : 1\n" in out
    assert out.index("POWERON_REASON") < out.index("SIM_CARD_STATUS")
