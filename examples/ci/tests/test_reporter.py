"""Tests of the reporter (main.py) on an emulated module, with qpysim's pytest
plugin: each runs in device time, offline, and repeats from its seed.

    pytest tests                                  # one seed
    pytest tests -n auto --qpysim-seeds 20        # 20 seeds, every core
    pytest tests --qpysim-scenario outages.yaml   # another cell (weak-cell.yaml by default)
"""



def test_every_report_is_delivered_whatever_the_cell_does(qpysim_device, app):
    qpysim_device.start(app, ["60"], timeout=3600)
    qpysim_device.expect(r"all 60 reports delivered", timeout=3600)
    result = qpysim_device.wait()
    assert result.status == 0, result.output
    acked = [line for line in result.stdout.splitlines() if line.startswith("report ")]
    assert [int(line.split()[1]) for line in acked] == list(range(1, 61))


def test_the_reporter_reconnects_when_the_collector_resets_it(qpysim_device, app):
    qpysim_device.start(app, ["6"], timeout=3600)
    qpysim_device.expect(r"report 2 acked", timeout=600)
    # At the device time of that line: the next report meets a reset.
    qpysim_device.faults.apply("reset_peer", name="reset")
    qpysim_device.expect(r"reconnect after errno (104|128|107)", timeout=600)
    qpysim_device.faults.lift("reset")
    qpysim_device.expect(r"connected", timeout=600)
    qpysim_device.expect(r"all 6 reports delivered", timeout=3600)
    assert qpysim_device.wait().status == 0


def test_no_network_is_reported_and_the_app_exits(qpysim_device, app):
    qpysim_device.faults.apply("sim")  # no SIM: the module never registers
    qpysim_device.start(app, ["1"], timeout=600)
    qpysim_device.expect(r"no network: stage \d+ state \d+", timeout=120)
    assert qpysim_device.wait().status == 1
